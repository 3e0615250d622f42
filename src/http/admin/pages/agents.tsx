/**
 * /admin/agents: calls, answered, not answered, talk time and average handle time per extension
 * and per department for a period of local days (by default the last seven), with a bar chart.
 * @module
 */
import type { Context } from 'hono';
import type { AdminEnv } from '../core/env';
import { clock, count } from '../core/format';
import { render, DateRange } from '../core/layout';
import type { AgentStat, AgentStats } from '../queries/agents';
import { AgentsChart } from './agents-chart';

const StatTable = ({ id, first, rows, total }: { id: string; first: string; rows: AgentStat[]; total: AgentStat }) => (
  <div class="scroll">
    <table id={id}>
      <thead>
        <tr>
          <th>{first}</th>
          <th class="num">Calls</th>
          <th class="num">Answered</th>
          <th class="num">Missed</th>
          <th class="num">Talk time</th>
          <th class="num">Avg handle time</th>
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 ? (
          <tr>
            <td colspan={6} class="muted">
              No calls in this period.
            </td>
          </tr>
        ) : (
          rows.map((r) => (
            <tr data-key={r.key ?? ''}>
              <td>{r.key ?? '(none)'}</td>
              <td class="num">{count(r.calls)}</td>
              <td class="num">{count(r.answered)}</td>
              <td class="num">{count(r.missed)}</td>
              <td class="num">{clock(r.talkSeconds)}</td>
              <td class="num">{r.ahtSeconds === null ? '—' : clock(r.ahtSeconds)}</td>
            </tr>
          ))
        )}
      </tbody>
      {rows.length ? (
        <tfoot>
          <tr>
            <th>Total</th>
            <th class="num">{count(total.calls)}</th>
            <th class="num">{count(total.answered)}</th>
            <th class="num">{count(total.missed)}</th>
            <th class="num">{clock(total.talkSeconds)}</th>
            <th class="num">{total.ahtSeconds === null ? '—' : clock(total.ahtSeconds)}</th>
          </tr>
        </tfoot>
      ) : null}
    </table>
  </div>
);

export function agentsPage(c: Context<AdminEnv>, d: { zone: string; from: string; to: string; stats: AgentStats; error?: string }) {
  return render(
    c,
    { title: 'Agents', nav: 'agents', status: d.error ? 400 : 200 },
    <>
      <h1>Agents</h1>
      <form class="filters card" method="get" action="/admin/agents">
        <DateRange from={d.from} to={d.to} required />
        <div class="actions">
          <button type="submit">Show</button>
          <a href="/admin/agents">Last 7 days</a>
        </div>
      </form>
      {d.error ? (
        <p class="notice error" role="alert">
          {d.error}
        </p>
      ) : null}
      <p class="muted">
        {d.from} to {d.to} ({d.zone}). Missed: not answered (missed, busy or failed). Average handle time: talk time over answered calls.
      </p>
      <h2>By extension</h2>
      {d.stats.extensions.length ? <AgentsChart rows={d.stats.extensions} /> : null}
      <StatTable id="by-extension" first="Extension" rows={d.stats.extensions} total={d.stats.total} />
      <h2>By department</h2>
      <StatTable id="by-department" first="Department" rows={d.stats.departments} total={d.stats.total} />
    </>,
  );
}
