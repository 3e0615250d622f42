/**
 * Who is calling, for the PBX to route by and the screen pop to show: `GET /v1/lookup`, Zadarma's
 * NOTIFY_START answer, the dialplan's CURL().
 *
 * Answers come from the caller cache when it holds the number — this process's memory (the
 * latest 10,000 numbers), else the caller_cache table every process shares — a fresh entry as
 * is, an older one as is while it is refreshed in the background (once at a time per number). On a miss the CRM is asked, on
 * the live priority of the account's budget, and waited for at most `live.lookup.deadline_ms`;
 * after that the PBX gets the default route — never a hung call — and the CRM's late answer still
 * fills the cache for the next call. A CRM that is down, blocked or refuses gives the default
 * route too, with the reason.
 * @module
 */
import { and, eq, sql } from 'drizzle-orm';
import type { CallerCard } from '../crm/port';
import { callerCache } from '../db/schema';
import { describeError } from '../lib/log';
import { liveCrm } from './crm';
import type { LiveDeps } from './deps';
import { extensionOfUser, outsideNumber } from './people';

export interface LookupAnswer {
  /** The number as looked up (E.164 when it could be normalized); null when it is no outside number. */
  phone: string | null;
  contact: { id: string; name: string } | null;
  company: { id: string; name: string } | null;
  responsible: { user_id: string; extension: string | null } | null;
  deal: { id: string; name: string; status_id: string | null } | null;
  url: string | null;
  /** What the PBX may show on the phone's display. */
  caller_name: string | null;
  /** Where to send the call: the responsible user's extension, else the default route (null: the PBX's own). */
  route: string | null;
  /** cache: from the cache; crm: the CRM answered now; default: nobody found in time (see `reason`). */
  answered_from: 'cache' | 'crm' | 'default';
  reason: string | null;
}

const str = (v: number | string | null | undefined): string | null => (v === null || v === undefined ? null : String(v));

function answerOf(deps: LiveDeps, phone: string | null, card: CallerCard | null, from: LookupAnswer['answered_from'], reason: string | null): LookupAnswer {
  const fallback = deps.config.live.lookup.default_route;
  const responsibleUser = str(card?.responsibleUserId);
  const extension = responsibleUser ? extensionOfUser(deps.config, responsibleUser) : null;
  return {
    phone,
    contact: card?.contact ? { id: String(card.contact.id), name: card.contact.name } : null,
    company: card?.company ? { id: String(card.company.id), name: card.company.name } : null,
    responsible: responsibleUser ? { user_id: responsibleUser, extension } : null,
    deal: card?.deal ? { id: String(card.deal.id), name: card.deal.name, status_id: str(card.deal.statusId) } : null,
    url: card?.url ?? null,
    caller_name: card?.contact?.name ?? card?.company?.name ?? null,
    route: extension ?? fallback,
    answered_from: from,
    reason,
  };
}

interface Cached {
  card: CallerCard | null;
  fetchedAt: Date;
}

/** Entries kept in this process in front of caller_cache: a PBX asking at hundreds a second reads memory. */
const MEMORY_ENTRIES = 10_000;
const memories = new WeakMap<LiveDeps, Map<string, Cached>>();

function memoryOf(deps: LiveDeps): Map<string, Cached> {
  let memory = memories.get(deps);
  if (!memory) memories.set(deps, (memory = new Map()));
  return memory;
}

/** Least recently used first out: a hit moves the entry to the end. */
function memorize(deps: LiveDeps, key: string, entry: Cached): void {
  const memory = memoryOf(deps);
  memory.delete(key);
  memory.set(key, entry);
  if (memory.size > MEMORY_ENTRIES) memory.delete(memory.keys().next().value as string);
}

/** The cached card: this process's memory, else the shared table (marking it used). */
async function cached(deps: LiveDeps, account: string, phone: string): Promise<Cached | null> {
  const key = `${account}\n${phone}`;
  const hit = memoryOf(deps).get(key);
  if (hit) {
    memorize(deps, key, hit);
    return hit;
  }
  const stored = await storedCard(deps, account, phone);
  if (stored) memorize(deps, key, stored);
  return stored;
}

