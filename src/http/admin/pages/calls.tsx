/**
 * /admin/calls: the search form (number in any format, extension, local dates, outcome,
 * delivery state) and a page of calls, newest first, with a link to the next page.
 * @module
 */
import type { Context } from 'hono';
import { DELIVERY_STATES } from '../../../domain/delivery';
import { OUTCOMES } from '../../../domain/call';
import type { CallRow } from '../../../ledger/calls-query';
import type { AdminEnv } from '../core/env';
import { clock, localTime, partyNumber } from '../core/format';
import { Badge, render } from '../core/layout';

export interface CallsForm {
  phone: string;
  extension: string;
  from: string;
  to: string;
  outcome: string;
  state: string;
  /** Page size; not on the form, kept in the pager's links when given. */
  limit: string;
}

const DIRECTION: Record<string, string> = { inbound: '↙ in', outbound: '↗ out', internal: '↔ internal' };

export const Direction = ({ value }: { value: string | null }) => (
  <span title={value ?? 'unknown'}>{value ? (DIRECTION[value] ?? value) : '—'}</span>
);

function query(form: CallsForm, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...form, ...extra })) if (v) params.set(k, v);
  const text = params.toString();
  return text ? `?${text}` : '';
}

export function callsPage(
  c: Context<AdminEnv>,
  d: { zone: string; form: CallsForm; rows: CallRow[]; nextCursor: string | null; paged: boolean; errors: string[] },
) {
  const f = d.form;
  return render(
    c,
    { title: 'Calls', nav: 'calls', status: d.errors.length ? 400 : 200 },
    <>
      <h1>Calls</h1>
      <form class="filters card" method="get" action="/admin/calls" role="search">
        <label>
          Number
          <input type="search" name="phone" value={f.phone} placeholder="+7 495 123-45-67, 84951234567, 101" inputmode="tel" />
        </label>
        <label>
          Extension
          <input type="text" name="extension" value={f.extension} inputmode="numeric" />
        </label>
        <label>
          From (date)
          <input type="date" name="from" value={f.from} />
        </label>
        <label>
          To (date, inclusive)
          <input type="date" name="to" value={f.to} />
        </label>
        <label>
          Outcome
          <select name="outcome">
            <option value="">any</option>
            {OUTCOMES.map((o) => (
              <option value={o} selected={f.outcome === o}>
                {o}
              </option>
            ))}
          </select>
        </label>
        <label>
          Delivery
          <select name="state">
            <option value="">any</option>
            {[...DELIVERY_STATES, 'unsettled'].map((s) => (
              <option value={s} selected={f.state === s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        {f.limit ? <input type="hidden" name="limit" value={f.limit} /> : null}
        <div class="actions">
          <button type="submit">Search</button>
          <a href="/admin/calls">Clear</a>
        </div>
      </form>
      {d.errors.map((e) => (
        <p class="notice error" role="alert">
          {e}
        </p>
      ))}
      <p class="muted">Times in {d.zone}, newest first.</p>
      <div class="scroll" id="calls-table">
        <table>
          <thead>
            <tr>
              <th>Time</th>
              <th>Direction</th>
              <th>Number</th>
              <th>Extension</th>
              <th>Outcome</th>
              <th class="num">Talk</th>
              <th>Delivery</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {d.rows.length === 0 ? (
              <tr>
                <td colspan={8} class="muted">
                  No calls match.
                </td>
              </tr>
            ) : (
              d.rows.map(({ call, delivery }) => (
                <tr data-call-id={call.id}>
                  <td>
                    <a href={`/admin/calls/${call.id}`}>{localTime(call.startedAt ?? call.lastEventAt, d.zone)}</a>
                  </td>
                  <td>
                    <Direction value={call.direction} />
                  </td>
                  <td class="number">{partyNumber(call.externalNumber, call.externalNumberRaw)}</td>
                  <td>{call.extension ?? '—'}</td>
                  <td>
                    <Badge value={call.outcome} />
                  </td>
                  <td class="num">{clock(call.talkSeconds)}</td>
                  <td>
                    <Badge value={delivery?.state ?? 'unsettled'} />
                  </td>
                  <td>
                    <a href={`/admin/calls/${call.id}`}>Open</a>
                  </td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
      <nav class="pager" aria-label="Pages">
        {d.paged ? <a href={`/admin/calls${query(f)}`}>« Newest</a> : null}
        {d.nextCursor ? (
          <a href={`/admin/calls${query(f, { cursor: d.nextCursor })}`} rel="next">
            Older calls »
          </a>
        ) : null}
      </nav>
    </>,
  );
}
