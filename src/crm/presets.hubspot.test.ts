/**
 * presets/hubspot.yaml, loaded through the config parser and run by the generic adapter against
 * an msw fake of HubSpot's CRM API v3 written from its documentation
 * (test/support/vendors/hubspot.ts). These tests are what docs/presets.md claims for HubSpot:
 * the call's body (duration in ms, direction, association 194, recording URL), a new contact for
 * an unknown number, the late recording as a PATCH, a lost answer found again by calltrail_uniq,
 * the reconciliation listing across pages, and 429s — including whether the preset's pace stays
 * under HubSpot's search limit.
 */
import { strictMswServer } from '#test/msw';
import { describe, expect, it } from 'vitest';
import { loadPreset, presetAdapter, recordingHandler, virtualClock } from '#test/presets';
import { HUBSPOT_TOKEN, hubspotFake, type HubSpotFakeOptions } from '#test/vendors/hubspot';
import { callToLog } from './amocrm/testing';
import type { LoggedCall } from './port';
import { collectPages as collect, crmFailure as failure } from './testing';

const server = strictMswServer();

function setup(fakeOptions: HubSpotFakeOptions = {}, extra = '', token = HUBSPOT_TOKEN) {
  const clock = virtualClock();
  const fake = hubspotFake({ now: clock.now, ...fakeOptions });
  server.use(fake.handler, recordingHandler);
  const { adapter, limiter } = presetAdapter(loadPreset('hubspot', extra), { HUBSPOT_TOKEN: token }, clock);
  return { fake, adapter, limiter, clock };
}

const call = callToLog;
const window = (clock: { now: () => number }) => ({ from: new Date(clock.now() - 3_600_000), to: new Date(clock.now() + 60_000) });

describe('hubspot preset: logging a call', () => {
  it('a known contact: one search on phone/mobilephone, then the call with ms duration, direction, recording URL and association 194', async () => {
    const { fake, adapter } = setup();
    const contact = fake.addContact({ firstname: 'Ivan', phone: '+74951230001' });
    const [result] = await adapter.logCalls([call(1)]);
    expect(result).toEqual({ status: 'logged', ref: { noteId: fake.calls[0]?.id, entityId: contact.id, entityType: 'contacts' } });
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /crm/v3/objects/contacts/search', 'POST /crm/v3/objects/calls']);
    expect(fake.requests[0]?.body).toMatchObject({
      filterGroups: [
        { filters: [{ propertyName: 'phone', operator: 'EQ', value: '+74951230001' }] },
        { filters: [{ propertyName: 'mobilephone', operator: 'EQ', value: '+74951230001' }] },
      ],
    });
    expect(fake.requests[1]?.body).toEqual({
      properties: {
        hs_timestamp: '2026-11-20T07:00:00.000Z',
        hs_call_direction: 'INBOUND',
        hs_call_duration: 185_000,
        hs_call_status: 'COMPLETED',
        hs_call_recording_url: 'https://pbx.example/r/0001.mp3',
        hs_call_from_number: '+74951230001',
        hs_call_to_number: '205',
        hs_call_title: 'Call from +74951230001',
        hs_call_body: 'Extension 205, 3:05',
        calltrail_uniq: 'ct1-0001',
      },
      associations: [{ to: { id: contact.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 194 }] }],
    });
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0]).toMatchObject({ contactIds: [contact.id], properties: { hs_call_duration: '185000', hs_timestamp: '2026-11-20T07:00:00.000Z' } });
  });

  it('an outbound missed call without a recording, to a contact stored in national format: found by the second format, NO_ANSWER, no URL', async () => {
    const { fake, adapter } = setup();
    const contact = fake.addContact({ firstname: 'Olga', mobilephone: '84951230002' });
    const [result] = await adapter.logCalls([call(2, { direction: 'outbound', outcome: 'missed', durationSeconds: 0, link: null })]);
    expect(result?.status === 'logged' && result.ref.entityId).toBe(contact.id);
    expect(fake.count('contacts.search')).toBe(2);
    const props = fake.calls[0]?.properties;
    expect(props).toMatchObject({
      hs_call_direction: 'OUTBOUND',
      hs_call_status: 'NO_ANSWER',
      hs_call_duration: '0',
      hs_call_from_number: '205',
      hs_call_to_number: '+74951230002',
    });
    expect(props?.hs_call_recording_url).toBeNull();
  });

  it('an unknown number: unknown_number after every format, nothing written; createContacts, then the call lands on the new contact', async () => {
    const { fake, adapter } = setup();
    expect(await adapter.logCalls([call(3)])).toEqual([{ status: 'unknown_number' }]);
    expect(fake.count('contacts.search')).toBe(3);
    expect(fake.calls).toHaveLength(0);
    const [created] = await adapter.createContacts([{ requestId: 'd-3', name: 'Caller 0003', phone: '+74951230003', userId: null }]);
    expect(fake.contacts).toEqual([
      expect.objectContaining({ id: created?.id, properties: expect.objectContaining({ firstname: 'Caller 0003', phone: '+74951230003' }) }),
    ]);
    const [result] = await adapter.logCalls([call(3)]);
    expect(result?.status === 'logged' && result.ref.entityId).toBe(created?.id);
    expect(fake.calls[0]?.contactIds).toEqual([created?.id]);
  });

  it('with HubSpot’s search index lag, the contact just created is not found yet: unknown_number again, no call, no second contact', async () => {
    const { fake, adapter, clock } = setup({ indexLagMs: 5_000 });
    await adapter.createContacts([{ requestId: 'd-4', name: 'Caller 0004', phone: '+74951230004', userId: null }]);
    expect(await adapter.logCalls([call(4)])).toEqual([{ status: 'unknown_number' }]);
    clock.advance(5_000);
    expect((await adapter.logCalls([call(4)]))[0]?.status).toBe('logged');
    expect(fake.contacts).toHaveLength(1);
    expect(fake.calls).toHaveLength(1);
  });

  it('the contact created for the call goes with it (as the delivery engine passes it): logged at once despite the index lag, no search', async () => {
    const { fake, adapter } = setup({ indexLagMs: 60_000 });
    const [created] = await adapter.createContacts([{ requestId: 'd-6', name: 'Caller 0006', phone: '+74951230006', userId: null }]);
    const searches = fake.count('contacts.search');
    const [result] = await adapter.logCalls([{ ...call(6), contactId: created!.id }]);
    expect(result?.status === 'logged' && result.ref.entityId).toBe(created?.id);
    expect(fake.count('contacts.search')).toBe(searches);
    expect(fake.calls[0]?.contactIds).toEqual([created?.id]);
  });

  it('an account without the calltrail_uniq property refuses the call (400 VALIDATION_ERROR): rejected with HubSpot’s reason', async () => {
    const { fake, adapter } = setup({ customCallProperties: [] });
    fake.addContact({ phone: '+74951230005' });
    const [result] = await adapter.logCalls([call(5)]);
    expect(result?.status).toBe('rejected');
    expect(result?.status === 'rejected' && result.reason).toMatch(/HTTP 400.*calltrail_uniq.*does not exist/);
    expect(fake.calls).toHaveLength(0);
  });
});

