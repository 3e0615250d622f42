/**
 * Driving the service with autocannon, and checking afterwards that every acknowledged event is
 * in the database exactly once with all its rows.
 * @module
 */
import autocannon from 'autocannon';
import { setTimeout as sleep } from 'node:timers/promises';
import { callEndedBody, Ledger, SECRET, signatureHeader, WEBHOOK_PATH } from './events.mjs';

/** Single-connection streams the fixed rate is spread over (see fixedRate). */
const MAX_RATE_STREAMS = 50;

/** One autocannon instance feeding `ledger`; resolves to autocannon's result. */
function launch({ url, ledger, latencies, ...options }) {
  const request = {
    method: 'POST',
    path: WEBHOOK_PATH,
    // Called right before each send: a new call id, and a signature with the current time.
    setupRequest(req, context) {
      const id = ledger.nextId();
      context.id = id;
      req.body = callEndedBody(id);
      req.headers = { ...req.headers, 'content-type': 'application/json', 'x-calltrail-signature': signatureHeader(SECRET, req.body) };
      return req;
    },
    // Pipelining is 1, so the connection's context still names the request being answered.
    onResponse(status, body, context) {
      ledger.record(context.id, status, body);
    },
  };
  const instance = autocannon({ url, requests: [request], ...options });
  // Own percentiles: autocannon's histogram rounds to whole milliseconds.
  instance.on('response', (_client, status, _bytes, ms) => {
    if (status >= 200 && status < 300) latencies.push(ms);
  });
  return instance;
}

/**
 * autocannon's rate limit is per connection and per wall-clock second: every connection sends its
 * whole quota back to back as each second starts, all on the same tick, so `overallRate: 200` over
 * 16 connections is a burst at full concurrency followed by silence, not 200 events/s. Spreading
 * the rate over single-connection instances whose seconds start at staggered offsets offers it
 * evenly. Their coordinated-omission correction is off: it assumes an interval of ceil(1/rate)
 * = 1 ms (seconds taken for milliseconds) and would back-fill every response with fake samples.
 */
async function fixedRate({ url, ledger, latencies, rate, duration }) {
  const streams = Math.min(rate, MAX_RATE_STREAMS);
  const results = await Promise.all(
    Array.from({ length: streams }, async (_, i) => {
      await sleep((i * 1000) / streams);
      const share = Math.floor(rate / streams) + (i < rate % streams ? 1 : 0);
      return launch({ url, ledger, latencies, connections: 1, duration, overallRate: share, ignoreCoordinatedOmission: true });
    }),
  );
  const sum = (key) => results.reduce((total, r) => total + r[key], 0);
  return {
    connections: streams,
    seconds: sum('duration') / streams,
    errors: sum('errors'),
    timeouts: sum('timeouts'),
    non2xx: sum('non2xx'),
  };
}

async function closedLoop({ url, ledger, latencies, connections, duration }) {
  const result = await launch({ url, ledger, latencies, connections, duration });
  return { connections, seconds: result.duration, errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx };
}

/**
 * One run: closed loop (each connection sends as soon as it is answered) or, with `rate`, a fixed
 * offered rate. Returns the ledger of ids plus figures computed from every single response.
 */
export async function hammer({ url, phase, connections, duration, rate }) {
  const ledger = new Ledger(phase);
  const latencies = [];
  const result = rate ? await fixedRate({ url, ledger, latencies, rate, duration }) : await closedLoop({ url, ledger, latencies, connections, duration });
  latencies.sort((a, b) => a - b);
  const at = (q) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)] : NaN);
  return {
    phase,
    ledger,
    ...result,
    eventsPerSecond: ledger.ok.size / result.seconds,
    latency: { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: latencies.at(-1) ?? NaN },
  };
}

/**
 * Compares one run's ledger with the database (`query(text, params)` → rows).
 * Requests in flight when autocannon stopped are cut off client-side but may still commit; they
 * are known by id, so the check stays exact: every row belongs to an acknowledged id or to one of
 * those, and every acknowledged id has its complete set of rows.
 */
export async function verifyPhase(query, run) {
  const { ledger } = run;
  const problems = [];
  if (ledger.failed.size || run.non2xx) {
    const sample = [...ledger.failed].slice(0, 3).map(([id, answer]) => `${id}: ${answer}`);
    problems.push(`${ledger.failed.size} requests not processed (non-2xx: ${run.non2xx}); e.g. ${sample.join(' | ')}`);
  }
  if (run.errors) problems.push(`${run.errors} connection errors (${run.timeouts} timeouts)`);

  const rows = await query(
    `select c.call_key, c.settled_at is not null as settled,
            (select count(*)::int from legs l where l.conversation_id = c.id and l.inbox_event_id is not null) as legs,
            (select count(*)::int from recordings r where r.conversation_id = c.id) as recordings,
            (select count(*)::int from deliveries d where d.conversation_id = c.id and d.state in ('pending', 'delivered')) as deliveries
       from conversations c where c.call_key like $1`,
    [`${ledger.prefix}%`],
  );
  const inbox = await query(`select status, count(*)::int as n from inbox_events where raw like $1 group by status`, [`%"call_id":"${ledger.prefix}%`]);
  const counts = { inbox: 0, conversations: rows.length, legs: 0, recordings: 0, deliveries: 0 };
  for (const { status, n } of inbox) {
    if (status === 'processed') counts.inbox = n;
    else problems.push(`${n} inbox rows are "${status}" (applying them failed)`);
  }
  let incomplete = 0;
  let unexpected = 0;
  for (const row of rows) {
    counts.legs += row.legs;
    counts.recordings += row.recordings;
    counts.deliveries += row.deliveries;
    if (!row.settled || row.legs !== 1 || row.recordings !== 1 || row.deliveries !== 1) incomplete++;
    if (ledger.failed.has(row.call_key)) unexpected++;
  }
  const present = new Set(rows.map((r) => r.call_key));
  const missing = [...ledger.ok].filter((id) => !present.has(id)).length;
  const cutOff = rows.length - (ledger.ok.size - missing);
  if (missing) problems.push(`${missing} acknowledged events have no conversation`);
  if (incomplete) problems.push(`${incomplete} conversations lack their settled leg, recording or delivery (pending or delivered)`);
  if (unexpected) problems.push(`${unexpected} conversations belong to requests that were answered with an error`);
  if (new Set(Object.values(counts)).size !== 1) problems.push(`row counts differ between tables: ${JSON.stringify(counts)}`);
  if (cutOff < 0 || cutOff > ledger.unanswered) {
    problems.push(`${cutOff} rows beyond the acknowledged events, but only ${ledger.unanswered} requests went unanswered`);
  }
  return { phase: run.phase, ok: problems.length === 0, problems, acknowledged: ledger.ok.size, counts, cutOff, unanswered: ledger.unanswered };
}
