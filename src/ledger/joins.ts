/**
 * One real call can reach us under several conversation keys. A FreeSWITCH attended transfer is
 * the case in point: the consultation call is originated from the agent's leg, so its legs carry
 * that leg's uuid as call_uuid, not the customer's; only their bridge_uuid / originating_leg_uuid /
 * transfer_history say they are the same conversation. Asterisk ≤ 11 CDRs have no linkedid: the
 * dialled channel's later record names the same channel as the caller's row did. A leg that
 * names such keys (`joins`, kept on the leg as `links`) is put, with every conversation those keys
 * lead to (as a conversation key, a leg, or another leg's link), into one conversation — whatever
 * order the legs arrive in:
 *
 *  - the conversation kept is one whose note is already in the CRM, else the one that started
 *    first (the customer's call), ties broken by key;
 *  - the others' legs and recordings move into it and they are removed (their deliveries had not
 *    been tried); a conversation already in the CRM is never removed;
 *  - the events of the body are re-keyed to it.
 *
 * Sources whose legs name no joins pay nothing. Join-resolving transactions of a source are
 * serialized by an advisory lock, so two legs of one call stored at once still meet.
 * @module
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { json, queryRows, uuidArray } from '../db/raw';
import type { CallEvent } from '../domain/events';
import { conversationUniq } from './versions';

export interface JoinItem {
  source: string;
  events: readonly CallEvent[];
}

interface Existing {
  id: string;
  call_key: string;
  started_at: Date | string | null;
  in_crm: boolean;
  /** The keys its legs matched: leg keys, and the links its legs named. */
  legs: string[] | null;
}

export interface JoinResult<T extends JoinItem> {
  items: T[];
  /** Conversations that received legs from others: they must be summarized again. */
  merged: { source: string; callKey: string }[];
}