describe('hubspot preset: late recording, lost answers, reconciliation', () => {
  it('a late recording: PATCH /calls/{id} sets hs_call_recording_url (and the duration, in ms)', async () => {
    const { fake, adapter } = setup();
    fake.addContact({ phone: '+74951230011' });
    const [first] = await adapter.logCalls([call(11, { link: null })]);
    if (first?.status !== 'logged') throw new Error('not logged');
    await adapter.updateLoggedCalls([{ ref: first.ref, call: call(11, { durationSeconds: 190 }) }]);
    const patch = fake.requests.at(-1);
    expect(`${patch?.method} ${patch?.path}`).toBe(`PATCH /crm/v3/objects/calls/${first.ref.noteId}`);
    expect(patch?.body).toEqual({ properties: { hs_call_recording_url: 'https://pbx.example/r/0011.mp3', hs_call_duration: 190_000 } });
    expect(fake.calls[0]?.properties).toMatchObject({ hs_call_recording_url: 'https://pbx.example/r/0011.mp3', hs_call_duration: '190000' });
  });

  it('a lost answer after HubSpot wrote the call: outcome unknown; the listing finds it by calltrail_uniq with its link and duration', async () => {
    const { fake, adapter, clock } = setup();
    fake.addContact({ phone: '+74951230012' });
    fake.dropAnswer('calls.create');
    const [first] = await adapter.logCalls([call(12)]);
    expect(first?.status === 'failed' && first.error.outcomeUnknown).toBe(true);
    expect(fake.calls).toHaveLength(1);
    // What the delivery engine does before sending again (delivery/run.ts findLogged).
    clock.advance(30_000);
    const found = (await collect(adapter.listLoggedCalls(window(clock)))).flatMap((p) => p.calls).filter((c) => c.uniq === 'ct1-0012');
    expect(found).toEqual([
      expect.objectContaining<Partial<LoggedCall>>({ noteId: fake.calls[0]?.id, uniq: 'ct1-0012', link: 'https://pbx.example/r/0012.mp3', phone: '205' }),
    ]);
    expect(found[0]?.updatedAt).toEqual(new Date(fake.calls[0]?.updatedAt ?? 0));
    expect(fake.calls).toHaveLength(1);
  });

  it('a look-up sooner than the search index lag does not see the call yet (the engine must wait longer than the lag)', async () => {
    const { fake, adapter, clock } = setup({ indexLagMs: 10_000 });
    fake.addContact({ phone: '+74951230013' });
    fake.dropAnswer('calls.create');
    await adapter.logCalls([call(13)]);
    const soon = (await collect(adapter.listLoggedCalls(window(clock)))).flatMap((p) => p.calls);
    expect(soon.map((c) => c.uniq)).toEqual([]);
    clock.advance(10_000);
    const later = (await collect(adapter.listLoggedCalls(window(clock)))).flatMap((p) => p.calls);
    expect(later.map((c) => c.uniq)).toEqual(['ct1-0013']);
  });

  it('reconciliation: every call with calltrail_uniq changed in the window, 100 a page by the after cursor, resumable from a position', async () => {
    const { fake, adapter, clock } = setup();
    for (let i = 0; i < 230; i++)
      fake.addCall({
        hs_timestamp: '2026-11-20T07:00:00.000Z',
        calltrail_uniq: `ct1-r${i}`,
        hs_call_recording_url: `https://pbx.example/r/r${i}.mp3`,
        hs_call_duration: '5000',
      });
    fake.addCall({ hs_timestamp: '2026-11-20T07:00:00.000Z' }); // logged by a rep: no uniq
    fake.addCall({ hs_timestamp: '2026-11-19T07:00:00.000Z', calltrail_uniq: 'ct1-old' }, Date.parse('2026-11-19T07:00:00Z'));
    const pages = await collect(adapter.listLoggedCalls(window(clock)));
    expect(pages.map((p) => p.calls.length)).toEqual([100, 100, 30]);
    const calls = pages.flatMap((p) => p.calls);
    expect(new Set(calls.map((c) => c.uniq)).size).toBe(230);
    expect(calls.map((c) => c.uniq)).not.toContain('ct1-old');
    expect(pages.at(-1)?.next).toBeNull();
    expect(fake.requests.filter((r) => r.route === 'calls.search').map((r) => (r.body as { after: string }).after)).toEqual(['0', '100', '200']);
    const resumed = await collect(adapter.listLoggedCalls(window(clock), pages[1]?.position));
    expect(resumed.flatMap((p) => p.calls).map((c) => c.uniq)).toEqual(calls.slice(100).map((c) => c.uniq));
  });
});

