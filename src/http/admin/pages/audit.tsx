/**
 * /admin/audit: the chain's state at the top (intact, or where it breaks and why), the filter
 * form (action, actor, subject, local dates), a page of entries newest first, and the CSV of the
 * same filters.
 * @module
 */
import type { Context } from 'hono';
import type { ChainCheck } from '../../../audit/log';
import { type AuditRow, detailSummary } from '../../../audit/query';
import type { AdminEnv } from '../core/env';
import { count, localTime } from '../core/format';
import { DateRange, render } from '../core/layout';

export interface AuditForm {
  action: string;
  actor: string;
  subject: string;
  from: string;
  to: string;
}

export interface AuditPageData {
  zone: string;
  form: AuditForm;
  chain: ChainCheck;
  rows: AuditRow[];
  nextCursor: number | null;
  /** Whether this is a later page (then the pager links back to the newest). */
  paged: boolean;
  errors: string[];
}

export function auditQuery(form: AuditForm, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...form, ...extra })) if (v) params.set(k, v);
  const text = params.toString();
  return text ? `?${text}` : '';
}

export function auditPage(c: Context<AdminEnv>, d: AuditPageData) {
  const f = d.form;
  return render(
    c,
    { title: 'Audit trail', nav: 'audit', status: d.errors.length ? 400 : 200 },
    <>
      <h1>Audit trail</h1>
      <ChainState chain={d.chain} />
      <AuditSearch form={f} />
      {d.errors.map((e) => (
        <p class="notice error" role="alert">
          {e}
        </p>
      ))}
      <p class="muted">
        Times in {d.zone}, newest first.{' '}
        {d.errors.length ? null : (
          <a href={`/admin/audit.csv${auditQuery(f)}`} id="audit-csv">
            Download these entries as CSV
          </a>
        )}
      </p>
      <AuditTable rows={d.rows} zone={d.zone} />
      <nav class="pager" aria-label="Pages">
        {d.paged ? <a href={`/admin/audit${auditQuery(f)}`}>« Newest</a> : null}
        {d.nextCursor ? (
          <a href={`/admin/audit${auditQuery(f, { cursor: String(d.nextCursor) })}`} rel="next">
            Older entries »
          </a>
        ) : null}
      </nav>
    </>,
  );
}

/** Whether every entry still hashes to the one after it; where it first does not, and why. */
const ChainState = ({ chain }: { chain: ChainCheck }) =>
  chain.ok ? (
    <p class="notice ok" role="status" id="audit-chain" data-chain="intact">
      Chain intact, {count(chain.entries)} {chain.entries === 1 ? 'entry' : 'entries'}.
    </p>
  ) : (
    <p class="notice error" role="alert" id="audit-chain" data-chain="broken">
      Chain broken at entry #{chain.brokenAt}: {chain.why}.
    </p>
  );

const AuditSearch = ({ form: f }: { form: AuditForm }) => (
  <search>
    <form class="filters card" method="get" action="/admin/audit">
      <label>
        Action (starts with)
        <input type="search" name="action" value={f.action} placeholder="export, call.retry" />
      </label>
      <label>
        Actor
        <input type="search" name="actor" value={f.actor} placeholder="token:ADMIN_TOKEN, session" />
      </label>
      <label>
        Subject
        <input type="search" name="subject" value={f.subject} placeholder="a call, run or recording id" />
      </label>
      <DateRange from={f.from} to={f.to} />
      <div class="actions">
        <button type="submit">Filter</button>
        <a href="/admin/audit">Clear</a>
      </div>
    </form>
  </search>
);

const AuditTable = ({ rows, zone }: { rows: AuditRow[]; zone: string }) => (
  <div class="scroll" id="audit-table">
    <table>
      <thead>
        <tr>
          <th class="num">#</th>
          <th>Time</th>
          <th>Actor</th>
          <th>Role</th>
          <th>Action</th>
          <th>Subject</th>
          <th>Detail</th>
          <th>IP</th>
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 ? (
          <tr>
            <td colspan={8} class="muted">
              No entries.
            </td>
          </tr>
        ) : (
          rows.map((r) => (
            <tr data-audit-id={String(r.id)}>
              <td class="num">{r.id}</td>
              <td>{localTime(r.at, zone)}</td>
              <td>{r.actor}</td>
              <td>{r.role ?? '—'}</td>
              <td>
                <code>{r.action}</code>
              </td>
              <td>{r.subject ?? '—'}</td>
              <td title={JSON.stringify(r.detail)}>{detailSummary(r.detail) || '—'}</td>
              <td>{r.ip ?? '—'}</td>
            </tr>
          ))
        )}
      </tbody>
    </table>
  </div>
);
