/**
 * What one slice of a run carries from phase to phase: the run's progress, the time budget (every
 * slice does at least one unit of work, then stops at its deadline), the clock of each phase, the
 * CRM requests spent on the run's behalf, and saving all of it under the run's lease. The phases
 * (phases.ts) share it; the engine (engine.ts) makes one per slice.
 * @module
 */
import { and, eq, sql } from 'drizzle-orm';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import type { Db } from '../db/client';
import { reconcileRuns, type RunProgress } from '../db/schema';
import type { Logger } from '../lib/log';
import type { ReconcileDeps } from './deps';

export type RunRow = typeof reconcileRuns.$inferSelect;

export interface SliceOptions {
  owner: string;
  /** When this slice must stop working (Date.now() clock). */
  deadline: number;
  leaseSeconds: number;
  /** Aborted: pause at the next page. */
  signal?: AbortSignal;
}

/** How the slice ended: the run is finished, or paused to be resumed by a later slice. */
export type SliceEnd = { status: 'done' } | { status: 'paused'; reason: string } | { status: 'failed'; error: string };

/** Thrown when the slice's time is up (or it was aborted): the run pauses where it stands. */
export class OutOfTime extends Error {}

/** Counts every request sent to the CRM on behalf of the run (token refreshes included). */
function countingDeps(deps: ReconcileDeps, counter: { n: number }): ReconcileDeps {
  const sandbox = deps.sandbox;
  const base = deps.crmFetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  return {
    ...deps,
    ...(sandbox
      ? {
          sandbox: {
            fetch: (request: Request) => {
              counter.n++;
              return sandbox.fetch(request);
            },
          },
        }
      : {}),
    crmFetch: ((input: RequestInfo | URL, init?: RequestInit) => {
      counter.n++;
      return base(input, init);
    }) as typeof fetch,
  };
}

/** One slice's working state; the phases read and advance it. */
export class Slice {
  readonly db: Db;
  readonly log: Logger;
  readonly now: () => Date;
  /** The deps whose CRM requests are counted to the run (the CRM listing, the delivery worker). */
  readonly crmDeps: ReconcileDeps;
  readonly progress: RunProgress;
  readonly window: { from: Date; to: Date };
  private readonly counter = { n: 0 };
  // Every slice does at least one unit of work (a page, the comparison, a drain), so a run
  // always moves forward, however small its budget.
  private worked = false;
  private phase = 'pull';
  private phaseStarted: number;

  constructor(
    readonly deps: ReconcileDeps,
    readonly run: RunRow,
    readonly options: SliceOptions,
  ) {
    this.db = deps.db;
    this.log = deps.log.child({ component: 'reconcile', run: run.id });
    this.now = deps.now ?? (() => new Date());
    this.crmDeps = countingDeps(deps, this.counter);
    this.progress = structuredClone(run.progress);
    this.window = { from: run.windowFrom, to: run.windowTo };
    this.progress.phaseMs ??= {};
    this.phaseStarted = performance.now();
  }

  /** Throws OutOfTime when the slice was aborted, or has worked and its deadline passed. */
  checkTime(): void {
    if (this.options.signal?.aborted || (this.worked && Date.now() >= this.options.deadline)) throw new OutOfTime();
  }

  /** A unit of work is done: the slice has moved the run, and may now stop. */
  markWorked(): void {
    this.worked = true;
  }

  /** A unit of work is done, and the slice stops here if its time is up. */
  unitDone(): void {
    this.markWorked();
    this.checkTime();
  }

  /** Adds the time spent in the current phase to its total, and starts the clock of the next. */
  enter(next: string): void {
    const t = performance.now();
    this.progress.phaseMs![this.phase] = Math.round((this.progress.phaseMs![this.phase] ?? 0) + t - this.phaseStarted);
    this.phase = next;
    this.phaseStarted = t;
  }

  /** Saves progress and the requests spent so far, and renews the run's lease. */
  async save(db: Db, extra: PgUpdateSetSource<typeof reconcileRuns> = {}): Promise<void> {
    const spent = this.counter.n;
    this.counter.n = 0;
    await db
      .update(reconcileRuns)
      .set({
        progress: this.progress,
        crmRequests: sql`${reconcileRuns.crmRequests} + ${spent}`,
        leaseExpiresAt: new Date(Date.now() + this.options.leaseSeconds * 1000),
        updatedAt: new Date(),
        ...extra,
      })
      .where(and(eq(reconcileRuns.id, this.run.id), eq(reconcileRuns.leaseOwner, this.options.owner)));
  }

  /** The time is up: the current phase's clock and the progress are saved, to be resumed. */
  async pause(): Promise<SliceEnd> {
    this.enter(this.phase);
    await this.save(this.db);
    return { status: 'paused', reason: 'the slice used its time budget' };
  }
}
