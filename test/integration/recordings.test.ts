/**
 * Recordings end to end on PGlite and PostgreSQL: fetched from the PBX (a local HTTP server),
 * archived, joined into one MP3, linked from the CRM note with a signed URL that serves byte
 * ranges; refused hosts, not-synced extensions, late segments, retention and the admin export.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { MPEGDecoder } from 'mpg123-decoder';
import { and, asc, desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultIntegratorConfig, type IntegratorConfig } from '../../src/settings/integrator';
import { auditLog, callAudio, conversations, recordingPurges, recordings } from '../../src/db/schema';
import type { RecordingsRuntime } from '../../src/deps';
import { readLocalFile } from '../../src/entry/node/local-file';
import { runTick } from '../../src/jobs';
import { runtimeFetchFor } from '../../src/recordings/fetch/runtime-fetch';
import { MemoryStorage } from '../../src/recordings/storage/memory';
import { useTestDb } from '#test/db';
import { conversationUniq, deliveryHarness } from '#test/delivery';
import { callEnded, recordingReady } from '#test/events';
import { fileServer, toneWav, type FileServer } from '#test/pbx-files';

const testDb = useTestDb();
let pbx: FileServer;
beforeAll(async () => {
  pbx = await fileServer();
});
afterAll(async () => {
  await pbx?.close();
});

const IVAN = '+7 (495) 123-45-67';

function recordingsConfig(over: Partial<IntegratorConfig['recordings']> = {}): Partial<IntegratorConfig> {
  const base = defaultIntegratorConfig().recordings;
  return { recordings: { ...base, allowed_hosts: { generic: [pbx.host] }, allow_private_hosts: true, ...over } };
}

function setup(config: Partial<IntegratorConfig> = recordingsConfig()) {
  const storage = new MemoryStorage();
  const runtime: RecordingsRuntime = { storage, fetchFor: runtimeFetchFor };
  const h = deliveryHarness(testDb(), { config: { ...config, extensions: { '205': { department: 'legal' } } }, recordings: runtime });
  return { h, storage };
}

/** Ticks until the pipeline is quiet, then drains deliveries. */
async function settleAndDeliver(h: ReturnType<typeof setup>['h']) {
  for (let i = 0; i < 5; i++) await runTick(h.deps);
  return h.drain();
}

async function decodedSeconds(mp3: Uint8Array): Promise<number> {
  const decoder = new MPEGDecoder();
  await decoder.ready;
  const { samplesDecoded, sampleRate } = decoder.decode(mp3);
  decoder.free();
  return samplesDecoded / sampleRate;
}

function noteLink(h: ReturnType<typeof setup>['h'], callId: string): string | undefined {
  const [note] = h.sandbox.store.notesByUniq(conversationUniq('generic', callId));
  return note?.params.link as string | undefined;
}

