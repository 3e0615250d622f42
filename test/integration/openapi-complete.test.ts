/**
 * The OpenAPI document lists what the service answers (issue 18): every route the app serves —
 * but the console's HTML pages under /admin, which README's "Admin console" describes — is in it,
 * with its method, and everything in it is served. A route added without its description fails here.
 */
import { describe, expect, it } from 'vitest';
import { harness } from '#test/app';
import { useTestDb } from '#test/db';

const testDb = useTestDb();

describe('the OpenAPI document', () => {
  it('lists every route the app serves outside the console, and nothing it does not serve', async () => {
    const h = harness(testDb());
    const doc = (await (await h.app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`)),
    );
    const served = new Set(h.app.routes.filter((r) => r.method !== 'ALL' && !/^\/admin(\/|$)/.test(r.path)).map((r) => `${r.method} ${r.path}`));
    // A source's catch-all (Mango: every other notification, verified and ignored) is covered by
    // the source's documented paths under it.
    const covered = (route: string) => documented.has(route) || (route.endsWith('/*') && [...documented].some((d) => d.startsWith(route.slice(0, -1))));
    expect([...served].filter((route) => !covered(route)).sort()).toEqual([]);
    const servedPaths = [...served];
    expect([...documented].filter((route) => !servedPaths.includes(route)).sort()).toEqual([]);
    expect(served.size).toBeGreaterThanOrEqual(50);
  });
});
