import type { DurableObjectNamespace, DurableObjectState, MessageBatch, Queue } from '@cloudflare/workers-types/index';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { LateForBudget } from '../../crm/limiter';
import { memoryLogger } from '../../lib/log';
import { CrmAccount, type CrmAccountState, TurnLock } from './crm-account';
import { type DurableNamespaceLike, durableRefreshLock, durableSlotStore } from './crm-account-client';
import { DurableBudget } from './durable-budget';
import type { QueueBatchLike, QueueProducerLike, QueueWork } from './queues';

/** Durable Object storage in memory; the state's blockConcurrencyWhile runs its callback at once. */
function memoryState(storage = new Map<string, unknown>()): CrmAccountState & { storage: { data: Map<string, unknown> } } {
  return {
    storage: {
      data: storage,
      get: async <T>(key: string) => structuredClone(storage.get(key)) as T | undefined,
      put: async <T>(key: string, value: T) => void storage.set(key, structuredClone(value)),
    },
    blockConcurrencyWhile: (callback) => callback(),
  };
}

/** A namespace of CrmAccount objects, one per name, spoken to over fetch like the real stubs. */
function memoryNamespace(): DurableNamespaceLike & { objects: Map<string, CrmAccount>; down: boolean } {
  const objects = new Map<string, CrmAccount>();
  const ns = {
    objects,
    down: false,
    idFromName: (name: string) => name,
    get: (id: unknown) => ({
      fetch: async (input: string, init?: RequestInit) => {
        if (ns.down) throw new Error('the object is unreachable');
        const name = id as string;
        if (!objects.has(name)) objects.set(name, new CrmAccount(memoryState()));
        return (objects.get(name) as CrmAccount).fetch(new Request(input, init));
      },
    }),
  };
  return ns;
}

const post = (account: CrmAccount, path: string, body: unknown) =>
  account.fetch(new Request(`https://crm-account${path}`, { method: 'POST', body: JSON.stringify(body) }));

describe('the CRM account Durable Object', () => {
  it('takes the real binding types as they are', () => {
    expectTypeOf<DurableObjectNamespace>().toExtend<DurableNamespaceLike>();
    expectTypeOf<DurableObjectState>().toExtend<CrmAccountState>();
    expectTypeOf<Queue<QueueWork>>().toExtend<QueueProducerLike<QueueWork>>();
    expectTypeOf<MessageBatch<unknown>>().toExtend<QueueBatchLike>();
  });

  it('keeps two isolates together within the account’s rate in every window', { timeout: 10_000 }, async () => {
    const ns = memoryNamespace();
    const store = durableSlotStore(ns);
    const rps = 20;
    // Two isolates: each its own budget, one object between them.
    const isolates = [0, 1].map(() => new DurableBudget({ account: 'amocrm:acme.amocrm.ru', rps, store, log: memoryLogger() }));
    const starts: number[] = [];
    const began = Date.now();
    await Promise.all(isolates.flatMap((b) => Array.from({ length: 30 }, () => b.acquire({ priority: 'delivery' }).then(() => starts.push(Date.now())))));
    starts.sort((a, b) => a - b);
    // As amoCRM counts: a sliding second (the budget's 3 % margin absorbs the lag of the answers).
    let busiest = 0;
    for (let i = 0, j = 0; i < starts.length; i++) {
      while ((starts[i] as number) - (starts[j] as number) >= 1000) j++;
      busiest = Math.max(busiest, i - j + 1);
    }
    expect(busiest).toBeLessThanOrEqual(rps);
    // 60 starts at 20 per 1.03 s: two full windows; each isolate alone would have taken one and a half.
    expect(Date.now() - began).toBeGreaterThanOrEqual(2 * 1030 - 50);
    expect([...ns.objects.keys()]).toEqual(['amocrm:acme.amocrm.ru']);
    expect(isolates.map((b) => b.requests)).toEqual([30, 30]);
  });

  it('refuses a request whose slot would come after its deadline, taking no slot', async () => {
    const ns = memoryNamespace();
    const budget = new DurableBudget({ account: 'amocrm:a', rps: 2, store: durableSlotStore(ns), log: memoryLogger() });
    await budget.acquire({ priority: 'live' });
    await budget.acquire({ priority: 'live' });
    await expect(budget.acquire({ priority: 'live', deadline: Date.now() + 50 })).rejects.toBeInstanceOf(LateForBudget);
    expect(budget.late).toBe(1);
    const { wait } = (await (await post(ns.objects.get('amocrm:a') as CrmAccount, '/take', { priority: 0, rps: 2, margin: 0.03 })).json()) as { wait: number };
    expect(wait).toBeGreaterThan(900); // still the first two starts' window: the refused one took nothing
  });

  it('paces the isolate alone while the object cannot be reached, and says so once', async () => {
    const ns = memoryNamespace();
    ns.down = true;
    const log = memoryLogger();
    const budget = new DurableBudget({ account: 'amocrm:a', rps: 20, store: durableSlotStore(ns), log });
    const began = Date.now();
    await Promise.all(Array.from({ length: 5 }, () => budget.acquire()));
    expect(Date.now() - began).toBeGreaterThanOrEqual(4 * 50);
    expect(log.lines.filter((l) => l.includes('cannot be reached'))).toHaveLength(1);
    ns.down = false;
    await budget.acquire();
    expect(log.lines.filter((l) => l.includes('answers again'))).toHaveLength(1);
  });

  it('keeps a 429 in its storage: a restarted object still pauses everyone', async () => {
    const state = memoryState();
    const before = new CrmAccount(state);
    expect((await post(before, '/penalize', { waitMs: 5000 })).status).toBe(204);
    expect(state.storage.data.get('penalty')).toMatchObject({ scale: 0.5 });
    const after = new CrmAccount(memoryState(state.storage.data));
    const { wait } = (await (await post(after, '/take', { priority: 0, rps: 7, margin: 0.03 })).json()) as { wait: number };
    expect(wait).toBeGreaterThan(4000);
  });

  it('answers a malformed request with 400, naming the field', async () => {
    const account = new CrmAccount(memoryState());
    const bad = await post(account, '/take', { priority: 5, rps: 7, margin: 0.03 });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'priority: 0 (live), 1 (delivery) or 2 (background)' });
    expect((await account.fetch(new Request('https://crm-account/take', { method: 'POST', body: 'x' }))).status).toBe(400);
    expect((await post(account, '/nothing', {})).status).toBe(404);
  });
});

