/**
 * The Node service's two loops, apart from the server that starts them: the delivery loop
 * (one drain at a time, woken when calls settle and after every tick) and the periodic tick
 * (inbox retries, settling, recordings) on a timer. Both stop on the service's stop signal and
 * hand back the work in hand, so the stop can wait for it before the database is closed.
 * @module
 */
import type { AppDeps } from '../../deps';
import type { DeliveryWorker } from '../../delivery/worker';
import { runTick } from '../../jobs';
import type { Logger } from '../../lib/log';

export interface DeliveryLoop {
  /** Asks for a drain: starts one, or another one right after the drain in hand. */
  wake(): void;
  /** The drain in hand, if any. */
  inHand(): Promise<unknown> | null;
}

/** The delivery loop; no worker (no CRM account) makes waking it a no-op. */
export function deliveryLoop(worker: DeliveryWorker | null, stop: AbortSignal, log: Logger): DeliveryLoop {
  // One drain at a time; a wake during a drain asks for another one right after it.
  let draining: Promise<unknown> | null = null;
  let again = false;
  const wake = () => {
    if (!worker || stop.aborted) return;
    if (draining) {
      again = true;
      return;
    }
    again = false;
    draining = worker
      .drain({ budgetMs: 20_000, shouldStop: () => stop.aborted })
      .then((report) => {
        if (report.claimed > 0 && report.stopped === null) again = true;
      })
      .catch((error) => log.error('delivery drain failed', { error }))
      .finally(() => {
        draining = null;
        if (again && !stop.aborted) setImmediate(wake);
      });
  };
  return { wake, inHand: () => draining };
}

export interface TickLoop {
  /** Runs the first tick now; each next one is scheduled when the previous one ends. */
  start(): void;
  /** Cancels the next scheduled tick (the one running, if any, goes on). */
  halt(): void;
  /** The tick running, or the last one (settled). */
  inHand(): Promise<unknown>;
}

/** The periodic tick: due work, then a wake of the delivery loop; every `everyMs` until the stop. */
export function tickLoop(deps: AppDeps, wakeDelivery: () => void, stop: AbortSignal, everyMs: number): TickLoop {
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<unknown> = Promise.resolve();
  const tick = () => {
    ticking = runTick(deps)
      .then(() => wakeDelivery())
      .catch((error) => deps.log.error('tick failed', { error }))
      .finally(() => {
        if (!stop.aborted) timer = setTimeout(tick, everyMs);
      });
  };
  return { start: tick, halt: () => clearTimeout(timer), inHand: () => ticking };
}
