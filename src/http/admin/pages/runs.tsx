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

export function runsPage(
  c: Context<AdminEnv>,
  d: { zone: string; runs: RunView[]; older: string | null; paged: boolean; date: string; error?: string; notice?: string },
) {
  return render(
    c,
    { title: 'Reconciliation', nav: 'runs', status: d.error ? 400 : 200 },
    <>
      <h1>Reconciliation</h1>
      <Notice code={d.notice} />
      <section class="card">
        <h2>Run now</h2>
        <form method="post" action="/admin/runs" class="actions" id="start-run">
          <CsrfField token={c.get('csrf')} />
          <label>
            Day ({d.zone}){' '}
            <input type="date" name="date" value={d.date} required />
          </label>
          <button type="submit">
            Start reconciliation
          </button>
        </form>
        {d.error ? (
          <p class="notice error" role="alert">
            {d.error}
          </p>
        ) : null}
        <p class="muted">Compares the day's calls with the CRM's notes, re-sends what is missing, and lists the rest. A run of a day already in progress is joined, not repeated.</p>
      </section>
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
            {d.runs.length === 0 ? (
              <tr>
                <td colspan={9} class="muted">
                  No runs yet.
                </td>
              </tr>
            ) : (
              d.runs.map((run) => (
                <tr data-run-id={run.id}>
                  <td>
                    <a href={`/admin/runs/${run.id}`}>{windowLabel(run.windowFrom, run.windowTo, d.zone)}</a>
                  </td>
                  <td>{localTime(run.startedAt, d.zone)}</td>
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
              ))
            )}
          </tbody>
        </table>
      </div>
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