describe('a call with a WAV recording on the PBX', () => {
  it('is archived, turned into one MP3, and the note links to it with a signed URL that plays and seeks', async () => {
    const { h, storage } = setup();
    pbx.put('/rec/a1.wav', toneWav(6));
    await h.post(callEnded({ call_id: 'a1', from: IVAN, recording: { id: 'a1-r', url: pbx.url('/rec/a1.wav') } }));
    expect(await settleAndDeliver(h)).toMatchObject({ delivered: 1 });

    const [segment] = await testDb().db.select().from(recordings);
    expect(segment).toMatchObject({ fetchState: 'archived', format: 'wav', bytes: 6 * 8000 * 2 + 44, fetchAttempts: 1 });
    const detail = (await (await h.admin(`/v1/calls/${segment?.conversationId}`)).json()) as { recordings: { state: string; state_reason: null }[] };
    expect(detail.recordings[0]).toMatchObject({ state: 'archived', state_reason: null });
    expect(await storage.head(segment?.archiveKey as string)).toMatchObject({ size: 6 * 8000 * 2 + 44 });
    const [audio] = await testDb().db.select().from(callAudio);
    expect(audio).toMatchObject({ transcoded: true, purgedAt: null });
    expect(audio?.durationMs).toBeGreaterThan(5900);
    expect(audio?.expiresAt?.getTime()).toBe(h.clock.now.getTime() + 1095 * 86_400_000);

    // The note was written once, with the link (the delivery waited for the MP3).
    const link = noteLink(h, 'a1');
    expect(link).toMatch(new RegExp(`^http://localhost:3000/recordings/${audio?.id}\\.mp3\\?k=db1&s=[0-9a-f]{64}$`));
    expect(h.sandbox.stats().byRoute['PATCH /api/v4/contacts/notes'] ?? 0).toBe(0);

    const path = new URL(link as string).pathname + new URL(link as string).search;
    const whole = await h.app.request(path);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('audio/mpeg');
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(whole.headers.get('content-length')).toBe(String(audio?.bytes));
    const mp3 = new Uint8Array(await whole.arrayBuffer());
    expect(mp3.length).toBe(audio?.bytes);
    expect(await decodedSeconds(mp3)).toBeCloseTo(6, 0);

    const ranged = await h.app.request(path, { headers: { range: 'bytes=100-199' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes 100-199/${audio?.bytes}`);
    expect(new Uint8Array(await ranged.arrayBuffer())).toEqual(mp3.subarray(100, 200));
    const tail = await h.app.request(path, { headers: { range: 'bytes=-10' } });
    expect(new Uint8Array(await tail.arrayBuffer())).toEqual(mp3.subarray(mp3.length - 10));
    const past = await h.app.request(path, { headers: { range: `bytes=${audio?.bytes}-` } });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${audio?.bytes}`);
    const cached = await h.app.request(path, { headers: { 'if-none-match': whole.headers.get('etag') as string } });
    expect(cached.status).toBe(304);

    // A tampered signature, an unknown id with a valid-looking query, no signature: the same 404.
    const tampered = path.replace(/s=([0-9a-f])/, (_, c: string) => `s=${c === '0' ? '1' : '0'}`);
    const otherId = path.replace(audio?.id as string, '00000000-0000-4000-8000-000000000000');
    for (const bad of [tampered, otherId, `/recordings/${audio?.id}.mp3`]) {
      const res = await h.app.request(bad);
      expect(res.status, bad).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: 'not_found', message: 'no such recording' } });
    }
  });

  it('joins a transfer’s segments in the order they were recorded into one MP3', async () => {
    const { h } = setup();
    pbx.put('/rec/t-a.wav', toneWav(3, 8000, 1));
    pbx.put('/rec/t-b.wav', toneWav(4, 16000, 2, 660));
    const base = { call_id: 't1', from: IVAN };
    await h.post(
      callEnded({
        ...base,
        leg_id: 't1-a',
        to: '100',
        extension: '100',
        ended_at: '2026-11-20T10:01:00+03:00',
        recording: { id: 'a', url: pbx.url('/rec/t-a.wav') },
      }),
    );
    await h.post(
      callEnded({
        ...base,
        leg_id: 't1-b',
        to: '205',
        extension: '205',
        final: true,
        started_at: '2026-11-20T10:01:00+03:00',
        answered_at: '2026-11-20T10:01:05+03:00',
        recording: { id: 'b', url: pbx.url('/rec/t-b.wav') },
      }),
    );
    await settleAndDeliver(h);
    const [audio] = await testDb().db.select().from(callAudio);
    expect(audio?.builtFrom).toHaveLength(2);
    const [first, second] = await testDb().db.select({ id: recordings.id, key: recordings.recordingKey }).from(recordings);
    const order = (audio?.builtFrom ?? []).map((b) => b.id);
    expect(order).toEqual([first?.key === 'a' ? first.id : second?.id, first?.key === 'b' ? first.id : second?.id]);
    expect((audio?.durationMs ?? 0) / 1000).toBeCloseTo(7, 0);
  });

  it('rebuilds the MP3 when a late segment arrives, keeping the link, and updates the note', async () => {
    const { h, storage } = setup();
    pbx.put('/rec/l-a.wav', toneWav(2));
    pbx.put('/rec/l-b.wav', toneWav(3));
    await h.post(callEnded({ call_id: 'l1', from: IVAN, recording: { id: 'a', url: pbx.url('/rec/l-a.wav') } }));
    await settleAndDeliver(h);
    const [before] = await testDb().db.select().from(callAudio);
    const link = noteLink(h, 'l1');

    h.clock.advance(60);
    await h.post(recordingReady({ call_id: 'l1', leg_id: 'other-segment', recording: { id: 'b', url: pbx.url('/rec/l-b.wav') } }));
    await settleAndDeliver(h);
    const [after] = await testDb().db.select().from(callAudio);
    expect(after?.id).toBe(before?.id);
    expect(after?.sha256).not.toBe(before?.sha256);
    expect((after?.durationMs ?? 0) / 1000).toBeCloseTo(5, 0);
    expect(await storage.head(before?.storageKey as string)).toBeNull();
    expect(noteLink(h, 'l1')).toBe(link);
    expect(h.sandbox.store.notesByUniq(conversationUniq('generic', 'l1'))).toHaveLength(1);
  });
});

