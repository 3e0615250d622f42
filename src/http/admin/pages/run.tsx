/**
 * /admin/runs/:id: one run — its figures and findings by kind, then the findings a page at a
 * time (filtered by kind), each with its call and a link to the call's page; the CSV export.
 * @module
 */
import type { Context } from 'hono';
import { FINDING_ACTIONS, FINDING_KINDS } from '../../../domain/reconcile';
import type { FindingView, RunView } from '../../../reconcile/report';
import type { AdminEnv } from '../core/env';
import { count, elapsed, localTime, windowLabel } from '../core/format';
import { Badge, Notice, render } from '../core/layout';
import { Direction } from './calls';
import { findingCounts, KIND_LABELS } from './finding-counts';

export interface RunPageData {
  zone: string;
  run: RunView;
  findings: FindingView[];
  /** The kind the findings are filtered by; '' for all. */
  kind: string;
  after: number | null;
  next: number | null;
  notice?: string;
}

function detailText(detail: Record<string, unknown>): string {
  const entries = Object.entries(detail);
  return entries.map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join('; ');
}

/** The run page's own address, keeping the kind filter; `after` picks a page of findings. */
function runPageHref(base: string, kind: string, after?: number): string {
  const params = new URLSearchParams();
  if (kind) params.set('kind', kind);
  if (after !== undefined) params.set('after', String(after));
  const text = params.toString();
  return text ? `${base}?${text}` : base;
}

export function runPage(c: Context<AdminEnv>, d: RunPageData) {
  const run = d.run;
  const base = `/admin/runs/${run.id}`;
  return render(
    c,
    { title: `Run ${windowLabel(run.windowFrom, run.windowTo, d.zone)}`, nav: 'runs' },
    <>
      <p class="muted">
        <a href="/admin/runs">« Reconciliation</a>
      </p>
      <h1>
        Reconciliation {windowLabel(run.windowFrom, run.windowTo, d.zone)} <Badge value={run.status} />
      </h1>
      <Notice code={d.notice} />
      <section class="card">
        <RunSummary run={run} zone={d.zone} />
      </section>
      <FindingsByKind run={run} base={base} kind={d.kind} />
      <FindingsTable findings={d.findings} kind={d.kind} zone={d.zone} />
      <nav class="pager" aria-label="Pages">
        {d.after !== null ? <a href={runPageHref(base, d.kind)}>« First findings</a> : null}
        {d.next !== null ? (
          <a href={runPageHref(base, d.kind, d.next)} rel="next">
            More findings »
          </a>
        ) : null}
      </nav>
    </>,
  );
}

/** The run's figures: window, trigger, times, counts, its error and what it did. */
const RunSummary = ({ run, zone }: { run: RunView; zone: string }) => {
  const actions = FINDING_ACTIONS.filter((a) => (run.counts[a] ?? 0) > 0);
  return (
    <dl class="kv" id="run-summary">
      <dt>Window</dt>
      <dd>
        {localTime(run.windowFrom, zone)} – {localTime(run.windowTo, zone)}
      </dd>
      <dt>Trigger</dt>
      <dd>{run.trigger}</dd>
      <dt>Started</dt>
      <dd>{localTime(run.startedAt, zone)}</dd>
      <dt>Finished</dt>
      <dd>{localTime(run.finishedAt, zone)}</dd>
      <dt>Work time</dt>
      <dd>{elapsed(run.workMs)}</dd>
      <dt>Calls in the ledger</dt>
      <dd>{count(run.calls)}</dd>
      <dt>CRM notes seen</dt>
      <dd>{count(run.crmNotes)}</dd>
      <dt>CRM requests</dt>
      <dd>{count(run.crmRequests)}</dd>
      <dt>Gaps remaining</dt>
      <dd>{count(run.gapsRemaining)}</dd>
      {run.error ? (
        <>
          <dt>Error</dt>
          <dd>{run.error}</dd>
        </>
      ) : null}
      {actions.length ? (
        <>
          <dt>Done</dt>
          <dd>{actions.map((a) => `${a} ${run.counts[a]}`).join(' · ')}</dd>
        </>
      ) : null}
    </dl>
  );
};

/** The findings' counts by kind (each a link to that kind), the kind filter and the CSV link. */
const FindingsByKind = ({ run, base, kind }: { run: RunView; base: string; kind: string }) => (
  <section class="card">
    <h2>Findings</h2>
    <div class="scroll">
      <table id="finding-counts">
        <tbody>
          {findingCounts(run.counts).map(([k, n]) => (
            <tr>
              <td>
                <a href={`${base}?kind=${k}`}>{KIND_LABELS[k]}</a>
              </td>
              <td class="num" data-kind={k}>
                {count(n)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
    <div class="actions">
      <KindFilter base={base} kind={kind} />
      <a href={`${base}.csv`} download id="csv-export">
        Download CSV
      </a>
    </div>
  </section>
);

const KindFilter = ({ base, kind }: { base: string; kind: string }) => (
  <form method="get" action={base} class="actions">
    <label>
      Kind{' '}
      <select name="kind">
        <option value="">all</option>
        {FINDING_KINDS.map((k) => (
          <option value={k} selected={kind === k}>
            {KIND_LABELS[k]}
          </option>
        ))}
      </select>
    </label>
    <button type="submit" class="secondary">
      Filter
    </button>
  </form>
);

/** A page of findings, each with its call; `kind` only words the empty table. */
const FindingsTable = ({ findings, kind, zone }: { findings: FindingView[]; kind: string; zone: string }) => (
  <div class="scroll" id="findings-table">
    <table>
      <thead>
        <tr>
          <th>Kind</th>
          <th>Action</th>
          <th>Resolved</th>
          <th>Call time</th>
          <th>Direction</th>
          <th>Number</th>
          <th>Extension</th>
          <th>Outcome</th>
          <th>Delivery</th>
          <th>Detail</th>
        </tr>
      </thead>
      <tbody>
        {findings.length === 0 ? (
          <tr>
            <td colspan={10} class="muted">
              No findings{kind ? ' of this kind' : ''}.
            </td>
          </tr>
        ) : (
          findings.map((f) => <FindingRow finding={f} zone={zone} />)
        )}
      </tbody>
    </table>
  </div>
);

const FindingRow = ({ finding: f, zone }: { finding: FindingView; zone: string }) => (
  <tr data-finding={String(f.id)}>
    <td>{KIND_LABELS[f.kind] ?? f.kind}</td>
    <td>{f.action}</td>
    <td>{f.resolved ? 'yes' : 'no'}</td>
    <td>{f.conversationId ? <a href={`/admin/calls/${f.conversationId}`}>{localTime(f.startedAt, zone)}</a> : '—'}</td>
    <td>
      <Direction value={f.direction} />
    </td>
    <td>{f.externalNumber ?? '—'}</td>
    <td>{f.extension ?? '—'}</td>
    <td>{f.outcome ?? '—'}</td>
    <td>{f.deliveryState ? <Badge value={f.deliveryState} /> : '—'}</td>
    <td class="wrap">{detailText(f.detail)}</td>
  </tr>
);
