/**
 * A link a vendor's API gave for a recording (Zadarma's record/request, answered here by msw)
 * that no longer works when the archive comes to fetch it — expired, or void — is dropped and a
 * new one asked for, on PGlite and on PostgreSQL, instead of the recording failing for good.
 */
import { http as rest, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { recordings } from '../../src/db/schema';
import { runTick } from '../../src/jobs';
import * as transfer from '../../src/pbx/zadarma/fixtures/inbound-transfer';
import { runtimeFetchFor } from '../../src/recordings/fetch/runtime-fetch';
import { MemoryStorage } from '../../src/recordings/storage/memory';
import { harness } from '#test/app';
import { useTestDb } from '#test/db';
import { strictMswServer } from '#test/msw';
import { toneWav } from '#test/pbx-files';
import { API, KEY, SECRET, zadarmaSignature } from '#test/zadarma';

const signature = zadarmaSignature;

const server = strictMswServer();
const testDb = useTestDb();

describe('a vendor link that stopped working', () => {
  it('is dropped, a new one is asked for on the back-off, and the recording is archived with it', async () => {
    const h = harness(testDb(), {
      env: { ZADARMA_API_KEY: KEY, ZADARMA_API_SECRET: SECRET },
      deps: { recordings: { storage: new MemoryStorage(), fetchFor: runtimeFetchFor } },
    });
    let issued = 0;
    server.use(
      rest.get(API, () => HttpResponse.json({ status: 'success', link: `https://api.zadarma.com/v1/pbx/record/download/link${++issued}/f.mp3` })),
      // The first link has expired by the time it is fetched; the second works.
      rest.get('https://api.zadarma.com/v1/pbx/record/download/:link/f.mp3', ({ params }) =>
        params.link === 'link1'
          ? new HttpResponse('Link expired', { status: 403 })
          : new HttpResponse(toneWav(1), { headers: { 'content-type': 'audio/mpeg' } }),
      ),
    );
    for (const n of transfer.inOrder) {
      const res = await h.app.request('/v1/pbx/zadarma', {
        method: 'POST',
        body: new URLSearchParams(n).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', Signature: signature(n) },
      });
      expect(res.status).toBe(200);
    }
    await runTick(h.deps);
    const [dropped] = await testDb().db.select().from(recordings);
    expect(dropped).toMatchObject({
      originUrl: null,
      fetchState: 'waiting',
      fetchAttempts: 1,
      fetchError: "api.zadarma.com answered 403 Forbidden (the vendor's link no longer works: a new one is asked for)",
    });
    h.clock.advance(30);
    await runTick(h.deps);
    const [archived] = await testDb().db.select().from(recordings);
    expect(archived).toMatchObject({ originUrl: 'https://api.zadarma.com/v1/pbx/record/download/link2/f.mp3', fetchState: 'archived', fetchError: null });
    expect(issued).toBe(2);
  });
});