describe('the refresh lock', () => {
  const slowly = (log: string[], name: string, ms: number) => async () => {
    log.push(`${name} in`);
    await new Promise((r) => setTimeout(r, ms));
    log.push(`${name} out`);
    return name;
  };

  it('lets one refresh of an account run at a time; other accounts do not wait', async () => {
    const ns = memoryNamespace();
    const lock = durableRefreshLock(ns, memoryLogger());
    const log: string[] = [];
    const results = await Promise.all([
      lock('amocrm:a', slowly(log, 'a1', 80)),
      lock('amocrm:a', slowly(log, 'a2', 10)),
      lock('amocrm:b', slowly(log, 'b1', 10)),
    ]);
    expect(results).toEqual(['a1', 'a2', 'b1']);
    const a = log.filter((l) => l.startsWith('a'));
    expect(a).toEqual(['a1 in', 'a1 out', 'a2 in', 'a2 out']);
    // b ran while a1 held account a's lock.
    expect(log.indexOf('b1 out')).toBeLessThan(log.indexOf('a1 out'));
  });

  it('runs the refresh anyway, and says so, when the lock is not had in time or cannot be reached', async () => {
    const ns = memoryNamespace();
    const logger = memoryLogger();
    const log: string[] = [];
    const holding = durableRefreshLock(ns, logger, { ttlMs: 5000 })('amocrm:a', slowly(log, 'long', 300));
    const impatient = durableRefreshLock(ns, logger, { waitMs: 50 });
    expect(await impatient('amocrm:a', slowly(log, 'short', 1))).toBe('short');
    expect(log.slice(0, 3)).toEqual(['long in', 'short in', 'short out']);
    await holding;
    ns.down = true;
    expect(await impatient('amocrm:a', async () => 'alone')).toBe('alone');
    expect(logger.lines.filter((l) => l.includes('held the refresh lock too long'))).toHaveLength(1);
    expect(logger.lines.filter((l) => l.includes('cannot be reached'))).toHaveLength(1);
  });

  it('lets go of a holder that never released once its time to live is out', async () => {
    let now = 0;
    const lock = new TurnLock(() => now);
    expect(await lock.acquire('dead', 1000, 0)).toBe(true);
    expect(await lock.acquire('next', 1000, 0)).toBe(false);
    now = 1000;
    expect(await lock.acquire('next', 1000, 0)).toBe(true);
    lock.release('dead'); // not the holder any more: nothing happens
    expect(await lock.acquire('third', 1000, 0)).toBe(false);
  });
});
