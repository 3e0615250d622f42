/**
 * The PBX names another file for a recording it sent before (same recording id, another URL), on
 * PGlite and PostgreSQL: before calltrail has a copy (refused, failing, waiting) the new file
 * replaces the old one and its fetch starts again from the first try — the call's MP3 is built from
 * it and the CRM note gets its player; once archived, the copy stays and the other file is ignored,
 * said on the inbox body. Either way the call's summary does not move.
 */
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversations, inboxEvents, recordings } from '../../src/db/schema';
import type { RecordingsRuntime } from '../../src/deps';
import { runTick } from '../../src/jobs';
import { runtimeFetchFor } from '../../src/recordings/fetch/runtime-fetch';
import { MemoryStorage } from '../../src/recordings/storage/memory';
import { defaultIntegratorConfig } from '../../src/settings/integrator';
import { useTestDb } from '#test/db';
import { conversationUniq, deliveryHarness } from '#test/delivery';
import { callEnded, recordingReady } from '#test/events';
import { type FileServer, fileServer, toneWav } from '#test/pbx-files';

const testDb = useTestDb();
let pbx: FileServer;
beforeAll(async () => {
  pbx = await fileServer();
});
afterAll(async () => {
  await pbx?.close();
});

const IVAN = '+7 (495) 123-45-67';
/** A host the config does not allow: its recordings are refused without a request. */
const ELSEWHERE = 'https://pbx.example/r1.wav';

function setup() {
  const runtime: RecordingsRuntime = { storage: new MemoryStorage(), fetchFor: runtimeFetchFor };
  const recordingsConfig = { ...defaultIntegratorConfig().recordings, allowed_hosts: { generic: [pbx.host] }, allow_private_hosts: true };
  return deliveryHarness(testDb(), { config: { recordings: recordingsConfig }, recordings: runtime });
}
type H = ReturnType<typeof setup>;

async function settleAndDeliver(h: H) {
  for (let i = 0; i < 5; i++) await runTick(h.deps);
  return h.drain();
}

async function onlyRecording() {
  const rows = await testDb().db.select().from(recordings);
  expect(rows).toHaveLength(1);
  return rows[0] as typeof recordings.$inferSelect;
}

/** What the summary is made of: it must not move when only the recording's file does. */
async function summary(callKey: string) {
  const [row] = await testDb().db.select().from(conversations).where(eq(conversations.callKey, callKey));
  return {
    direction: row?.direction,
    externalNumber: row?.externalNumber,
    extension: row?.extension,
    outcome: row?.outcome,
    talkSeconds: row?.talkSeconds,
    durationSeconds: row?.durationSeconds,
    legCount: row?.legCount,
  };
}

async function apiState(h: H, conversationId: string): Promise<string | undefined> {
  const detail = (await (await h.admin(`/v1/calls/${conversationId}`)).json()) as { recordings: { state: string }[] };
  return detail.recordings[0]?.state;
}

function noteLinks(h: H, callId: string): (string | undefined)[] {
  return h.sandbox.store.notesByUniq(conversationUniq('generic', callId)).map((n) => n.params.link as string | undefined);
}