export async function joinConversations<T extends JoinItem>(tx: Db, items: readonly T[], familyOf: (source: string) => string): Promise<JoinResult<T>> {
  const joining = new Map<string, Set<string>>();
  for (const item of items) {
    for (const e of item.events) {
      if (e.kind !== 'leg' || !e.joins?.length) continue;
      const family = familyOf(item.source);
      const keys = joining.get(family) ?? new Set<string>();
      for (const k of [e.callKey, e.legKey, ...e.joins]) keys.add(k);
      joining.set(family, keys);
    }
  }
  if (joining.size === 0) return { items: [...items], merged: [] };
  const rename = new Map<string, string>();
  const merged: { source: string; callKey: string }[] = [];
  for (const [family, keys] of [...joining].sort(([a], [b]) => (a < b ? -1 : 1))) {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`calltrail:joins:${family}`}))`);
    const existing = await findExisting(tx, family, [...keys]);
    const plan = planJoins(
      items.filter((i) => familyOf(i.source) === family),
      existing,
    );
    for (const [from, to] of plan.rename) rename.set(`${family}\n${from}`, to);
    for (const step of plan.moves) await moveInto(tx, family, step);
    merged.push(...plan.targets.map((callKey) => ({ source: family, callKey })));
  }
  const rekey = (source: string, key: string) => rename.get(`${familyOf(source)}\n${key}`) ?? key;
  return {
    items: items.map((item) => ({ ...item, events: item.events.map((e) => (e.kind === 'dropped' ? e : { ...e, callKey: rekey(item.source, e.callKey) })) })),
    merged,
  };
}

async function findExisting(tx: Db, family: string, keys: string[]): Promise<Existing[]> {
  return queryRows<Existing>(
    tx,
    sql`with k as (select array_agg(value) as keys from json_array_elements_text(${json(keys)}))
        select c.id, c.call_key, c.started_at,
               exists (select 1 from deliveries d where d.conversation_id = c.id and (d.attempts > 0 or d.state = 'delivered')) as in_crm,
               array(select l.leg_key from legs l, k where l.conversation_id = c.id and l.leg_key = any(k.keys)
                     union select unnest(l.links) from legs l, k where l.conversation_id = c.id and l.links && k.keys) as legs
          from conversations c, k
         where c.source = ${family}
           and (c.call_key = any(k.keys)
                or c.id in (select l.conversation_id from legs l where l.leg_key = any(k.keys))
                or c.id in (select l.conversation_id from legs l where l.links && k.keys))
         order by c.id
           for update of c`,
  );
}

interface Move {
  /** The conversation kept (its key); absent when it is to be made by renaming the first of `from`. */
  target: string;
  targetExists: boolean;
  from: Existing[];
}

interface Plan {
  rename: Map<string, string>;
  moves: Move[];
  targets: string[];
}

/** Union of keys: a leg's key, its call key and its joins; a stored conversation's key and its matched legs. */
export function planJoins(items: readonly JoinItem[], existing: readonly Existing[]): Plan {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let p = parent.get(x) ?? x;
    if (p !== x) parent.set(x, (p = find(p)));
    return p;
  };
  const union = (a: string, b: string) => {
    const [ra, rb] = [find(a), find(b)];
    // The smaller key (by string order) becomes the root, so the plan does not depend on arrival order.
    const [low, high] = ra < rb ? [ra, rb] : [rb, ra];
    if (low !== high) parent.set(high, low);
  };
  const starts = new Map<string, number>();
  for (const item of items) {
    for (const e of item.events) {
      if (e.kind === 'dropped' || e.kind === 'live') continue;
      union(`k:${e.callKey}`, `k:${e.callKey}`);
      if (e.kind !== 'leg') continue;
      union(`k:${e.callKey}`, `k:${e.legKey}`);
      for (const j of e.joins ?? []) union(`k:${e.callKey}`, `k:${j}`);
      const t = e.startedAt.getTime();
      starts.set(e.callKey, Math.min(starts.get(e.callKey) ?? t, t));
    }
  }
  for (const c of existing) {
    union(`c:${c.id}`, `k:${c.call_key}`);
    for (const leg of c.legs ?? []) union(`c:${c.id}`, `k:${leg}`);
  }
  const components = new Map<string, { keys: Set<string>; stored: Existing[] }>();
  const component = (node: string) => {
    const root = find(node);
    let c = components.get(root);
    if (!c) components.set(root, (c = { keys: new Set(), stored: [] }));
    return c;
  };
  for (const key of starts.keys()) component(`k:${key}`).keys.add(key);
  for (const item of items) for (const e of item.events) if (e.kind !== 'dropped') component(`k:${e.callKey}`).keys.add(e.callKey);
  for (const c of existing) component(`c:${c.id}`).stored.push(c);

  const plan: Plan = { rename: new Map(), moves: [], targets: [] };
  for (const { keys, stored } of components.values()) {
    const candidates = [...new Set([...keys, ...stored.map((s) => s.call_key)])];
    if (candidates.length < 2 && stored.length < 2) continue;
    const target = chooseTarget(candidates, stored, starts);
    for (const key of keys) if (key !== target) plan.rename.set(key, target);
    const from = stored.filter((s) => s.call_key !== target && !s.in_crm);
    if (from.length) {
      plan.moves.push({ target, targetExists: stored.some((s) => s.call_key === target), from });
      plan.targets.push(target);
    }
  }
  return plan;
}

/** A conversation already in the CRM stays; else the one that started first; ties by key. */
function chooseTarget(candidates: string[], stored: readonly Existing[], starts: ReadonlyMap<string, number>): string {
  const inCrm = stored
    .filter((s) => s.in_crm)
    .map((s) => s.call_key)
    .sort();
  if (inCrm[0] !== undefined) return inCrm[0];
  const startOf = (key: string) => {
    const times = [starts.get(key), ...stored.filter((s) => s.call_key === key).map((s) => (s.started_at ? new Date(s.started_at).getTime() : undefined))];
    const known = times.filter((t): t is number => t !== undefined);
    return known.length ? Math.min(...known) : Number.POSITIVE_INFINITY;
  };
  return [...candidates].sort((a, b) => startOf(a) - startOf(b) || (a < b ? -1 : a > b ? 1 : 0))[0] as string;
}

/**
 * Moves the legs and recordings of `from` into the target and removes `from`. Without a stored
 * target the first of `from` becomes it (renamed, with the target's uniq: nothing of it is in
 * the CRM yet).
 */
async function moveInto(tx: Db, family: string, move: Move): Promise<void> {
  let from = move.from;
  if (!move.targetExists) {
    const [first, ...rest] = from;
    if (!first) return;
    await tx.execute(sql`update conversations set call_key = ${move.target}, uniq = ${conversationUniq(family, move.target)}, revision = revision + 1, updated_at = now()
                          where id = ${first.id}`);
    await tx.execute(sql`update deliveries set uniq = ${conversationUniq(family, move.target)} where conversation_id = ${first.id}`);
    from = rest;
  }
  if (from.length === 0) return;
  const ids = uuidArray(from.map((f) => f.id));
  const [target] = await queryRows<{ id: string }>(tx, sql`select id from conversations where source = ${family} and call_key = ${move.target}`);
  if (!target) throw new Error(`joined conversation ${move.target} is missing`);
  // A leg or recording both conversations hold (sent twice under both keys) stays once: the target's.
  await tx.execute(sql`delete from legs l using legs t where l.conversation_id = any(${ids}) and t.conversation_id = ${target.id} and t.leg_key = l.leg_key`);
  await tx.execute(
    sql`delete from recordings r using recordings t where r.conversation_id = any(${ids}) and t.conversation_id = ${target.id} and t.recording_key = r.recording_key`,
  );
  await tx.execute(sql`update legs set conversation_id = ${target.id}, updated_at = now() where conversation_id = any(${ids})`);
  await tx.execute(sql`update recordings set conversation_id = ${target.id}, updated_at = now() where conversation_id = any(${ids})`);
  await tx.execute(sql`delete from deliveries where conversation_id = any(${ids})`);
  await tx.execute(sql`delete from conversations where id = any(${ids})`);
}