describe('what is not fetched', () => {
  it('never fetches from a host the source is not allowed, and the call goes out without a link', async () => {
    const { h } = setup(recordingsConfig({ allowed_hosts: {} }));
    pbx.put('/rec/s1.wav', toneWav(1));
    const seen = pbx.requests.length;
    await h.post(callEnded({ call_id: 's1', from: IVAN, recording: { id: 'r', url: pbx.url('/rec/s1.wav') } }));
    expect(await settleAndDeliver(h)).toMatchObject({ delivered: 1 });
    expect(pbx.requests.length).toBe(seen);
    const [segment] = await testDb().db.select().from(recordings);
    expect(segment).toMatchObject({ fetchState: 'refused', fetchError: expect.stringMatching(/is not an allowed recording host/) });
    expect(noteLink(h, 's1')).toBeUndefined();
    // The API says what happened in one word, and why.
    const detail = (await (await h.admin(`/v1/calls/${segment?.conversationId}`)).json()) as { recordings: { state: string; state_reason: string }[] };
    expect(detail.recordings[0]).toMatchObject({ state: 'refused', state_reason: expect.stringMatching(/is not an allowed recording host/) });
  });

  it('keeps the recordings of a department that must not be synced out of the CRM', async () => {
    const { h } = setup(recordingsConfig({ sync: { exclude_extensions: [], exclude_departments: ['legal'] } }));
    pbx.put('/rec/x1.wav', toneWav(1));
    const seen = pbx.requests.length;
    await h.post(callEnded({ call_id: 'x1', from: IVAN, to: '205', extension: '205', recording: { id: 'r', url: pbx.url('/rec/x1.wav') } }));
    await settleAndDeliver(h);
    expect(pbx.requests.length).toBe(seen);
    const [segment] = await testDb().db.select().from(recordings);
    expect(segment).toMatchObject({ fetchState: 'skipped', fetchError: expect.stringContaining('not synced') });
    expect(noteLink(h, 'x1')).toBeUndefined();
  });

  it('fails a recording that is not audio (an error page answered 200), with the reason, and does not refetch it', async () => {
    const { h } = setup();
    pbx.put('/rec/h1.wav', new TextEncoder().encode('<!doctype html><title>Login</title><p>Please sign in'));
    await h.post(callEnded({ call_id: 'h1', from: IVAN, recording: { id: 'r', url: pbx.url('/rec/h1.wav') } }));
    expect(await settleAndDeliver(h)).toMatchObject({ delivered: 1 });
    const [segment] = await testDb().db.select().from(recordings);
    expect(segment).toMatchObject({ fetchState: 'failed', nextFetchAt: null, fetchError: expect.stringMatching(/HTML.*not supported/i) });
    expect(noteLink(h, 'h1')).toBeUndefined();
    const detail = (await (await h.admin(`/v1/calls/${segment?.conversationId}`)).json()) as { recordings: { state: string }[] };
    expect(detail.recordings[0]?.state).toBe('failed');
  });

  it('retries a PBX that fails, and delivers the call meanwhile', async () => {
    const { h } = setup();
    pbx.put('/rec/f1.wav', new Uint8Array([1, 2, 3]), 503);
    await h.post(callEnded({ call_id: 'f1', from: IVAN, recording: { id: 'r', url: pbx.url('/rec/f1.wav') } }));
    expect(await settleAndDeliver(h)).toMatchObject({ delivered: 1 });
    const [waiting] = await testDb().db.select().from(recordings);
    expect(waiting).toMatchObject({ fetchState: 'waiting', fetchAttempts: 1, fetchError: expect.stringContaining('503') });

    pbx.put('/rec/f1.wav', toneWav(2));
    h.clock.advance(60);
    await settleAndDeliver(h);
    expect((await testDb().db.select().from(recordings))[0]).toMatchObject({ fetchState: 'archived', fetchAttempts: 2 });
    expect(noteLink(h, 'f1')).toMatch(/\/recordings\/.+\.mp3\?/);
    expect(h.sandbox.store.notesByUniq(conversationUniq('generic', 'f1'))).toHaveLength(1);
  });
});

