/**
 * The Worker entry builds its app once per isolate and reuses it for every request, each request
 * with a database client of its own (over "Hyperdrive": here the real PostgreSQL), closed once its
 * background work is done. Run in Node against the entry module itself: what workerd adds (its
 * sockets, AsyncLocalStorage) is covered by worker.test.ts under wrangler.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDb, type TestDb } from '#test/db';

const built = vi.hoisted(() => ({ apps: 0 }));
vi.mock('../../src/app', async (original) => {
  const actual = await original<typeof import('../../src/app')>();
  return {
    ...actual,
    createApp: (...args: Parameters<typeof actual.createApp>) => {
      built.apps++;
      return actual.createApp(...args);
    },
  };
});

// wrangler bundles LAME's .wasm as a compiled module; Node would import it as an ES module.
// The same compiled module, as the Node service loads it.
vi.mock('../../node_modules/wasm-media-encoders/wasm/mp3.wasm', async () => {
  const { loadLameFromPackage } = await import('../../src/entry/node/lame');
  return { default: await loadLameFromPackage() };
});

const { default: worker } = await import('../../src/entry/worker');

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  await db.close();
});

function context() {
  const pending: Promise<unknown>[] = [];
  return { waitUntil: (p: Promise<unknown>) => void pending.push(p), settled: () => Promise.allSettled(pending) };
}

describe('the Worker entry', () => {
  it('builds the app once per isolate and serves each request with its own database client', async () => {
    const env = { HYPERDRIVE: { connectionString: db.url ?? '' }, ADMIN_TOKEN: 'admin-token-0123456789abcdef', LOG_LEVEL: 'error' };
    for (let i = 0; i < 3; i++) {
      const ctx = context();
      const res = await worker.fetch(new Request('http://calltrail.test/health'), env, ctx);
      expect(await res.json()).toMatchObject({ status: 'ok', db: 'ok' });
      await ctx.settled();
    }
    expect(built.apps).toBe(1);
    // Concurrent requests share the app, never each other's client.
    const ctx = context();
    const answers = await Promise.all(Array.from({ length: 5 }, () => worker.fetch(new Request('http://calltrail.test/health'), env, ctx)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    await ctx.settled();
    expect(built.apps).toBe(1);
    // Another isolate (other bindings): another app.
    const other = context();
    await worker.fetch(new Request('http://calltrail.test/health'), { ...env }, other);
    await other.settled();
    expect(built.apps).toBe(2);
  });

  it('answers a misconfigured isolate with the error envelope, naming the variable', async () => {
    const res = await worker.fetch(new Request('http://calltrail.test/health'), { SETTLE_SECONDS: 'soon' }, context());
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ error: { code: 'misconfigured', message: expect.stringContaining('SETTLE_SECONDS') } });
  });
});
