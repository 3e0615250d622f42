/**
 * /admin/runs: the reconciliation runs, newest first — window, trigger, status, findings by
 * kind, gaps still open, CRM requests, working time — and the form that starts one for a day.
 * @module
 */
import type { Context } from 'hono';
import type { RunView } from '../../../reconcile/report';
import type { AdminEnv } from '../core/env';
import { count, elapsed, localTime, windowLabel } from '../core/format';
import { Badge, CsrfField, Notice, render } from '../core/layout';
import { FindingCounts } from './finding-counts';

export interface RunsPageData {
  zone: string;
  runs: RunView[];
  /** When older runs exist: the start time of this page's oldest run, the next page's `before`. */
  older: string | null;
  /** Whether this is a later page (then the pager links back to the newest). */
  paged: boolean;
  /** The day in the start form. */
  date: string;
  error?: string;
  notice?: string;
}

export function runsPage(c: Context<AdminEnv>, d: RunsPageData) {
  return render(
    c,
    { title: 'Reconciliation', nav: 'runs', status: d.error ? 400 : 200 },
    <>
      <h1>Reconciliation</h1>
      <Notice code={d.notice} />
      <StartRun csrf={c.get('csrf')} zone={d.zone} date={d.date} error={d.error} />
      <RunsTable runs={d.runs} zone={d.zone} />
      <nav class="pager" aria-label="Pages">
        {d.paged ? <a href="/admin/runs">« Newest</a> : null}
        {d.older ? (
          <a href={`/admin/runs?before=${encodeURIComponent(d.older)}`} rel="next">
            Older runs »
          </a>
        ) : null}
      </nav>
    </>,
  );
}

/** The form that starts a run for one day, and why the last try was refused. */
const StartRun = ({ csrf, zone, date, error }: { csrf: string | undefined; zone: string; date: string; error: string | undefined }) => (
  <section class="card">
    <h2>Run now</h2>
    <form method="post" action="/admin/runs" class="actions" id="start-run">
      <CsrfField token={csrf} />
      <label>
        Day ({zone}) <input type="date" name="date" value={date} required />
      </label>
      <button type="submit">Start reconciliation</button>
    </form>
    {error ? (
      <p class="notice error" role="alert">
        {error}
      </p>
    ) : null}
    <p class="muted">
      Compares the day's calls with the CRM's notes, re-sends what is missing, and lists the rest. A run of a day already in progress is joined, not repeated.
    </p>
  </section>
);

const RunsTable = ({ runs, zone }: { runs: RunView[]; zone: string }) => (
  <div class="scroll" id="runs-table">
    <table>
      <thead>
        <tr>
          <th>Window</th>
          <th>Started</th>
          <th>Trigger</th>
          <th>Status</th>
          <th class="num">Calls</th>
          <th>Findings</th>
          <th class="num">Gaps left</th>
          <th class="num">CRM requests</th>
          <th class="num">Work time</th>
        </tr>
      </thead>
      <tbody>
        {runs.length === 0 ? (
          <tr>
            <td colspan={9} class="muted">
              No runs yet.
            </td>
          </tr>
        ) : (
          runs.map((run) => <RunsTableRow run={run} zone={zone} />)
        )}
      </tbody>
    </table>
  </div>
);

const RunsTableRow = ({ run, zone }: { run: RunView; zone: string }) => (
  <tr data-run-id={run.id}>
    <td>
      <a href={`/admin/runs/${run.id}`}>{windowLabel(run.windowFrom, run.windowTo, zone)}</a>
    </td>
    <td>{localTime(run.startedAt, zone)}</td>
    <td>{run.trigger}</td>
    <td>
      <Badge value={run.status} />
    </td>
    <td class="num">{count(run.calls)}</td>
    <td>
      <FindingCounts counts={run.counts} />
    </td>
    <td class="num">{count(run.gapsRemaining)}</td>
    <td class="num">{count(run.crmRequests)}</td>
    <td class="num">{elapsed(run.workMs)}</td>
  </tr>
);
