/**
 * The yardstick: what PostgreSQL alone sustains for the same writes. N workers share a pool of N
 * postgres.js connections; each event is one transaction inserting the rows the service ends up
 * with for a settled call (inbox, conversation, leg, recording, delivery). No HTTP, no parsing,
 * no ORM, no read-back: the distance to it is what the service adds.
 * @module
 */
import { createHash } from 'node:crypto';
import postgres from 'postgres';
import { callEndedBody } from './events.mjs';
import { cpuProbe } from './sys.mjs';

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

/** One event, written like a straightforward hand-written repository would. */
async function writeEvent(sql, callId) {
  const raw = callEndedBody(callId);
  const now = new Date();
  const ended = new Date(now.getTime() - 5_000);
  const answered = new Date(ended.getTime() - 180_000);
  const started = new Date(ended.getTime() - 185_000);
  const rawHash = sha256(raw);
  const uniq = `ct1-${sha256(`generic\n${callId}`).slice(0, 32)}`;
  await sql.begin(async (tx) => {
    const [inbox] = await tx`
      insert into inbox_events (source, dedupe_key, raw, status, received_at, processed_at)
      values ('generic', ${`sha256:${rawHash}`}, ${raw}, 'processed', ${now}, ${now})
      returning id`;
    const [conversation] = await tx`
      insert into conversations (source, call_key, uniq, direction, external_number, external_number_raw, extension,
        outcome, started_at, answered_at, ended_at, duration_seconds, talk_seconds, leg_count, final_seen_at,
        last_event_at, settled_at, revision)
      values ('generic', ${callId}, ${uniq}, 'inbound', '+74951234567', '+7 495 123-45-67', '101',
        'answered', ${started}, ${answered}, ${ended}, 185, 180, 1, ${now}, ${now}, ${now}, 1)
      returning id`;
    await tx`
      insert into legs (conversation_id, leg_key, direction, from_raw, to_raw, extension, started_at, answered_at,
        ended_at, disposition, talk_seconds, final, version, inbox_event_id)
      values (${conversation.id}, ${callId}, 'inbound', '+7 495 123-45-67', '101', '101', ${started}, ${answered},
        ${ended}, 'answered', 180, true, ${`${String(ended.getTime()).padStart(15, '0')}:${rawHash.slice(0, 16)}`}, ${inbox.id})`;
    await tx`
      insert into recordings (conversation_id, recording_key, leg_key, origin_url, status, version, inbox_event_id)
      values (${conversation.id}, ${`r-${callId}`}, ${callId}, ${`https://pbx.example/r-${callId}.wav`}, 'referenced',
        ${`2:${sha256(callId).slice(0, 16)}`}, ${inbox.id})`;
    await tx`
      insert into deliveries (conversation_id, crm_account_id, uniq, state, next_attempt_at)
      values (${conversation.id}, 'sandbox', ${uniq}, 'pending', ${now})`;
  });
}

/** `connections` workers loop until the deadline; returns events committed and the wall time. */
async function loop(sql, { prefix, connections, seconds }) {
  const deadline = performance.now() + seconds * 1000;
  let next = 0;
  let committed = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      await writeEvent(sql, `${prefix}${next++}`);
      committed++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: connections }, worker));
  return { committed, seconds: (performance.now() - started) / 1000 };
}

/** Warm-up, then the measured loop, then a count of what landed (every write was awaited). */
export async function runBaseline({ databaseUrl, connections, duration, warmup }) {
  const sql = postgres(databaseUrl, { max: connections, onnotice: () => {} });
  try {
    await sql`insert into crm_accounts (id, kind) values ('sandbox', 'sandbox') on conflict do nothing`;
    const warm = await loop(sql, { prefix: 'bench-basewarm-', connections, seconds: warmup });
    const probe = cpuProbe();
    const measured = await loop(sql, { prefix: 'bench-base-', connections, seconds: duration });
    const cpu = probe();
    const [counts] = await sql`
      select (select count(*)::int from inbox_events) as inbox, (select count(*)::int from conversations) as conversations,
             (select count(*)::int from legs) as legs, (select count(*)::int from recordings) as recordings,
             (select count(*)::int from deliveries) as deliveries`;
    const expected = warm.committed + measured.committed;
    const problems = Object.entries(counts)
      .filter(([, n]) => n !== expected)
      .map(([table, n]) => `${table}: ${n} rows, expected ${expected}`);
    return {
      eventsPerSecond: measured.committed / measured.seconds,
      committed: measured.committed,
      seconds: measured.seconds,
      cpu,
      check: { phase: 'baseline', ok: problems.length === 0, problems, acknowledged: expected, counts, cutOff: 0, unanswered: 0 },
    };
  } finally {
    await sql.end({ timeout: 5 });
  }
}