describe('the PBX names another file for a recording', () => {
  it('replaces a refused one: fetched again from the first try, archived from the new URL, and the note gets its player', async () => {
    const h = setup();
    await h.post(callEnded({ call_id: 'm1', from: IVAN, recording: { id: 'r1', url: ELSEWHERE } }));
    expect(await settleAndDeliver(h)).toMatchObject({ delivered: 1 });
    const refused = await onlyRecording();
    expect(refused).toMatchObject({ fetchState: 'refused', originUrl: ELSEWHERE, fetchAttempts: 1 });
    expect(noteLinks(h, 'm1')).toEqual([undefined]);
    const before = await summary('m1');

    // The same call again, its recording now on a host calltrail may fetch from.
    pbx.put('/rec/m1.wav', toneWav(3));
    const url = pbx.url('/rec/m1.wav');
    h.clock.advance(60);
    const seen = pbx.requests.length;
    await h.post(callEnded({ call_id: 'm1', from: IVAN, recording: { id: 'r1', url } }));
    expect(await onlyRecording()).toMatchObject({
      fetchState: 'waiting',
      originUrl: url,
      fetchAttempts: 0,
      fetchError: null,
      nextFetchAt: h.clock.now,
    });
    expect(await apiState(h, refused.conversationId)).toBe('pending');
    expect(await summary('m1')).toEqual(before);

    await settleAndDeliver(h);
    expect(pbx.requests.length).toBe(seen + 1);
    expect(await onlyRecording()).toMatchObject({ fetchState: 'archived', originUrl: url, fetchAttempts: 1, format: 'wav' });
    expect(await apiState(h, refused.conversationId)).toBe('archived');
    // Still one note, now with the player's link.
    expect(noteLinks(h, 'm1')).toEqual([expect.stringMatching(/\/recordings\/[0-9a-f-]{36}\.mp3\?k=/)]);
    expect(await summary('m1')).toEqual(before);
  });

  it('replaces one whose fetch keeps failing: the back-off is dropped and the new file is fetched at once', async () => {
    const h = setup();
    pbx.put('/rec/m2-old.wav', new Uint8Array([1, 2, 3]), 503);
    await h.post(callEnded({ call_id: 'm2', from: IVAN, recording: { id: 'r1', url: pbx.url('/rec/m2-old.wav') } }));
    await settleAndDeliver(h);
    const failing = await onlyRecording();
    expect(failing).toMatchObject({ fetchState: 'waiting', fetchAttempts: 1, fetchError: expect.stringContaining('503') });
    expect(failing.nextFetchAt?.getTime()).toBeGreaterThan(h.clock.now.getTime());

    pbx.put('/rec/m2-new.wav', toneWav(2));
    await h.post(recordingReady({ call_id: 'm2', recording: { id: 'r1', url: pbx.url('/rec/m2-new.wav') } }));
    // No clock moved: the new file is due now, not after the old one's back-off.
    await settleAndDeliver(h);
    expect(await onlyRecording()).toMatchObject({ fetchState: 'archived', originUrl: pbx.url('/rec/m2-new.wav'), fetchAttempts: 1, fetchError: null });
    expect(noteLinks(h, 'm2')).toEqual([expect.stringMatching(/\/recordings\/.+\.mp3\?/)]);
  });

  it('keeps an archived copy: the other file is not fetched, and the inbox body says it was ignored', async () => {
    const h = setup();
    pbx.put('/rec/m3.wav', toneWav(2));
    const url = pbx.url('/rec/m3.wav');
    await h.post(callEnded({ call_id: 'm3', from: IVAN, recording: { id: 'r1', url } }));
    await settleAndDeliver(h);
    const archived = await onlyRecording();
    expect(archived).toMatchObject({ fetchState: 'archived', originUrl: url });
    const link = noteLinks(h, 'm3')[0];

    pbx.put('/rec/m3-other.wav', toneWav(5));
    const seen = pbx.requests.length;
    h.clock.advance(60);
    const res = await h.post(recordingReady({ call_id: 'm3', recording: { id: 'r1', url: pbx.url('/rec/m3-other.wav') } }));
    const { inbox_id } = (await res.json()) as { inbox_id: number };
    await settleAndDeliver(h);
    expect(pbx.requests.length).toBe(seen);
    expect(await onlyRecording()).toMatchObject({
      fetchState: 'archived',
      originUrl: url,
      sha256: archived.sha256,
      archiveKey: archived.archiveKey,
      fetchAttempts: archived.fetchAttempts,
    });
    const [body] = await testDb().db.select({ note: inboxEvents.note }).from(inboxEvents).where(eq(inboxEvents.id, inbox_id));
    expect(body?.note).toBe('recording r1 is archived already, from another file: the file this body names was ignored');
    expect(noteLinks(h, 'm3')).toEqual([link]);
  });

  it('takes the same file twice as one: a refused recording stays refused, nothing is fetched again', async () => {
    const h = setup();
    await h.post(callEnded({ call_id: 'm4', from: IVAN, recording: { id: 'r1', url: ELSEWHERE } }));
    await settleAndDeliver(h);
    h.clock.advance(60);
    await h.post(recordingReady({ call_id: 'm4', recording: { id: 'r1', url: ELSEWHERE } }));
    await settleAndDeliver(h);
    expect(await onlyRecording()).toMatchObject({ fetchState: 'refused', fetchAttempts: 1, nextFetchAt: null });
    const notes = await testDb().db.select({ note: inboxEvents.note }).from(inboxEvents).orderBy(asc(inboxEvents.id));
    expect(notes).toEqual([{ note: null }, { note: null }]);
  });
});
