/**
 * /admin/live: calls ringing or talking now — the parties, the direction, the extensions rung or
 * who answered, for how long, and each CRM user's screen pop. Rendered on the server (it reads
 * without script), then LIVE_SCRIPT polls /admin/live.json every POLL_MS and redraws the rows
 * with DOM calls (textContent only), counting the durations up each second from the server's clock.
 * @module
 */
import type { Context } from 'hono';
import type { AdminEnv } from '../core/env';
import { clock } from '../core/format';
import { Badge, render } from '../core/layout';
import { type LiveCallView, STALE_AFTER_HOURS } from '../queries/live';
import { Direction } from './calls';

export const POLL_MS = 2000;

/** Who has it now: the one who answered, else every extension rung so far. */
export function whoText(call: Pick<LiveCallView, 'answeredBy' | 'extensions'>): string {
  if (call.answeredBy) return `answered by ${call.answeredBy}`;
  return call.extensions.length ? `ringing ${call.extensions.join(', ')}` : '—';
}

export function popText(p: LiveCallView['pops'][number]): string {
  const who = p.extension ? `${p.userId} (${p.extension})` : p.userId;
  const latency = p.latencyMs !== null ? ` in ${p.latencyMs} ms` : '';
  return `${who}: ${p.state}${latency}${p.reason ? ` — ${p.reason}` : ''}`;
}

const since = (call: LiveCallView) => call.answeredAt ?? call.startedAt;

const Row = ({ call, now }: { call: LiveCallView; now: Date }) => (
  <tr data-live-id={call.id} data-state={call.state}>
    <td>
      <Badge value={call.state} />
    </td>
    <td>
      {call.from ?? '—'} → {call.to ?? '—'}
      {call.line ? <div class="muted">line {call.line}</div> : null}
    </td>
    <td>
      <Direction value={call.direction} />
    </td>
    <td>{whoText(call)}</td>
    <td class="num" data-since={since(call).toISOString()}>
      {clock((now.getTime() - since(call).getTime()) / 1000)}
    </td>
    <td>{call.pops.length ? call.pops.map((p) => <div class={`pop p-${p.state}`}>{popText(p)}</div>) : <span class="muted">—</span>}</td>
  </tr>
);

export const LIVE_SCRIPT = `(function () {
  var body = document.getElementById('live-rows');
  var empty = document.getElementById('live-empty');
  var status = document.getElementById('live-status');
  if (!body) return;
  var skew = 0;
  var DIRECTION = { inbound: '↙ in', outbound: '↗ out', internal: '↔ internal' };
  function clock(s) {
    s = Math.max(0, Math.round(s));
    var mm = Math.floor((s % 3600) / 60), ss = String(s % 60).padStart(2, '0');
    return s >= 3600 ? Math.floor(s / 3600) + ':' + String(mm).padStart(2, '0') + ':' + ss : mm + ':' + ss;
  }
  function cell(row, text, cls) { var td = document.createElement('td'); if (cls) td.className = cls; if (text !== undefined) td.textContent = text; row.appendChild(td); return td; }
  function who(c) { return c.answered_by ? 'answered by ' + c.answered_by : (c.extensions.length ? 'ringing ' + c.extensions.join(', ') : '—'); }
  function pop(p) {
    return (p.extension ? p.user_id + ' (' + p.extension + ')' : p.user_id) + ': ' + p.state + (p.latency_ms !== null ? ' in ' + p.latency_ms + ' ms' : '') + (p.reason ? ' — ' + p.reason : '');
  }
  function row(c) {
    var tr = document.createElement('tr');
    tr.setAttribute('data-live-id', c.id);
    tr.setAttribute('data-state', c.state);
    var badge = document.createElement('span'); badge.className = 'badge s-' + c.state; badge.textContent = c.state; cell(tr).appendChild(badge);
    var party = cell(tr, (c.from || '—') + ' → ' + (c.to || '—'));
    if (c.line) { var line = document.createElement('div'); line.className = 'muted'; line.textContent = 'line ' + c.line; party.appendChild(line); }
    var dir = document.createElement('span'); dir.title = c.direction || 'unknown'; dir.textContent = c.direction ? (DIRECTION[c.direction] || c.direction) : '—'; cell(tr).appendChild(dir);
    cell(tr, who(c));
    cell(tr, '', 'num').setAttribute('data-since', c.answered_at || c.started_at);
    var pops = cell(tr);
    if (!c.pops.length) { var none = document.createElement('span'); none.className = 'muted'; none.textContent = '—'; pops.appendChild(none); }
    c.pops.forEach(function (p) { var d = document.createElement('div'); d.className = 'pop p-' + p.state; d.textContent = pop(p); pops.appendChild(d); });
    return tr;
  }
  function tick() {
    var now = Date.now() + skew;
    Array.prototype.forEach.call(body.querySelectorAll('[data-since]'), function (td) { td.textContent = clock((now - Date.parse(td.getAttribute('data-since'))) / 1000); });
  }
  function draw(data) {
    skew = Date.parse(data.now) - Date.now();
    while (body.firstChild) body.removeChild(body.firstChild);
    data.calls.forEach(function (c) { body.appendChild(row(c)); });
    empty.hidden = data.calls.length > 0;
    tick();
  }
  function poll() {
    fetch('/admin/live.json', { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (res) {
        if (res.redirected || !res.ok) throw new Error(res.redirected ? 'signed out: reload the page to log in' : 'HTTP ' + res.status);
        return res.json();
      })
      .then(function (data) { draw(data); status.textContent = 'Updated ' + new Date().toLocaleTimeString(); status.className = 'muted'; })
      .catch(function (error) { status.textContent = 'Not updating: ' + error.message; status.className = 'notice error'; })
      .then(function () { setTimeout(poll, ${POLL_MS}); });
  }
  setInterval(tick, 1000);
  setTimeout(poll, ${POLL_MS});
})();`;

export function livePage(c: Context<AdminEnv>, d: { calls: LiveCallView[]; now: Date }) {
  return render(
    c,
    { title: 'Live', nav: 'live', script: LIVE_SCRIPT },
    <>
      <h1>Live calls</h1>
      <p class="muted">
        Calls ringing or talking now, from the PBX's live events, with the screen pops shown to CRM users. Refreshed every {POLL_MS / 1000} s; calls started
        over {STALE_AFTER_HOURS} h ago without an end are left out.
      </p>
      <p id="live-status" class="muted" role="status"></p>
      <div class="scroll">
        <table id="live">
          <thead>
            <tr>
              <th>State</th>
              <th>From → to</th>
              <th>Direction</th>
              <th>Extensions</th>
              <th>For</th>
              <th>Screen pops</th>
            </tr>
          </thead>
          <tbody id="live-rows">
            {d.calls.map((call) => (
              <Row call={call} now={d.now} />
            ))}
          </tbody>
        </table>
      </div>
      <p id="live-empty" class="muted" hidden={d.calls.length > 0}>
        No call is ringing or talking now.
      </p>
    </>,
  );
}
