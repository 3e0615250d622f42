/**
 * The road a webhook body takes to the CRM, measured rather than drawn: the files of src/ on the
 * (async) call stack at the three hand-offs of one generic webhook call — when its events enter
 * the ledger, when the ledger writes the call's delivery row, when the delivery's request leaves
 * for the CRM. README's architecture section names these stations; a file that comes between two
 * of them fails this test until the drawing (and the count) is updated.
 */
import { describe, expect, it } from 'vitest';
import { deliveries } from '../../src/db/schema';
import { inboxDeps } from '../../src/deps';
import { runTick } from '../../src/jobs';
import { ingest } from '../../src/ledger/inbox';
import { useTestDb } from '#test/db';
import { deliveryHarness } from '#test/delivery';
import { callEnded } from '#test/events';

const testDb = useTestDb();

/**
 * Wrappers on the stacks that are not stations: the access log wraps every request, tracing wraps
 * a station's work in its span (lib/trace.ts), and in sandbox mode the CRM's fetch is the
 * in-process sandbox's (a live account's is the global fetch).
 */
const NOT_STATIONS = new Set(['http/core/access-log.ts', 'lib/trace.ts', 'delivery/setup.ts', 'crm/connect/index.ts']);

/** README's stations, in order. */
const STATIONS = [
  'http/webhooks/receive.ts', // 1 verify, decode, parse (the source's descriptor), admit
  'ledger/inbox.ts', // 2 store the body and apply it, in one transaction
  'ledger/apply.ts', // 3 legs and recordings into conversations
  'ledger/summaries.ts', // 4 the summaries, and the delivery rows of the calls that settle
  'delivery/worker.ts', // 5 claim due deliveries (lease)
  'delivery/run.ts', // 6 one delivery's steps, each intent committed before the CRM sees it
  'crm/amocrm/adapter.ts', // 7 the calls as amoCRM's POST /api/v4/calls
  'crm/transport.ts', // 8 the one HTTP client to CRMs
];

/** The SQL a station issues through (the worker's and the run's statements): on the stack, but a station's own hands. */
const STATION_SQL = new Set(['delivery/store.ts', 'db/raw.ts']);

/** The files of src/ on a stack, outermost first, each once. */
function road(stack: string): string[] {
  const files = [...stack.matchAll(/\/src\/([\w/.-]+\.tsx?):\d+:\d+/g)].map((m) => m[1] as string);
  return [...new Set(files.reverse())].filter((f) => !NOT_STATIONS.has(f) && !STATION_SQL.has(f));
}

/** Whether a drizzle sql`…` names the table (its chunks hold the table object itself). */
function mentions(query: unknown, table: unknown, depth = 0): boolean {
  if (query === table) return true;
  const chunks = (query as { queryChunks?: unknown[] } | null)?.queryChunks;
  return depth < 8 && Array.isArray(chunks) && chunks.some((c) => mentions(c, table, depth + 1));
}

/** The database, watched: the stack of the first statement that writes `table` (an insert or raw SQL naming it), in transactions too. */
function watchWrites<T extends object>(db: T, table: unknown, stacks: string[]): T {
  const wrap =
    (value: (...args: unknown[]) => unknown, target: T, hit: (arg: unknown) => boolean) =>
    (...args: unknown[]) => {
      if (hit(args[0])) stacks.push(new Error().stack ?? '');
      return value.apply(target, args);
    };
  return new Proxy(db, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => unknown;
      if (key === 'insert') return wrap(fn, target, (t) => t === table);
      if (key === 'execute') return wrap(fn, target, (q) => mentions(q, table));
      if (key === 'transaction') {
        return (apply: (tx: object) => unknown, ...rest: unknown[]) => fn.call(target, (tx: object) => apply(watchWrites(tx, table, stacks)), ...rest);
      }
      return fn.bind(target);
    },
  });
}

describe('the road of a webhook body to the CRM', () => {
  it('passes the eight stations README names, in order, and no other file', async () => {
    const settling: string[] = [];
    const h = deliveryHarness({ ...testDb(), db: watchWrites(testDb().db, deliveries, settling) });
    const entering: string[] = [];
    h.deps.ingest = (input) => {
      entering.push(new Error().stack ?? '');
      return ingest(inboxDeps(h.deps), input);
    };
    const sandbox = h.deps.sandbox!;
    const sending: string[] = [];
    h.deps.sandbox = {
      fetch: (request) => {
        if (new URL(request.url).pathname === '/api/v4/calls') sending.push(new Error().stack ?? '');
        return sandbox.fetch(request);
      },
    };

    expect((await h.post(callEnded({ call_id: 'road-1', recorded: false }))).status).toBe(202);
    await runTick(h.deps);
    expect(await h.drain()).toMatchObject({ delivered: 1 });

    const stacks = [...entering, ...settling, ...sending].map(road);
    // Every file on the road is a station, and every station is on the road …
    expect(new Set(stacks.flat())).toEqual(new Set(STATIONS));
    // … met in README's order on each stack (outermost first).
    for (const files of stacks) expect(files).toEqual([...files].sort((a, b) => STATIONS.indexOf(a) - STATIONS.indexOf(b)));
    expect(road(entering[0] ?? '')).toEqual(['http/webhooks/receive.ts']);
    expect(road(sending[0] ?? '').slice(-2)).toEqual(['crm/amocrm/adapter.ts', 'crm/transport.ts']);
  });
});