describe('retention', () => {
  it('deletes expired files, keeps the metadata, and never the only copy of a call still pending delivery', async () => {
    const { h, storage } = setup(recordingsConfig({ retention_days: 30 }));
    pbx.put('/rec/p1.wav', toneWav(1));
    pbx.put('/rec/p2.wav', toneWav(1));
    await h.post(callEnded({ call_id: 'p1', from: IVAN, recording: { id: 'r', url: pbx.url('/rec/p1.wav') } }));
    await settleAndDeliver(h);
    // p2 reaches the archive, but the CRM is blocked: its delivery stays pending.
    h.sandbox.store.revokeAllTokens();
    await h.post(callEnded({ call_id: 'p2', from: IVAN, recording: { id: 'r', url: pbx.url('/rec/p2.wav') } }));
    await settleAndDeliver(h);
    const link = noteLink(h, 'p1') as string;

    h.clock.advance(31 * 86_400);
    await runTick(h.deps);
    const audio = await testDb().db.select().from(callAudio);
    const byCall = async (callId: string) => {
      const [c] = await testDb().db.select({ id: conversations.id }).from(conversations).where(eq(conversations.callKey, callId));
      return audio.find((a) => a.conversationId === c?.id);
    };
    const p1 = await byCall('p1');
    const p2 = await byCall('p2');
    expect(p1?.purgedAt).toEqual(h.clock.now);
    expect(await storage.head(p1?.storageKey as string)).toBeNull();
    expect(p2?.purgedAt).toBeNull();
    expect(await storage.head(p2?.storageKey as string)).not.toBeNull();
    const [p1Segment] = await testDb()
      .db.select()
      .from(recordings)
      .where(and(eq(recordings.conversationId, p1?.conversationId as string)));
    expect(p1Segment).toMatchObject({ fetchState: 'purged', sha256: expect.any(String) });
    expect((await h.app.request(new URL(link).pathname + new URL(link).search)).status).toBe(404);

    // The first tick of the test ran the daily purge (nothing expired yet); this is the next day's.
    const [run] = await testDb().db.select().from(recordingPurges).orderBy(desc(recordingPurges.ranAt)).limit(1);
    expect(run).toMatchObject({ ranAt: h.clock.now, purgedCalls: 1, purgedFiles: 2, keptPending: 1, errors: [] });
    const report = (await (await h.admin('/v1/recordings/purges')).json()) as { items: unknown[] };
    expect(report.items).toMatchObject([{ purged_calls: 1, kept_pending: 1 }, { purged_calls: 0 }]);
    // Once a day: the next tick does not run it again.
    await runTick(h.deps);
    expect(await testDb().db.$count(recordingPurges)).toBe(2);
  });
});

