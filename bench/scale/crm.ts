/**
 * The CRM side of the scale bench: one sandbox amoCRM per calltrail account, all served by this
 * process, each on a port of its own. A port of its own is a host of its own, as amoCRM's
 * subdomains are: calltrail names a CRM account (and counts its request budget) by host, so 20
 * sandboxes under one host would be one account to it. Each sandbox keeps amoCRM's defaults —
 * 7 requests/s, a 403 block after five 429s within a minute — and the bench watches the answers
 * that write call notes, to know when each account's last call landed, to the millisecond.
 * @module
 */
import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import { type AmoSandbox, createAmoSandbox, type SandboxStats } from '../../src/sandbox';
import type { PlannedCall } from '../delivery/workload';

export interface CrmAccount {
  index: number;
  url: string;
  sandbox: AmoSandbox;
  /** Call notes expected: when the sandbox has written this many, the account is done. */
  expected: number;
  /** performance.now() of the first API request the sandbox answered. */
  firstRequestAt: number | null;
  /** performance.now() of the answer that wrote the last call note so far. */
  lastNoteAt: number | null;
  /** performance.now() of the answer that brought the call notes to `expected`. */
  doneAt: number | null;
  stop(): Promise<void>;
}

/** `count` sandboxes, each at `rps`, answering to `token`; seeded with nothing. */
export async function startCrms(count: number, options: { rps: number; token: string }): Promise<CrmAccount[]> {
  return Promise.all(Array.from({ length: count }, (_, index) => startCrm(index, options)));
}

async function startCrm(index: number, options: { rps: number; token: string }): Promise<CrmAccount> {
  const sandbox = createAmoSandbox({ rps: options.rps, longLivedTokens: [options.token], subdomain: `bench${index}`, unknownNumbers: 'partial' });
  let written = 0;
  const account: CrmAccount = {
    index,
    url: '',
    sandbox,
    expected: Number.POSITIVE_INFINITY,
    firstRequestAt: null,
    lastNoteAt: null,
    doneAt: null,
    stop: async () => {},
  };
  const fetch = async (request: Request): Promise<Response> => {
    account.firstRequestAt ??= performance.now();
    const response = await sandbox.fetch(request);
    const now = sandbox.stats().notesWritten;
    if (now > written) {
      written = now;
      account.lastNoteAt = performance.now();
      if (written >= account.expected && account.doneAt === null) account.doneAt = account.lastNoteAt;
    }
    return response;
  };
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s as Server));
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the sandbox has no port');
  account.url = `http://127.0.0.1:${address.port}`;
  account.stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return account;
}

/** The known contacts, straight into the sandbox's store (what POST /__sandbox/contacts does). */
export function seedContacts(crm: CrmAccount, numbers: string[]): void {
  for (const [i, phone] of numbers.entries()) crm.sandbox.store.addContact({ name: `Bench contact ${i}`, phones: [phone] });
}

/** The larger of the 429 answers counted by status and those counted by the limiter. */
export function tooMany(stats: SandboxStats): number {
  return Math.max(stats.byStatus['429'] ?? 0, stats.rateLimited);
}

/** Call notes that share a uniq (a call on the CRM twice): the first `limit`, with where they sit. */
export function duplicates(crm: CrmAccount, limit: number): { uniq: string; notes: string[] }[] {
  const byUniq = new Map<string, string[]>();
  for (const note of crm.sandbox.store.callNotes()) {
    const uniq = String(note.params.uniq ?? '(none)');
    const where = `note ${note.id} on ${note.entity_type} ${note.entity_id} at ${note.created_at}`;
    byUniq.set(uniq, [...(byUniq.get(uniq) ?? []), where]);
  }
  return [...byUniq]
    .filter(([, notes]) => notes.length > 1)
    .slice(0, limit)
    .map(([uniq, notes]) => ({ uniq, notes }));
}

/** amoCRM matches numbers on their last 10 digits; so does this check. */
const last10 = (phone: string) => phone.replace(/\D/g, '').slice(-10);

/**
 * Every call on exactly one call note (by uniq), no other call notes, exactly one contact per
 * number, known or unknown, and no other contacts. Returns the problems found (empty: OK).
 */
export function verifyCrm(crm: CrmAccount, calls: PlannedCall[], numbers: { known: string[]; unknown: string[] }): string[] {
  const problems: string[] = [];
  const notes = crm.sandbox.store.callNotes();
  const seen = new Map<string, number>();
  for (const note of notes) {
    const uniq = String(note.params.uniq ?? '(none)');
    seen.set(uniq, (seen.get(uniq) ?? 0) + 1);
  }
  const expected = new Set(calls.map((c) => c.uniq));
  const missing = calls.filter((c) => !seen.has(c.uniq)).length;
  const twice = [...seen.values()].filter((n) => n > 1).length;
  const foreign = [...seen.keys()].filter((u) => !expected.has(u)).length;
  if (notes.length !== calls.length) problems.push(`${notes.length} call notes for ${calls.length} calls`);
  if (missing) problems.push(`${missing} calls have no note`);
  if (twice) problems.push(`${twice} uniq values are on more than one note`);
  if (foreign) problems.push(`${foreign} notes carry a uniq of no bench call`);

  const byNumber = new Map<string, number>();
  for (const contact of crm.sandbox.store.contacts()) {
    const phones = contact.phones.map((p) => last10(p.value));
    for (const key of new Set(phones)) byNumber.set(key, (byNumber.get(key) ?? 0) + 1);
  }
  for (const [kind, list] of [
    ['known', numbers.known],
    ['unknown', numbers.unknown],
  ] as const) {
    const wrong = list.filter((n) => byNumber.get(last10(n)) !== 1).length;
    if (wrong) problems.push(`${wrong} ${kind} numbers do not have exactly one contact`);
  }
  const contacts = crm.sandbox.store.contacts().length;
  if (contacts !== numbers.known.length + numbers.unknown.length)
    problems.push(`${contacts} contacts, expected ${numbers.known.length + numbers.unknown.length}`);
  return problems;
}
