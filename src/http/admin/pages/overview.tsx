/**
 * /admin: the day at a glance — today's calls, deliveries waiting or refused, the CRM
 * connection, and the last reconciliation.
 * @module
 */
import type { Context } from 'hono';
import type { CrmConnectionStatus } from '../../../delivery/admin';
import type { RunView } from '../../../reconcile/report';
import type { AdminEnv } from '../core/env';
import { count, localDate, localTime, windowLabel } from '../core/format';
import { Badge, render } from '../core/layout';
import type { DayCalls } from '../queries/today';
import { FindingCounts } from './finding-counts';

export interface OverviewData {
  zone: string;
  today: DayCalls;
  crm: CrmConnectionStatus;
  lastRun: RunView | null;
}

export function overviewPage(c: Context<AdminEnv>, d: OverviewData) {
  const day = localDate(d.today.from, d.zone);
  const deliveries = (state: string) => d.crm.deliveries[state] ?? 0;
  const run = d.lastRun;
  return render(
    c,
    { title: 'Overview', nav: 'overview' },
    <>
      <h1>Overview</h1>
      <div class="grid">
        <section class="card" id="today">
          <h2>Today's calls</h2>
          <div class="big">{count(d.today.calls)}</div>
          <div class="muted">
            {count(d.today.answered)} answered · {count(d.today.missed)} not answered · {day} ({d.zone})
          </div>
          <p>
            <a href={`/admin/calls?from=${day}&to=${day}`}>Today's calls</a>
          </p>
        </section>
        <section class="card" id="deliveries">
          <h2>Deliveries</h2>
          <table>
            <tbody>
              {(['pending', 'failed', 'skipped'] as const).map((state) => (
                <tr>
                  <td>
                    <a href={`/admin/calls?state=${state}`}>{state}</a>
                  </td>
                  <td class="num" data-state={state}>
                    {count(deliveries(state))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section class="card" id="crm">
          <h2>CRM</h2>
          <p>
            <Badge value={d.crm.status} /> {d.crm.kind === 'sandbox' ? 'sandbox CRM' : (d.crm.baseUrl ?? d.crm.accountId)}
          </p>
          {d.crm.statusReason ? <p class="muted">{d.crm.statusReason}</p> : null}
          <p>
            <a href="/admin/crm">CRM connection</a>
          </p>
        </section>
        <section class="card" id="last-run">
          <h2>Last reconciliation</h2>
          {run ? (
            <>
              <p>
                <a href={`/admin/runs/${run.id}`}>{windowLabel(run.windowFrom, run.windowTo, d.zone)}</a> <Badge value={run.status} />
              </p>
              <p class="muted">
                <FindingCounts counts={run.counts} />
                {run.gapsRemaining !== null ? ` · ${run.gapsRemaining} gaps remaining` : ''}
                {` · started ${localTime(run.startedAt, d.zone)}`}
              </p>
            </>
          ) : (
            <p class="muted">No run yet.</p>
          )}
          <p>
            <a href="/admin/runs">Reconciliation runs</a>
          </p>
        </section>
      </div>
      <p class="muted">
        Also: <a href="/admin/agents">agent statistics</a> · <a href="/docs">API documentation</a>
      </p>
    </>,
  );
}
