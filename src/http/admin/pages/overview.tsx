/**
 * /admin: the day at a glance — today's calls, deliveries waiting or refused, the CRM
 * connection, the last reconciliation, and (owners and admins) the queues' dead letters.
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
  /** Queue messages the Worker gave up on; null: not for this role. */
  deadLetters: number | null;
}

/** The latest reconciliation run, with its findings. */
const LastRun = ({ run, zone }: { run: OverviewData['lastRun']; zone: string }) => (
  <section class="card" id="last-run">
    <h2>Last reconciliation</h2>
    {run ? (
      <>
        <p>
          <a href={`/admin/runs/${run.id}`}>{windowLabel(run.windowFrom, run.windowTo, zone)}</a> <Badge value={run.status} />
        </p>
        <p class="muted">
          <FindingCounts counts={run.counts} />
          {run.gapsRemaining !== null ? ` · ${run.gapsRemaining} gaps remaining` : ''}
          {` · started ${localTime(run.startedAt, zone)}`}
        </p>
      </>
    ) : (
      <p class="muted">No run yet.</p>
    )}
    <p>
      <a href="/admin/runs">Reconciliation runs</a>
    </p>
  </section>
);

export function overviewPage(c: Context<AdminEnv>, d: OverviewData) {
  const day = localDate(d.today.from, d.zone);
  const deliveries = (state: string) => d.crm.deliveries[state] ?? 0;
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
        <LastRun run={d.lastRun} zone={d.zone} />
        {d.deadLetters !== null ? (
          <section class="card" id="dead-letters">
            <h2>Dead letters</h2>
            <div class="big">{count(d.deadLetters)}</div>
            <p class="muted">Queue messages the Worker gave up on after its retries.</p>
            <p>
              <a href="/admin/dead-letters">Dead letters</a>
            </p>
          </section>
        ) : null}
      </div>
      <p class="muted">
        Also: <a href="/admin/agents">agent statistics</a> · <a href="/docs">API documentation</a>
      </p>
    </>,
  );
}
