/**
 * What every route of the sandbox shares: the store, the resolved options, the clock, the
 * counters, the limiter and the fault dice. Built once per sandbox and passed in — no singletons,
 * so two sandboxes in one process (two accounts) never see each other.
 * @module
 */
import type { FaultInjector } from './faults';
import type { AccountLimiter } from './limits';
import type { ResolvedOptions } from './options';
import type { StatsRecorder } from './stats';
import type { SandboxStore } from './store';

export interface SandboxContext {
  store: SandboxStore;
  options: ResolvedOptions;
  stats: StatsRecorder;
  limiter: AccountLimiter;
  faults: FaultInjector;
  /** Unix seconds now, from the sandbox clock. */
  unix(): number;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
