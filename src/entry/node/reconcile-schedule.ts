/**
 * Node: the nightly reconciliation at reconcile.time in the configured time zone (croner), and
 * every half minute a slice of any live run no one is working on (a paused run, or one whose
 * process died). A service that was down at the scheduled time catches up: yesterday's run is
 * started on the first check after reconcile.time when there is none yet. One slice at a time
 * per process; a stop ends the slice in hand at its next page and waits for it.
 * @module
 */
import { Cron } from 'croner';
import type { AppDeps } from '../../deps';
import { continueRun, nightlyRun, resumeRuns, startNightlyIfDue } from '../../reconcile/runs';

export interface ReconcileSchedule {
  /** When the next nightly run starts (null: disabled). */
  nextRun(): Date | null;
  stop(): Promise<void>;
}

export function startReconcileSchedule(deps: AppDeps, owner: string, options: { resumeEveryMs?: number } = {}): ReconcileSchedule {
  const { reconcile, time_zone: zone } = deps.config;
  const stopping = new AbortController();
  const slice = { owner, signal: stopping.signal };
  let running: Promise<unknown> | null = null;
  const work = (what: string, fn: () => Promise<unknown>) => {
    if (running || stopping.signal.aborted) return;
    running = fn()
      .catch((error) => deps.log.error(`reconciliation ${what} failed`, { error }))
      .finally(() => (running = null));
  };

  const [hour, minute] = reconcile.time.split(':');
  const job = reconcile.enabled
    ? new Cron(`${Number(minute)} ${Number(hour)} * * *`, { timezone: zone, unref: true, protect: true }, () =>
        work('nightly run', () => nightlyRun(deps, slice)),
      )
    : null;
  let caughtUp = false;
  const resume = setInterval(
    () =>
      work('resume', async () => {
        if (!caughtUp) {
          caughtUp = true;
          const started = await startNightlyIfDue(deps);
          if (started) return continueRun(deps, started.id, slice);
        }
        return resumeRuns(deps, slice);
      }),
    options.resumeEveryMs ?? 30_000,
  );
  resume.unref();

  return {
    nextRun: () => job?.nextRun() ?? null,
    async stop() {
      stopping.abort();
      job?.stop();
      clearInterval(resume);
      await running;
    },
  };
}