async function storedCard(deps: LiveDeps, account: string, phone: string): Promise<Cached | null> {
  const [row] = await deps.db
    .update(callerCache)
    .set({ usedAt: now(deps) })
    .where(and(eq(callerCache.account, account), eq(callerCache.phone, phone)))
    .returning({ card: callerCache.card, fetchedAt: callerCache.fetchedAt });
  return row ? { card: row.card as CallerCard | null, fetchedAt: row.fetchedAt } : null;
}

async function remember(deps: LiveDeps, account: string, phone: string, card: CallerCard | null): Promise<void> {
  const at = now(deps);
  memorize(deps, `${account}\n${phone}`, { card, fetchedAt: at });
  await deps.db
    .insert(callerCache)
    .values({ account, phone, card: card as Record<string, unknown> | null, fetchedAt: at, usedAt: at })
    .onConflictDoUpdate({ target: [callerCache.account, callerCache.phone], set: { card: sql`excluded.card`, fetchedAt: at } });
}

const now = (deps: LiveDeps) => (deps.now ?? (() => new Date()))();

/** The card for a number: cache first, else the CRM within the deadline. */
export async function lookupCaller(deps: LiveDeps, rawPhone: string, line: string | null = null): Promise<LookupAnswer> {
  const phone = outsideNumber(deps.config, rawPhone, line);
  if (!phone) return answerOf(deps, null, null, 'default', 'not an outside number: an extension, withheld or empty');
  const crm = liveCrm(deps);
  const find = crm?.port.findCaller?.bind(crm.port);
  if (!crm || !find) return answerOf(deps, phone, null, 'default', 'this CRM cannot be asked who has a number');
  const hit = await cached(deps, crm.accountId, phone);
  const ask = async () => {
    const card = await find(phone, { deadline: Date.now() + LATE_ANSWER_MS });
    await remember(deps, crm.accountId, phone, card);
    return card;
  };
  if (hit) {
    const age = now(deps).getTime() - hit.fetchedAt.getTime();
    if (age > deps.config.live.lookup.fresh_seconds * 1000) refreshOnce(deps, `${crm.accountId}\n${phone}`, ask);
    return answerOf(deps, phone, hit.card, 'cache', null);
  }
  return fromCrm(deps, phone, ask());
}

/** How long a lookup's CRM request may go on after the PBX got its default route: it fills the cache. */
const LATE_ANSWER_MS = 10_000;

async function fromCrm(deps: LiveDeps, phone: string, asking: Promise<CallerCard | null>): Promise<LookupAnswer> {
  const deadlineMs = deps.config.live.lookup.deadline_ms;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), deadlineMs);
  });
  const settled = asking.then(
    (card) => ({ card }),
    (error: unknown) => ({ error }),
  );
  try {
    const first = await Promise.race([settled, late]);
    if (first === 'late') {
      background(deps, settled, 'a late caller lookup');
      return answerOf(deps, phone, null, 'default', `the CRM did not answer within ${deadlineMs} ms`);
    }
    if ('error' in first) return answerOf(deps, phone, null, 'default', `the CRM could not be asked: ${describeError(first.error)}`);
    return answerOf(deps, phone, first.card, 'crm', null);
  } finally {
    clearTimeout(timer);
  }
}

const refreshing = new WeakMap<LiveDeps, Set<string>>();

/** One background refresh per number at a time, however many lookups find it stale meanwhile. */
function refreshOnce(deps: LiveDeps, key: string, ask: () => Promise<unknown>): void {
  let keys = refreshing.get(deps);
  if (!keys) refreshing.set(deps, (keys = new Set()));
  if (keys.has(key)) return;
  keys.add(key);
  background(
    deps,
    ask().finally(() => keys.delete(key)),
    'refreshing a cached caller',
  );
}

function background(deps: LiveDeps, work: Promise<unknown>, what: string): void {
  const guarded = work.catch((error: unknown) => deps.log.warn(`${what} failed`, { error }));
  if (deps.defer) deps.defer(guarded);
}
