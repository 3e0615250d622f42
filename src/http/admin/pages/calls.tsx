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
import { DateRange, Badge, render } from '../core/layout';

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

export const Direction = ({ value }: { value: string | null }) => <span title={value ?? 'unknown'}>{value ? (DIRECTION[value] ?? value) : '—'}</span>;

function query(form: CallsForm, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...form, ...extra })) if (v) params.set(k, v);
  const text = params.toString();
  return text ? `?${text}` : '';
}

export interface CallsPageData {
  zone: string;
  form: CallsForm;
  rows: CallRow[];
  nextCursor: string | null;
  /** Whether this is a later page (then the pager links back to the newest). */
  paged: boolean;
  errors: string[];
}

export function callsPage(c: Context<AdminEnv>, d: CallsPageData) {
  const f = d.form;
  return render(
    c,
    { title: 'Calls', nav: 'calls', status: d.errors.length ? 400 : 200 },
    <>
      <h1>Calls</h1>
      <CallsSearch form={f} />
      {d.errors.map((e) => (
        <p class="notice error" role="alert">
          {e}
        </p>
      ))}
      <p class="muted">Times in {d.zone}, newest first.</p>
      <CallsTable rows={d.rows} zone={d.zone} />
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

/** The search form, filled with what was asked. */
const CallsSearch = ({ form: f }: { form: CallsForm }) => (
  <search>
    <form class="filters card" method="get" action="/admin/calls">
      <label>
        Number
        <input type="search" name="phone" value={f.phone} placeholder="+7 495 123-45-67, 84951234567, 101" inputmode="tel" />
      </label>
      <label>
        Extension
        <input type="text" name="extension" value={f.extension} inputmode="numeric" />
      </label>
      <DateRange from={f.from} to={f.to} />
      <Choice label="Outcome" name="outcome" values={OUTCOMES} selected={f.outcome} />
      <Choice label="Delivery" name="state" values={[...DELIVERY_STATES, 'unsettled']} selected={f.state} />
      {f.limit ? <input type="hidden" name="limit" value={f.limit} /> : null}
      <div class="actions">
        <button type="submit">Search</button>
        <a href="/admin/calls">Clear</a>
      </div>
    </form>
  </search>
);

/** A labelled select of `values` whose first option, "any", asks for no filter. */
const Choice = ({ label, name, values, selected }: { label: string; name: string; values: readonly string[]; selected: string }) => (
  <label>
    {label}
    <select name={name}>
      <option value="">any</option>
      {values.map((v) => (
        <option value={v} selected={selected === v}>
          {v}
        </option>
      ))}
    </select>
  </label>
);

const CallsTable = ({ rows, zone }: { rows: CallRow[]; zone: string }) => (
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
        {rows.length === 0 ? (
          <tr>
            <td colspan={8} class="muted">
              No calls match.
            </td>
          </tr>
        ) : (
          rows.map((row) => <CallsTableRow row={row} zone={zone} />)
        )}
      </tbody>
    </table>
  </div>
);

const CallsTableRow = ({ row: { call, delivery }, zone }: { row: CallRow; zone: string }) => (
  <tr data-call-id={call.id}>
    <td>
      <a href={`/admin/calls/${call.id}`}>{localTime(call.startedAt ?? call.lastEventAt, zone)}</a>
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
);
