/**
 * The per-link cache of GET /recordings/:id.mp3, on PGlite and PostgreSQL: a player's second and
 * later requests through one link read no row (counted through the route's injected reader) and
 * still get the right 206 / 416 / 304 answers; a tampered link is never answered from the cache;
 * a link's expiry, a revocation and an erasure apply at once to a cached link; a file another
 * process deleted or rebuilt under a new key sends the route back to the database.
 */
import { eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { callAudio, conversations } from '../../src/db/schema';
import type { Db } from '../../src/db/client';
import { type ResolvedLink, readServedAudio, recordingRoutes } from '../../src/http/api/recordings';
import { handleError } from '../../src/http/core/errors';
import { runtimeFetchFor } from '../../src/recordings/fetch/runtime-fetch';
import { LinkCache } from '../../src/recordings/serve/link-cache';
import { signedRecordingPath } from '../../src/recordings/signed-link';
import { MemoryStorage } from '../../src/recordings/storage/memory';
import { harness } from '#test/app';
import { useTestDb } from '#test/db';

const testDb = useTestDb();
const KEY = { kid: 'k1', secret: 'recording-link-key-0123456789' };
const SIZE = 10_000;
const t0 = new Date('2026-11-20T07:00:00Z');
const FILE = Uint8Array.from({ length: SIZE }, (_, i) => (i * 7) % 251);

let seq = 0;
async function setup(options: { links?: LinkCache<ResolvedLink> } = {}) {
  const n = ++seq;
  const storage = new MemoryStorage();
  const h = harness(testDb(), {
    env: { RECORDING_LINK_KEYS: `${KEY.kid}:${KEY.secret}` },
    deps: { recordings: { storage, fetchFor: runtimeFetchFor } },
  });
  const [call] = await testDb()
    .db.insert(conversations)
    // The caller's number is what an erasure finds the call by.
    .values({ source: 'generic', callKey: `cached-${n}`, uniq: `u-cached-${n}`, externalNumber: '+74951234567', lastEventAt: t0 })
    .returning();
  const key = 'calls/2026/11/cached.mp3';
  await storage.put(key, FILE, 'audio/mpeg');
  const [audio] = await testDb()
    .db.insert(callAudio)
    .values({
      conversationId: call?.id as string,
      storageKey: key,
      sha256: 'a'.repeat(64),
      bytes: SIZE,
      durationMs: 200_000,
      builtFrom: [],
      transcoded: true,
    })
    .returning();
  const id = audio?.id as string;
  let reads = 0;
  // The route as createApp mounts it, with its own cache and a reader that counts.
  const app = new Hono();
  app.onError(handleError(h.deps.log));
  app.route(
    '/',
    recordingRoutes(h.deps, {
      readAudio: (db: Db, audioId: string) => {
        reads++;
        return readServedAudio(db, audioId);
      },
      ...(options.links ? { links: options.links } : {}),
    }),
  );
  return {
    h,
    id,
    storage,
    get reads() {
      return reads;
    },
    request: (path: string, headers: Record<string, string> = {}, method = 'GET') => app.request(path, { method, headers }),
    link: (expiresAt: Date | null = null) => signedRecordingPath(id, KEY, expiresAt),
  };
}

const bytesOf = async (res: Response) => new Uint8Array(await res.arrayBuffer());

describe('the per-link cache', () => {
  it('reads the row once for a link’s many range requests, and answers each range right', async () => {
    const t = await setup();
    const link = await t.link();
    const first = await t.request(link, { range: 'bytes=0-99' });
    expect(first.status).toBe(206);
    expect(first.headers.get('content-range')).toBe(`bytes 0-99/${SIZE}`);
    expect(await bytesOf(first)).toEqual(FILE.slice(0, 100));
    expect(t.reads).toBe(1);

    const seek = await t.request(link, { range: 'bytes=5000-5999' });
    expect(seek.status).toBe(206);
    expect(seek.headers.get('content-range')).toBe(`bytes 5000-5999/${SIZE}`);
    expect(seek.headers.get('content-length')).toBe('1000');
    expect(await bytesOf(seek)).toEqual(FILE.slice(5000, 6000));
    const tail = await t.request(link, { range: 'bytes=-10' });
    expect(tail.status).toBe(206);
    expect(tail.headers.get('content-range')).toBe(`bytes ${SIZE - 10}-${SIZE - 1}/${SIZE}`);
    expect(await bytesOf(tail)).toEqual(FILE.slice(SIZE - 10));
    const past = await t.request(link, { range: `bytes=${SIZE}-` });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${SIZE}`);
    const whole = await t.request(link);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-length')).toBe(String(SIZE));
    expect(await bytesOf(whole)).toEqual(FILE);
    const etag = whole.headers.get('etag') as string;
    expect((await t.request(link, { 'if-none-match': etag })).status).toBe(304);
    // If-Range naming another version: the whole file.
    const changed = await t.request(link, { range: 'bytes=0-9', 'if-range': '"other"' });
    expect(changed.status).toBe(200);
    await changed.arrayBuffer();
    const head = await t.request(link, {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(SIZE));
    expect(t.reads).toBe(1);
  });

  it('answers a forged or tampered link 404 without reading, even when the genuine link is cached', async () => {
    const t = await setup();
    const expiring = await t.link(new Date(t.h.clock.now.getTime() + 60_000));
    expect((await t.request(expiring, { range: 'bytes=0-9' })).status).toBe(206);
    expect(t.reads).toBe(1);
    const url = new URL(expiring, 'http://x');
    const signature = url.searchParams.get('s') as string;
    const variants = [
      // The same signature without its expiry, with another expiry, another session or epoch.
      (() => {
        const q = new URLSearchParams(url.search);
        q.delete('e');
        return q;
      })(),
      new URLSearchParams({ ...Object.fromEntries(url.searchParams), e: String(Number(url.searchParams.get('e')) + 86_400) }),
      new URLSearchParams({ ...Object.fromEntries(url.searchParams), c: 'console:someone' }),
      new URLSearchParams({ ...Object.fromEntries(url.searchParams), t: '1' }),
      // A wrong signature, and an unknown key id.
      new URLSearchParams({ ...Object.fromEntries(url.searchParams), s: `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}` }),
      new URLSearchParams({ ...Object.fromEntries(url.searchParams), k: 'other' }),
    ];
    for (const query of variants) {
      const res = await t.request(`${url.pathname}?${query}`, { range: 'bytes=0-9' });
      expect(res.status, query.toString()).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: 'not_found', message: 'no such recording' } });
    }
    expect(t.reads).toBe(1);
    // The genuine link still plays, from the cache.
    expect((await t.request(expiring, { range: 'bytes=0-9' })).status).toBe(206);
    expect(t.reads).toBe(1);
  });

  it('stops a cached link at its expiry, and reads the row again after the TTL', async () => {
    // A TTL far beyond the link's life: only the link's expiry can end the entry.
    const t = await setup({ links: new LinkCache<ResolvedLink>({ ttlMs: 3_600_000 }) });
    const expiresAt = new Date(t.h.clock.now.getTime() + 60_000);
    const link = await t.link(expiresAt);
    expect((await t.request(link, { range: 'bytes=0-9' })).status).toBe(206);
    t.h.clock.advance(59);
    expect((await t.request(link, { range: 'bytes=0-9' })).status).toBe(206);
    expect(t.reads).toBe(1);
    t.h.clock.advance(2);
    expect((await t.request(link, { range: 'bytes=0-9' })).status).toBe(404);
    expect(t.reads).toBe(1);

    // The default TTL: 30 s.
    const other = await setup();
    const plain = await other.link();
    await other.request(plain, { range: 'bytes=0-9' });
    other.h.clock.advance(29);
    await other.request(plain, { range: 'bytes=0-9' });
    expect(other.reads).toBe(1);
    other.h.clock.advance(2);
    expect((await other.request(plain, { range: 'bytes=0-9' })).status).toBe(206);
    expect(other.reads).toBe(2);
  });

  it('refuses a cached link once it is revoked (revocations are checked on every request)', async () => {
    const t = await setup();
    const link = await t.link();
    expect((await t.request(link, { range: 'bytes=0-9' })).status).toBe(206);
    t.h.clock.advance(1);
    expect((await t.h.admin(`/v1/recordings/${t.id}/revoke-links`, { method: 'POST' })).status).toBe(200);
    expect((await t.request(link, { range: 'bytes=0-9' })).status).toBe(404);
    expect(t.reads).toBe(1);
  });

  it('drops the cached link when its caller’s number is erased: not even a 304 or a HEAD answers', async () => {
    const t = await setup();
    const link = await t.link();
    const first = await t.request(link, { range: 'bytes=0-9' });
    expect(first.status).toBe(206);
    const etag = first.headers.get('etag') as string;
    expect((await t.request(link, { 'if-none-match': etag })).status).toBe(304);
    expect(t.reads).toBe(1);

    const erased = await t.h.admin('/v1/erasures', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ phone: '8 (495) 123-45-67' }),
    });
    expect(erased.status).toBe(201);
    expect(await erased.json()).toMatchObject({ calls_deleted: 1, files_deleted: 1 });
    expect(t.storage.count).toBe(0);

    // Answered without the file (304, HEAD) too: the entry is gone, the row is read again and is not there.
    expect((await t.request(link, { 'if-none-match': etag })).status).toBe(404);
    expect(t.reads).toBe(2);
    expect((await t.request(link, {}, 'HEAD')).status).toBe(404);
    expect((await t.request(link, { range: 'bytes=0-9' })).status).toBe(404);
  });

  it('reads the row again when the cached file is gone: rebuilt by another process under a new key', async () => {
    const t = await setup();
    const link = await t.link();
    const first = await t.request(link, { range: 'bytes=0-9' });
    expect(first.headers.get('etag')).toBe(`"${'a'.repeat(32)}"`);
    expect(t.reads).toBe(1);

    // Another process rebuilds the MP3 (a late segment): a new file under a new key, the old one deleted.
    const rebuilt = FILE.slice(0, 4_000).reverse();
    await t.storage.put('calls/2026/11/cached-v2.mp3', rebuilt, 'audio/mpeg');
    await testDb()
      .db.update(callAudio)
      .set({ storageKey: 'calls/2026/11/cached-v2.mp3', sha256: 'b'.repeat(64), bytes: rebuilt.length })
      .where(eq(callAudio.id, t.id));
    await t.storage.delete('calls/2026/11/cached.mp3');

    const after = await t.request(link, { range: 'bytes=3990-' });
    expect(after.status).toBe(206);
    expect(after.headers.get('etag')).toBe(`"${'b'.repeat(32)}"`);
    expect(after.headers.get('content-range')).toBe('bytes 3990-3999/4000');
    expect(await bytesOf(after)).toEqual(rebuilt.slice(3990));
    expect(t.reads).toBe(2);
    expect((await t.request(link, { range: 'bytes=0-9' })).status).toBe(206);
    expect(t.reads).toBe(2);

    // Deleted by another process, row and file: 404, with no error logged for a missing file.
    await t.storage.delete('calls/2026/11/cached-v2.mp3');
    await testDb().db.delete(callAudio).where(eq(callAudio.id, t.id));
    expect((await t.request(link, { range: 'bytes=0-9' })).status).toBe(404);
    expect(t.reads).toBe(3);
    expect(t.h.log.lines.filter((l) => l.includes('missing from storage'))).toEqual([]);
  });
});
