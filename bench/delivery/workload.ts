/**
 * What a scenario delivers: N settled calls, each from a known contact's number or from a
 * distinct unknown one, put into the ledger before the service starts — and the same calls as
 * amoCRM call items for the bare-client baseline.
 * @module
 */
import postgres from 'postgres';
import { parseEnv } from '../../src/settings/env';
import { parseIntegratorConfig } from '../../src/settings/integrator';
import { inboxDeps } from '../../src/deps';
import { openDatabase } from '../../src/entry/node/database';
import { ingestMany, type IngestInput } from '../../src/ledger/inbox';
import { conversationUniq } from '../../src/ledger/versions';
import { createLogger } from '../../src/lib/log';
import { genericParser } from '../../src/pbx/generic/parse';

/** How many known contacts the sandbox holds; the known calls are spread over them. */
export const KNOWN_CONTACTS = 1_000;
/** Bodies per ingestMany transaction while filling the ledger. */
const INGEST_GROUP = 500;
/** Concurrent POST /__sandbox/contacts while seeding. */
const SEED_CONCURRENCY = 8;

export interface PlannedCall {
  callId: string;
  uniq: string;
  /** E.164. */
  phone: string;
  known: boolean;
  startedAt: Date;
  durationSeconds: number;
}

export interface Plan {
  calls: PlannedCall[];
  /** Numbers of the contacts seeded in the sandbox. */
  knownNumbers: string[];
  /** One per unknown call. */
  unknownNumbers: string[];
}

// Distinct ranges, so no unknown number shares its last 10 digits (amoCRM's match) with a known one.
const knownNumber = (i: number) => `+7900${String(i).padStart(7, '0')}`;
const unknownNumber = (i: number) => `+7901${String(i).padStart(7, '0')}`;

/**
 * N calls, `knownShare` of them from known numbers, the unknown ones spread evenly through the
 * sequence (so every claim of the service sees the same mix). Deterministic apart from "now".
 */
export function planCalls(scenario: string, n: number, knownShare: number, nowMs = Date.now()): Plan {
  const unknownTotal = n - Math.round(n * knownShare);
  const contacts = Math.min(KNOWN_CONTACTS, n - unknownTotal);
  const calls: PlannedCall[] = [];
  let known = 0;
  let unknown = 0;
  for (let j = 0; j < n; j++) {
    // Call j is unknown when the running quota of unknown calls steps up at j.
    const isUnknown = Math.floor(((j + 1) * unknownTotal) / n) > Math.floor((j * unknownTotal) / n);
    const phone = isUnknown ? unknownNumber(unknown++) : knownNumber(known++ % contacts);
    const callId = `bench-delivery-${scenario}-${j}`;
    const durationSeconds = 20 + (j % 600);
    // Started within the last day, all ended at least a minute ago.
    const startedAt = new Date(nowMs - 60_000 - durationSeconds * 1000 - ((j * 7919) % 86_000) * 1000);
    calls.push({ callId, uniq: conversationUniq('generic', callId), phone, known: !isUnknown, startedAt, durationSeconds });
  }
  return {
    calls,
    knownNumbers: Array.from({ length: contacts }, (_, i) => knownNumber(i)),
    unknownNumbers: Array.from({ length: unknown }, (_, i) => unknownNumber(i)),
  };
}

/** The generic webhook body of a call: answered, inbound to extension 101, no recording expected. */
export function callEndedBody(call: PlannedCall): string {
  const started = call.startedAt.getTime();
  return JSON.stringify({
    type: 'call.ended',
    call_id: call.callId,
    direction: 'inbound',
    from: call.phone,
    to: '101',
    extension: '101',
    started_at: new Date(started).toISOString(),
    answered_at: new Date(started + 5_000).toISOString(),
    ended_at: new Date(started + call.durationSeconds * 1000).toISOString(),
    disposition: 'answered',
    recorded: false,
  });
}

/** The known contacts, through the sandbox's control endpoint, a few at a time. */
export async function seedContacts(sandboxUrl: string, numbers: string[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < numbers.length) {
      const i = next++;
      const response = await fetch(`${sandboxUrl}/__sandbox/contacts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: `Bench contact ${i}`, phones: [numbers[i]] }),
      });
      if (response.status !== 201) throw new Error(`POST /__sandbox/contacts answered ${response.status}: ${await response.text()}`);
    }
  };
  await Promise.all(Array.from({ length: SEED_CONCURRENCY }, worker));
}

/**
 * Fills a fresh database through the ledger's own ingest, as the service would on receiving the
 * webhooks: every call settles at once and gets a pending delivery for the configured account.
 * `env` is what the service will get, so the crm account id is the one it delivers for.
 * Returns the number of pending deliveries of that account.
 */
export async function fillLedger(
  env: Record<string, string>,
  calls: PlannedCall[],
  /** Gets the way to close the connections, for a cleanup that must drop the database meanwhile. */
  track: (close: () => Promise<void>) => void,
): Promise<{ pending: number; accountId: string }> {
  const settings = parseEnv(env);
  const config = parseIntegratorConfig(env.CONFIG ?? '{}', 'CONFIG');
  let closing: Promise<void> | null = null;
  // Once closed from outside (Ctrl-C), the failures of the group in hand are no news.
  const log = createLogger({ level: 'warn', write: (line) => closing === null && console.error(line) });
  const opened = await openDatabase({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir, migrate: true, poolSize: 2 });
  const database = { db: opened.db, close: () => (closing ??= opened.close()) };
  track(database.close);
  try {
    const deps = inboxDeps({ db: database.db, settings, config, log });
    for (let i = 0; i < calls.length; i += INGEST_GROUP) {
      const inputs: IngestInput[] = calls.slice(i, i + INGEST_GROUP).map((call) => {
        const raw = callEndedBody(call);
        return { source: genericParser.name, raw, events: genericParser.parse(raw, {}, deps.ctx.parse) };
      });
      const results = await ingestMany(deps, inputs);
      const bad = results.filter((r) => r.status !== 'processed');
      if (bad.length) throw new Error(`ingest: ${bad.length} of ${inputs.length} bodies were not processed (${JSON.stringify(bad[0])})`);
    }
  } finally {
    await database.close();
  }
  const sql = postgres(settings.databaseUrl as string, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ n: number }[]>`
      select count(*)::int as n from deliveries where crm_account_id = ${settings.crm.accountId} and state = 'pending'`;
    return { pending: row?.n ?? 0, accountId: settings.crm.accountId };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Deliveries of the account by state, read straight from the ledger. */
export async function deliveryStates(databaseUrl: string, accountId: string): Promise<Record<string, number>> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<{ state: string; n: number }[]>`
      select state, count(*)::int as n from deliveries where crm_account_id = ${accountId} group by state`;
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** The baseline's request body items: what a bare client would POST for the same calls. */
export function amoCallItem(call: PlannedCall, index: number) {
  return {
    direction: 'inbound' as const,
    uniq: call.uniq,
    duration: call.durationSeconds,
    source: 'bench',
    phone: call.phone,
    created_at: Math.floor(call.startedAt.getTime() / 1000),
    request_id: String(index),
  };
}
