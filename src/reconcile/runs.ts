/**
 * Starting, continuing and resuming reconciliation runs — the one entry the schedule (croner on
 * Node, a Cron Trigger on Workers), the API, the console and the CLI all call.
 *
 * A window has at most one live run (a partial unique index): a second start joins it. A run is
 * worked in time-boxed slices, each under the run's lease, so two processes never work the same
 * run and a crashed one's run is picked up once its lease runs out; a paused run is resumed by
 * the next tick. When a run ends with gaps still open, or the CRM stopped it, the alert goes out.
 * @module
 */
import { and, eq, inArray, lt, or, isNull, sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { reconcileRuns, type RunProgress } from '../db/schema';
import { describeError } from '../lib/log';
import type { ReconcileDeps } from './deps';
import { runSlice, type RunRow } from './engine';
import { sendAlert } from './alert';
import { dayWindow, yesterday, type Window } from './window';

/** This process (or isolate) in leases: the entry's name for it, or one made on first use. */
export function processOwner(deps: ReconcileDeps): string {
  return (deps.owner ??= `app:${crypto.randomUUID().slice(0, 8)}`);
}

/** A slice a request starts in the background: within the runtime's allowance, paused when the process stops. */
export function backgroundSlice(deps: ReconcileDeps): ContinueOptions {
  return {
    owner: processOwner(deps),
    ...(deps.backgroundBudgetMs ? { budgetMs: deps.backgroundBudgetMs } : {}),
    ...(deps.stopping ? { signal: deps.stopping } : {}),
  };
}

/**
 * Starts a run (or joins the live one) and works its first slice in the background, as the API
 * and the console do; whatever the slice leaves, the schedule resumes.
 */
export async function startInBackground(deps: ReconcileDeps, request: RunRequest): Promise<{ id: string; joined: boolean }> {
  const started = await startRun(deps, request, 'manual');
  if (!started.joined) deps.defer?.(continueRun(deps, started.id, backgroundSlice(deps)));
  return { id: started.id, joined: started.joined };
}

export type RunTrigger = 'nightly' | 'manual';

export interface RunRequest {
  /** A local day (YYYY-MM-DD) in the configured time zone. */
  date?: string;
  from?: Date;
  to?: Date;
}

/** The longest window one run may cover. */
export const MAX_WINDOW_DAYS = 31;

export class RunRequestError extends Error {}

/** The window a request names: a day, a from/to, or (neither) yesterday. Throws RunRequestError. */
export function requestedWindow(deps: ReconcileDeps, request: RunRequest): Window {
  const now = (deps.now ?? (() => new Date()))();
  const zone = deps.config.time_zone;
  let window: Window;
  if (request.date !== undefined) {
    if (request.from || request.to) throw new RunRequestError('give either date or from/to, not both');
    try {
      window = dayWindow(request.date, zone);
    } catch (error) {
      throw new RunRequestError((error as Error).message);
    }
  } else if (request.from || request.to) {
    if (!request.from || !request.to) throw new RunRequestError('from and to go together');
    window = { from: request.from, to: request.to };
  } else {
    window = yesterday(zone, now);
  }
  if (!(window.from < window.to)) throw new RunRequestError('the window is empty: from must be before to');
  if (window.from >= now) throw new RunRequestError('the window has not begun yet');
  if (window.to.getTime() - window.from.getTime() > MAX_WINDOW_DAYS * 86_400_000) {
    throw new RunRequestError(`a run covers at most ${MAX_WINDOW_DAYS} days`);
  }
  return window;
}

const freshProgress = (): RunProgress => ({ pulled: [], crm: { entity: null, page: 1, done: false }, compared: false, repushed: false });

/**
 * Starts a run of the window (or joins the live one) — without working on it. The caller works
 * it: `continueRun` now, `deps.defer(continueRun(…))` in the background, or the next tick.
 */
export async function startRun(deps: ReconcileDeps, request: RunRequest, trigger: RunTrigger): Promise<{ id: string; joined: boolean; window: Window }> {
  const window = requestedWindow(deps, request);
  const now = (deps.now ?? (() => new Date()))();
  for (let attempt = 0; attempt < 3; attempt++) {
    const [created] = await deps.db
      .insert(reconcileRuns)
      .values({ windowFrom: window.from, windowTo: window.to, trigger, status: 'running', progress: freshProgress(), startedAt: now })
      .onConflictDoNothing({ target: [reconcileRuns.windowFrom, reconcileRuns.windowTo], where: sql`status in ('running', 'paused')` })
      .returning({ id: reconcileRuns.id });
    if (created) {
      deps.log.info('reconciliation started', { run: created.id, trigger, from: window.from.toISOString(), to: window.to.toISOString() });
      return { id: created.id, joined: false, window };
    }
    const [live] = await deps.db
      .select({ id: reconcileRuns.id })
      .from(reconcileRuns)
      .where(and(eq(reconcileRuns.windowFrom, window.from), eq(reconcileRuns.windowTo, window.to), inArray(reconcileRuns.status, ['running', 'paused'])));
    // The live run may have finished between the two statements: then start anew.
    if (live) return { id: live.id, joined: true, window };
  }
  throw new Error('could not start or join a run of the window');
}

export interface ContinueOptions {
  /** Identifies this process in the run's lease. */
  owner: string;
  /** Work for at most this long, then pause (default: reconcile.budget_seconds). */
  budgetMs?: number;
  /** Aborted: the slice pauses at its next page (the process is stopping). */
  signal?: AbortSignal;
}

/**
 * Works on a run for one slice, if no one else holds it. Returns the run as the slice left it
 * (or as it is, when another process holds it or it is over).
 */
export async function continueRun(deps: ReconcileDeps, runId: string, options: ContinueOptions): Promise<RunRow | null> {
  const budgetMs = options.budgetMs ?? deps.config.reconcile.budget_seconds * 1000;
  const leaseSeconds = Math.ceil(budgetMs / 1000) + 120;
  const began = Date.now();
  const [run] = await deps.db
    .update(reconcileRuns)
    .set({ status: 'running', leaseOwner: options.owner, leaseExpiresAt: new Date(began + leaseSeconds * 1000), updatedAt: new Date() })
    .where(
      and(
        eq(reconcileRuns.id, runId),
        inArray(reconcileRuns.status, ['running', 'paused']),
        or(isNull(reconcileRuns.leaseOwner), eq(reconcileRuns.leaseOwner, options.owner), lt(reconcileRuns.leaseExpiresAt, new Date(began))),
      ),
    )
    .returning();
  if (!run) return (await deps.db.select().from(reconcileRuns).where(eq(reconcileRuns.id, runId)))[0] ?? null;

  let end;
  try {
    end = await runSlice(deps, run, { owner: options.owner, deadline: began + budgetMs, leaseSeconds, ...(options.signal ? { signal: options.signal } : {}) });
  } catch (error) {
    deps.log.error('reconciliation slice failed', { run: runId, error });
    end = { status: 'failed' as const, error: describeError(error) };
  }
  const finished = end.status === 'paused' ? null : new Date();
  const [after] = await deps.db
    .update(reconcileRuns)
    .set({
      status: end.status,
      ...(end.status === 'failed' ? { error: end.error } : {}),
      ...(finished ? { finishedAt: finished } : {}),
      workMs: sql`${reconcileRuns.workMs} + ${Date.now() - began}`,
      leaseOwner: null,
      leaseExpiresAt: null,
      updatedAt: new Date(),
    })
    .where(and(eq(reconcileRuns.id, runId), eq(reconcileRuns.leaseOwner, options.owner)))
    .returning();
  if (!after) return null;
  deps.log.info('reconciliation slice ended', {
    run: runId,
    status: after.status,
    ...(end.status === 'paused' ? { reason: end.reason } : {}),
    ...(after.error ? { error: after.error } : {}),
    gapsRemaining: after.gapsRemaining,
    crmRequests: after.crmRequests,
  });
  if (after.status === 'failed' || (after.status === 'done' && (after.gapsRemaining ?? 0) > 0)) await sendAlert(deps, after);
  return after;
}

/** Works a run slice after slice until it is over (the CLI; tests). */
export async function runToEnd(deps: ReconcileDeps, runId: string, options: ContinueOptions & { onSlice?: (run: RunRow) => void }): Promise<RunRow> {
  for (;;) {
    const run = await continueRun(deps, runId, options);
    if (!run) throw new Error(`run ${runId} is gone`);
    options.onSlice?.(run);
    if (run.status === 'done' || run.status === 'failed') return run;
    if (run.leaseOwner && run.leaseOwner !== options.owner) await new Promise((resolve) => setTimeout(resolve, 1000));
    else if (run.status === 'paused' && run.progress.transientFailures) await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

/** Live runs no one is working on (paused, or their worker died): one slice of the oldest. */
export async function resumeRuns(deps: ReconcileDeps, options: ContinueOptions): Promise<RunRow | null> {
  const now = new Date();
  const [next] = await deps.db
    .select({ id: reconcileRuns.id })
    .from(reconcileRuns)
    .where(and(inArray(reconcileRuns.status, ['running', 'paused']), or(isNull(reconcileRuns.leaseOwner), lt(reconcileRuns.leaseExpiresAt, now))))
    .orderBy(reconcileRuns.startedAt)
    .limit(1);
  return next ? continueRun(deps, next.id, options) : null;
}

/**
 * Yesterday's run, started if the nightly time (reconcile.time, time_zone) has passed today and
 * no run of yesterday exists yet: the schedule's catch-up after downtime, and on Workers the
 * every-minute trigger's guarantee that the nightly trigger was not missed.
 */
export async function startNightlyIfDue(deps: ReconcileDeps): Promise<{ id: string } | null> {
  const { reconcile, time_zone: zone } = deps.config;
  if (!reconcile.enabled) return null;
  const now = (deps.now ?? (() => new Date()))();
  const [hh = 0, mm = 0] = reconcile.time.split(':').map(Number);
  const local = DateTime.fromJSDate(now, { zone });
  if (local < local.set({ hour: hh, minute: mm, second: 0, millisecond: 0 })) return null;
  const window = yesterday(zone, now);
  const [existing] = await deps.db
    .select({ id: reconcileRuns.id })
    .from(reconcileRuns)
    .where(and(eq(reconcileRuns.windowFrom, window.from), eq(reconcileRuns.windowTo, window.to)))
    .limit(1);
  if (existing) return null;
  deps.log.info('the nightly reconciliation has not run yet today: starting it');
  const { id } = await startRun(deps, {}, 'nightly');
  return { id };
}

/** The nightly run: yesterday, in the configured time zone, one slice now (the rest resumes). */
export async function nightlyRun(deps: ReconcileDeps, options: ContinueOptions): Promise<RunRow | null> {
  if (!deps.config.reconcile.enabled) return null;
  const { id } = await startRun(deps, {}, 'nightly');
  return continueRun(deps, id, options);
}
