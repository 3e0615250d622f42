/**
 * presets/pipedrive.yaml, loaded through the config parser and run by the generic adapter against
 * an msw fake of Pipedrive written from its API reference (test/support/vendors/pipedrive.ts).
 * These tests are what docs/presets.md claims for Pipedrive: the call log's body (outcome
 * mapping, UTC times whatever the config's time zone, person_id, duration in seconds, the uniq
 * in the note), a new person for an unknown number, the recording as a multipart upload with a
 * second upload's 409 taken as done, a lost answer found again through the note, the listing by
 * start/limit, 429s — and, as a characterization, the call logs the listing cannot see.
 */
import { strictMswServer } from '#test/msw';
import { describe, expect, it } from 'vitest';
import { loadPreset, presetAdapter, recordingHandler, virtualClock } from '#test/presets';
import { PIPEDRIVE_TOKEN, pipedriveFake, type PipedriveFakeOptions } from '#test/vendors/pipedrive';
import { callToLog } from './amocrm/testing';
import { collectPages as collect, crmFailure as failure } from './testing';

const server = strictMswServer();

/** The config keeps calltrail's default time zone (Europe/Moscow): Pipedrive must still get UTC. */
function setup(fakeOptions: PipedriveFakeOptions = {}, extra = '', token = PIPEDRIVE_TOKEN) {
  const clock = virtualClock();
  const fake = pipedriveFake({ now: clock.now, ...fakeOptions });
  server.use(fake.handler, recordingHandler);
  const config = loadPreset('pipedrive', extra);
  const { adapter, limiter } = presetAdapter(config, { PIPEDRIVE_API_TOKEN: token }, clock);
  return { fake, adapter, limiter, clock, config };
}

const call = callToLog;
const window = (clock: { now: () => number }) => ({ from: new Date(clock.now() - 3_600_000), to: new Date(clock.now() + 60_000) });

describe('pipedrive preset: logging a call', () => {
  it('a known person: search by phone, the call log in UTC with person_id, seconds and the uniq as note, then the recording uploaded', async () => {
    const { fake, adapter, config } = setup();
    expect(config.time_zone).toBe('Europe/Moscow');
    const person = fake.addPerson('Ivan', '+74951230001');
    const [result] = await adapter.logCalls([call(1, { durationSeconds: 65 })]);
    const log = fake.callLogs[0];
    expect(result).toEqual({ status: 'logged', ref: { noteId: log?.id, entityId: person.id, entityType: 'contacts' } });
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /api/v2/persons/search',
      'POST /v1/callLogs',
      `POST /v1/callLogs/${log?.id}/recordings`,
    ]);
    expect(fake.requests[0]?.query).toEqual({ term: '+74951230001', fields: 'phone', exact_match: 'true', limit: '10' });
    expect(fake.requests[1]?.body).toEqual({
      subject: 'Call from +74951230001',
      outcome: 'connected',
      from_phone_number: '+74951230001',
      to_phone_number: '205',
      start_time: '2026-11-20 07:00:00',
      end_time: '2026-11-20 07:01:05',
      duration: 65,
      person_id: person.id,
      note: 'ct1-0001',
    });
    expect(log).toMatchObject({
      user_id: 1,
      duration: '65',
      person_id: person.id,
      note: 'ct1-0001',
      has_recording: true,
      recording: { name: 'ct1-0001.mp3', type: 'audio/mpeg', size: 4 },
    });
  });

  it('outcomes: answered → connected, busy → busy, missed and failed → no_answer; outbound puts the client in to_phone_number', async () => {
    const { fake, adapter } = setup();
    fake.addPerson('Olga', '+74951230002');
    const outcomes = ['answered', 'busy', 'missed', 'failed'] as const;
    await adapter.logCalls(
      outcomes.map((outcome, i) =>
        call(2, { uniq: `ct1-o${i}`, outcome, direction: 'outbound', durationSeconds: outcome === 'answered' ? 10 : 0, link: null }),
      ),
    );
    expect(fake.callLogs.map((l) => l.outcome)).toEqual(['connected', 'busy', 'no_answer', 'no_answer']);
    expect(fake.callLogs[0]).toMatchObject({ from_phone_number: '205', to_phone_number: '+74951230002', subject: 'Call to +74951230002' });
  });

  it('a person stored as typed ("8 495 …" digits) is found by the national format after the E.164 search misses', async () => {
    const { fake, adapter } = setup();
    const person = fake.addPerson('Petr', '84951230003');
    const [result] = await adapter.logCalls([call(3, { link: null })]);
    expect(result?.status === 'logged' && result.ref.entityId).toBe(person.id);
    expect(fake.requests.filter((r) => r.route === 'persons.search').map((r) => r.query.term)).toEqual(['+74951230003', '84951230003']);
  });

  it('an unknown number: unknown_number and nothing logged; createContacts makes the person, then the call lands on it', async () => {
    const { fake, adapter } = setup();
    expect(await adapter.logCalls([call(4)])).toEqual([{ status: 'unknown_number' }]);
    expect(fake.callLogs).toHaveLength(0);
    const [created] = await adapter.createContacts([{ requestId: 'd-4', name: 'Caller 0004', phone: '+74951230004', userId: null }]);
    expect(fake.persons).toEqual([
      expect.objectContaining({ id: created?.id, name: 'Caller 0004', phones: [{ value: '+74951230004', primary: true, label: 'work' }] }),
    ]);
    const [result] = await adapter.logCalls([call(4)]);
    expect(result?.status === 'logged' && result.ref.entityId).toBe(created?.id);
    expect(fake.callLogs[0]?.person_id).toBe(created?.id);
  });
});

