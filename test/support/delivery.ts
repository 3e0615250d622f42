/**
 * The app with the sandbox amoCRM in process and a delivery worker, for delivery tests: post
 * calls through the webhook, drain, and read what landed in the sandbox.
 */
import { SANDBOX_TOKEN } from '../../src/crm/connect';
import { createAmoSandbox, type AmoSandbox, type SandboxOptions } from '../../src/sandbox';
import type { IntegratorConfig } from '../../src/settings/integrator';
import type { RecordingsRuntime } from '../../src/deps';
import { createDeliveryWorker } from '../../src/delivery/setup';
import type { DeliveryWorker } from '../../src/delivery/worker';
import { harness, type Harness } from './app';
import type { TestDb } from './db';

export interface DeliveryHarness extends Harness {
  sandbox: AmoSandbox;
  worker: DeliveryWorker;
  /** Drains until nothing is due right now (moving no clocks). */
  drain(): ReturnType<DeliveryWorker['drain']>;
}

export function deliveryHarness(
  db: TestDb,
  options: {
    sandbox?: SandboxOptions;
    config?: Partial<IntegratorConfig>;
    env?: Record<string, string>;
    timeoutMs?: number;
    recordings?: RecordingsRuntime;
  } = {},
): DeliveryHarness {
  const clock = { now: new Date('2026-11-20T08:00:00Z') };
  // The sandbox dates its records by the test's clock; its rate limit counts real time.
  const sandbox = createAmoSandbox({
    seed: 'demo',
    longLivedTokens: [SANDBOX_TOKEN],
    rps: 50,
    now: () => clock.now,
    rateClock: () => Date.now(),
    ...options.sandbox,
  });
  const h = harness(db, {
    start: clock.now,
    env: { AMOCRM_RPS: '50', DELIVERY_LEASE_SECONDS: '10', ...options.env },
    ...(options.config ? { config: options.config } : {}),
    deps: { sandbox, ...(options.recordings ? { recordings: options.recordings } : {}) },
  });
  const worker = createDeliveryWorker(h.deps, {
    owner: `test:${Math.random().toString(36).slice(2, 8)}`,
    limiters: new Map(),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });
  if (!worker) throw new Error('no delivery worker');
  Object.defineProperty(clock, 'now', { get: () => h.clock.now });
  return { ...h, sandbox, worker, drain: () => worker.drain({ budgetMs: 60_000 }) };
}

/** The generic webhook's uniq for a call id, as the ledger computes it. */
export { conversationUniq } from '../../src/ledger/versions';
