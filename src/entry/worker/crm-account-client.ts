/**
 * The Worker's side of the CRM account's Durable Object (crm-account.ts): the SlotStore every
 * SharedBudget of the isolate asks (crm/shared-budget.ts), and the refresh lock OAuthTokens runs
 * its refresh under (crm/amocrm/auth.ts). Each call reaches the account's one object by
 * idFromName(accountId), wherever the isolate runs.
 *
 * Neither fails the work it guards: an object that cannot be reached throws to SharedBudget,
 * which paces this isolate alone (and says so); a lock not had in time, or not reached, lets the
 * refresh run under the database's row lock, which still keeps it single.
 * @module
 */
import type { RefreshLock } from '../../crm/amocrm/auth';
import type { SlotStore } from '../../crm/shared-budget';
import type { Logger } from '../../lib/log';

/** The little of a Durable Object namespace binding used here (the real one satisfies it). */
export interface DurableNamespaceLike {
  idFromName(name: string): unknown;
  get(id: unknown): { fetch(input: string, init?: { method?: string; body?: string; headers?: Record<string, string> }): Promise<AnswerLike> };
}

interface AnswerLike {
  readonly ok: boolean;
  readonly status: number;
  json(): Promise<unknown>;
}

function call(ns: DurableNamespaceLike, account: string, operation: string, body: object): Promise<AnswerLike> {
  const stub = ns.get(ns.idFromName(account));
  return stub.fetch(`https://crm-account/${operation}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
}

function expectOk(answer: AnswerLike, operation: string): void {
  if (!answer.ok) throw new Error(`the CRM account's Durable Object answered ${operation} with HTTP ${answer.status}`);
}

export function durableSlotStore(ns: DurableNamespaceLike): SlotStore {
  return {
    async take(account, priority, rps, margin) {
      const answer = await call(ns, account, 'take', { priority, rps, margin });
      expectOk(answer, 'take');
      const { wait } = (await answer.json()) as { wait?: unknown };
      if (typeof wait !== 'number') throw new Error("the CRM account's Durable Object answered take without a wait");
      return wait;
    },
    async penalize(account, waitMs) {
      expectOk(await call(ns, account, 'penalize', { waitMs: Math.max(0, Math.round(waitMs)) }), 'penalize');
    },
  };
}

export interface RefreshLockOptions {
  /** How long the lock is the holder's at most (amoCRM's token endpoint is given 20 s). */
  ttlMs?: number;
  /** How long to wait for another isolate's refresh. */
  waitMs?: number;
}

export function durableRefreshLock(ns: DurableNamespaceLike, log: Logger, options: RefreshLockOptions = {}): RefreshLock {
  const ttlMs = options.ttlMs ?? 30_000;
  const waitMs = options.waitMs ?? 25_000;
  return async (account, work) => {
    const holder = crypto.randomUUID();
    let held = false;
    try {
      const answer = await call(ns, account, 'lock', { holder, ttlMs, waitMs });
      expectOk(answer, 'lock');
      held = ((await answer.json()) as { granted?: unknown }).granted === true;
      if (!held) log.warn('another isolate held the refresh lock too long; refreshing under the row lock alone', { account });
    } catch (error) {
      log.warn('the refresh lock cannot be reached; refreshing under the row lock alone', { account, error });
    }
    try {
      return await work();
    } finally {
      if (held) {
        await call(ns, account, 'unlock', { holder }).catch((error: unknown) =>
          log.warn('the refresh lock could not be released; it runs out by itself', { account, error }),
        );
      }
    }
  };
}