describe('pipedrive preset: recordings, lost answers, listing', () => {
  it('a late recording is uploaded as multipart `file`; a second upload answered 409 counts as done', async () => {
    const { fake, adapter } = setup();
    fake.addPerson('Anna', '+74951230011');
    const [first] = await adapter.logCalls([call(11, { link: null })]);
    if (first?.status !== 'logged') throw new Error('not logged');
    expect(fake.callLogs[0]?.has_recording).toBe(false);
    await adapter.updateLoggedCalls([{ ref: first.ref, call: call(11) }]);
    expect(fake.callLogs[0]).toMatchObject({ has_recording: true, recording: { name: 'ct1-0011.mp3', size: 4 } });
    await expect(adapter.updateLoggedCalls([{ ref: first.ref, call: call(11) }])).resolves.toBeUndefined();
    expect(fake.requests.filter((r) => r.route === 'recordings.upload').map((r) => r.status)).toEqual([200, 409]);
  });

  it('a lost answer after Pipedrive wrote the call log: outcome unknown; the listing finds it by the note, nothing is logged twice', async () => {
    const { fake, adapter, clock } = setup();
    fake.addPerson('Boris', '+74951230012');
    fake.dropAnswer('callLogs.create');
    const [first] = await adapter.logCalls([call(12)]);
    expect(first?.status === 'failed' && first.error.outcomeUnknown).toBe(true);
    expect(fake.count('recordings.upload')).toBe(0);
    // What the delivery engine does before sending again (delivery/run.ts findLogged).
    const found = (await collect(adapter.listLoggedCalls(window(clock)))).flatMap((p) => p.calls).filter((c) => c.uniq === 'ct1-0012');
    expect(found).toEqual([
      expect.objectContaining({ noteId: fake.callLogs[0]?.id, entityId: fake.persons[0]?.id, durationSeconds: 185, phone: '205', link: null }),
    ]);
    expect(fake.callLogs).toHaveLength(1);
  });

  it('listing: start/limit 50 a page until a short page, resumable; call logs of other users are not listed (characterization)', async () => {
    const { fake, adapter, clock } = setup();
    for (let i = 0; i < 120; i++) fake.addCallLogOf(1, { note: `ct1-l${i}`, duration: '30' });
    fake.addCallLogOf(2, { note: 'ct1-other-user' });
    const pages = await collect(adapter.listLoggedCalls(window(clock)));
    expect(pages.map((p) => p.calls.length)).toEqual([50, 50, 20]);
    expect(fake.requests.filter((r) => r.route === 'callLogs.list').map((r) => `${r.query.start}/${r.query.limit}`)).toEqual(['0/50', '50/50', '100/50']);
    const uniqs = pages.flatMap((p) => p.calls.map((c) => c.uniq));
    expect(new Set(uniqs).size).toBe(120);
    expect(uniqs).not.toContain('ct1-other-user');
    const resumed = await collect(adapter.listLoggedCalls(window(clock), pages[2]?.position));
    expect(resumed.flatMap((p) => p.calls.map((c) => c.uniq))).toEqual(uniqs.slice(100));
  });
});

describe('pipedrive preset: limits and errors', () => {
  it('429 "Request over limit" with x-ratelimit-* headers: the 2-second window rolls on during the pause, the person is found', async () => {
    const { fake, adapter, limiter, clock } = setup();
    const person = fake.addPerson('Vera', '+74951230021');
    const rps = limiter.currentRps;
    fake.exhaust();
    clock.advance(1_500);
    const [found] = await adapter.findContacts('+74951230021');
    expect(found?.id).toBe(person.id);
    expect(fake.throttledCount()).toBe(1);
    expect(limiter.currentRps).toBeLessThan(rps);
  });

  it('429 on every try: rate_limited, outcome known, nothing written', async () => {
    const { fake, adapter } = setup();
    fake.addPerson('Gleb', '+74951230022');
    fake.fail('callLogs.create', 429, { success: false, error: 'Request over limit', errorCode: 429 }, 10);
    const [result] = await adapter.logCalls([call(22)]);
    expect(result?.status === 'failed' && result.error.failure).toEqual({ kind: 'rate_limited', retryAfterMs: null });
    expect(result?.status === 'failed' && result.error.outcomeUnknown).toBe(false);
    expect(fake.callLogs).toHaveLength(0);
  });

  it('a wrong token: 401 "unauthorized access" → unauthorized', async () => {
    const { adapter } = setup({}, '', 'nope');
    const error = await failure(adapter.findContacts('+74951230031'));
    expect(error.failure.kind).toBe('unauthorized');
  });
});