describe('hubspot preset: rate limits', () => {
  it('a full 10-second window: 429 with the RATE_LIMIT body, retried after pauses, then rate_limited — nothing written', async () => {
    const { fake, adapter } = setup();
    fake.addContact({ phone: '+74951230021' });
    fake.exhaust();
    const [result] = await adapter.logCalls([call(21)]);
    expect(result?.status).toBe('failed');
    const error = result?.status === 'failed' ? result.error : null;
    expect(error?.failure).toEqual({ kind: 'rate_limited', retryAfterMs: null });
    expect(error?.outcomeUnknown).toBe(false);
    expect(fake.throttledCount()).toBe(4);
    expect(fake.calls).toHaveLength(0);
  });

  it('a window that rolls on during the adapter’s pause: one 429, the limiter slows down, the call is logged once', async () => {
    const { fake, adapter, limiter, clock } = setup();
    fake.addContact({ phone: '+74951230022' });
    const rps = limiter.currentRps;
    fake.exhaust();
    clock.advance(9_500);
    const [result] = await adapter.logCalls([call(22)]);
    expect(result?.status).toBe('logged');
    expect(fake.throttledCount()).toBe(1);
    expect(limiter.currentRps).toBeLessThan(rps);
    expect(fake.calls).toHaveLength(1);
  });

  it('the preset’s pace keeps unknown numbers (three searches each) under the search limit of 5 a second', async () => {
    const { fake, adapter } = setup();
    const results = await adapter.logCalls(Array.from({ length: 20 }, (_, i) => call(100 + i)));
    expect(results.every((r) => r.status === 'unknown_number')).toBe(true);
    expect(fake.count('contacts.search')).toBe(60);
    expect(fake.throttledCount()).toBe(0);
  });

  it('a wrong token: 401 with HubSpot’s body → unauthorized', async () => {
    const { adapter } = setup({}, '', 'pat-na1-wrong');
    const error = await failure(adapter.findContacts('+74951230031'));
    expect(error.failure.kind).toBe('unauthorized');
    expect(error.message).toContain('INVALID_AUTHENTICATION');
  });
});