describe('admin export', () => {
  it('streams a ZIP of a period’s recordings with an index', async () => {
    const { h } = setup();
    pbx.put('/rec/e1.wav', toneWav(1));
    pbx.put('/rec/e2.wav', toneWav(2));
    await h.post(callEnded({ call_id: 'e1', from: IVAN, recording: { id: 'r', url: pbx.url('/rec/e1.wav') } }));
    await h.post(
      callEnded({
        call_id: 'e2',
        from: '8 916 555 12 34',
        to: '205',
        extension: '205',
        started_at: '2026-11-20T11:00:00+03:00',
        answered_at: '2026-11-20T11:00:05+03:00',
        ended_at: '2026-11-20T11:03:05+03:00',
        recording: { id: 'r', url: pbx.url('/rec/e2.wav') },
      }),
    );
    await settleAndDeliver(h);

    const res = await h.admin('/v1/recordings/export.zip?from=2026-11-20&to=2026-11-21');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    expect(res.headers.get('content-disposition')).toContain('calltrail-recordings-2026-11-20-2026-11-20.zip');
    const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
    expect(Object.keys(files).sort()).toEqual([
      '2026-11-20_10-00-00_00001_+74951234567_101.mp3',
      '2026-11-20_11-00-00_00002_+79165551234_205.mp3',
      'index.csv',
    ]);
    const index = new TextDecoder().decode(files['index.csv']).trim().split('\r\n');
    expect(index[0]).toBe('file,started_at,sequence,number,extension,direction,outcome,talk_seconds,duration_seconds,call_id');
    expect(index[1]).toMatch(/^2026-11-20_10-00-00_00001_\+74951234567_101\.mp3,2026-11-20T10:00:00\.000\+03:00,1,\+74951234567,101,inbound,answered,180,1,/);
    expect(await decodedSeconds(files['2026-11-20_11-00-00_00002_+79165551234_205.mp3'] as Uint8Array)).toBeCloseTo(2, 0);

    expect((await h.app.request('/v1/recordings/export.zip?from=2026-11-20&to=2026-11-21')).status).toBe(401);
    expect((await h.admin('/v1/recordings/export.zip?from=2026-11-21&to=2026-11-20')).status).toBe(400);
    const [call] = await testDb().db.select({ id: conversations.id }).from(conversations).where(eq(conversations.callKey, 'e1'));
    const one = await h.admin(`/v1/calls/${call?.id}/recording.mp3`);
    expect(one.status).toBe(200);
    expect(one.headers.get('content-disposition')).toBe(`attachment; filename="call-${call?.id}.mp3"`);
    // The export and the download are in the audit trail, by the admin token; the refused ones are not.
    const trail = await testDb().db.select().from(auditLog).orderBy(asc(auditLog.id));
    expect(trail.map((e) => [e.action, e.actor, e.subject])).toEqual([
      ['export.recordings', 'token:ADMIN_TOKEN', null],
      ['recording.download', 'token:ADMIN_TOKEN', call?.id],
    ]);
  });
});

describe('recordings given as paths on this host (recordings.local_paths)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'calltrail-monitor-'));
    await mkdir(join(dir, 'monitor'));
    await mkdir(join(dir, 'private'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function localSetup() {
    const storage = new MemoryStorage();
    const runtime: RecordingsRuntime = { storage, fetchFor: runtimeFetchFor, readLocal: readLocalFile };
    const base = defaultIntegratorConfig().recordings;
    const h = deliveryHarness(testDb(), { config: { recordings: { ...base, local_paths: [join(dir, 'monitor')], timeout_seconds: 5 } }, recordings: runtime });
    return { h };
  }

  it('refuses a FIFO, a device, a directory and a symlink out of the root, each with its reason, while the other recording is archived', async () => {
    const { h } = localSetup();
    const monitor = join(dir, 'monitor');
    await writeFile(join(monitor, 'good.wav'), toneWav(1));
    execFileSync('mkfifo', [join(monitor, 'pipe.wav')]);
    await mkdir(join(monitor, 'folder.wav'));
    await writeFile(join(dir, 'private', 'secret.wav'), toneWav(1));
    await symlink(join(dir, 'private', 'secret.wav'), join(monitor, 'escape.wav'));
    await symlink('/dev/zero', join(monitor, 'zero.wav'));
    const files = ['pipe.wav', 'good.wav', 'folder.wav', 'escape.wav', 'zero.wav'];
    for (const [i, file] of files.entries()) {
      await h.post(callEnded({ call_id: `local-${i}`, from: IVAN, recording: { id: file, url: join(monitor, file) } }));
    }
    // Today's reader blocked in open() on the FIFO here, and the tick with it.
    await settleAndDeliver(h);
    const rows = Object.fromEntries((await testDb().db.select().from(recordings)).map((r) => [r.recordingKey, r]));
    expect(rows['good.wav']).toMatchObject({ fetchState: 'archived', fetchAttempts: 1 });
    expect(rows['pipe.wav']).toMatchObject({
      fetchState: 'refused',
      nextFetchAt: null,
      fetchError: `${join(monitor, 'pipe.wav')} is a FIFO (named pipe), not a recording file`,
    });
    expect(rows['folder.wav']).toMatchObject({ fetchState: 'refused', fetchError: expect.stringContaining('is a directory') });
    expect(rows['escape.wav']).toMatchObject({
      fetchState: 'refused',
      fetchError: expect.stringContaining(`leads to ${join(dir, 'private', 'secret.wav')}, outside recordings.local_paths`),
    });
    expect(rows['zero.wav']).toMatchObject({ fetchState: 'refused', fetchError: expect.stringContaining('leads to /dev/zero') });
    expect(noteLink(h, 'local-1')).toMatch(/\/recordings\/.+\.mp3\?/);
    expect(noteLink(h, 'local-0')).toBeUndefined();
  });
});
