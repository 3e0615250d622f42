/**
 * A deletion request by phone number (right to erasure). Every call with the number as the
 * outside party — the conversation's number, or any leg's from/to — is deleted with everything it
 * has (purge.ts), except calls under legal hold, which are listed as kept with the hold's reason.
 * Stored bodies naming the number: deleted when no call they carry is left; redacted (the number
 * replaced by a fixed token) when they carry other calls too, so those are not lost; left alone
 * when they carry a held call. Live rows, click-to-call requests, cached caller cards and
 * reconciliation findings naming it are deleted. The request is kept without the number: a salted
 * hash and its last four digits.
 * @module
 */
import { and, eq, sql } from 'drizzle-orm';
import { callerCache, conversations, erasures, inboxEvents, legs, liveCalls, originations, reconcileFindings, type ErasureKept } from '../db/schema';
import { queryRows } from '../db/raw';
import { sha256Hex } from '../lib/crypto';
import { nowOf, type PrivacyDeps } from './deps';
import { isSameNumber, mentionPgPattern, mentions, numberForms, redact, type NumberForms } from './numbers';
import { bodyFate, deleteCalls } from './purge';

/** The CRM's copy is the CRM's: calltrail cannot delete it. */
export const CRM_NOTE =
  'The CRM holds its own copy of these calls (notes, contacts, created leads and tasks): calltrail does not delete it; erase the person there too.';

export interface ErasureReport {
  id: string;
  requested_at: string;
  requested_by: string;
  phone: string;
  calls_deleted: number;
  recordings_deleted: number;
  files_deleted: number;
  bodies_deleted: number;
  bodies_redacted: number;
  other_rows_deleted: number;
  kept_on_hold: ErasureKept[];
  errors: string[];
  crm_note: string;
}

/** The request cannot be carried out as asked (the message says why): a 400. */
export class ErasureRefused extends Error {}

export async function eraseNumber(deps: PrivacyDeps, phone: string, requestedBy: string): Promise<ErasureReport> {
  const forms = numberForms(phone, deps.rules);
  if (typeof forms === 'string') throw new ErasureRefused(`phone: ${forms}`);
  if (forms.e164 && deps.rules.lineCountries?.has(forms.e164.slice(1))) {
    throw new ErasureRefused('phone: this is one of our own lines (lines: in the config); its calls are everybody’s calls');
  }
  const now = nowOf(deps);
  const calls = await callsOf(deps, forms);
  const kept = calls.filter((c) => c.heldAt);
  const gone = await deleteCalls(
    deps,
    calls.filter((c) => !c.heldAt).map((c) => c.id),
  );
  const bodies = await settleBodies(deps, forms, gone.bodyIds, new Set(kept.map((c) => c.id)));
  const otherRows = await deleteOtherRows(deps, forms);
  const salt = sha256Hex(crypto.randomUUID()).slice(0, 32);
  const [row] = await deps.db
    .insert(erasures)
    .values({
      requestedAt: now,
      requestedBy,
      salt,
      phoneHash: phoneHash(salt, forms),
      phoneLast4: forms.last4,
      callsDeleted: gone.calls,
      recordingsDeleted: gone.recordings,
      filesDeleted: gone.files,
      bodiesDeleted: bodies.deleted,
      bodiesRedacted: bodies.redacted,
      otherRows,
      keptOnHold: kept.map((c) => ({ call_id: c.id, held_at: c.heldAt!.toISOString(), held_by: c.heldBy, reason: c.reason })),
      errors: gone.errors.slice(0, 50),
    })
    .returning();
  const report = erasureReport(row!);
  deps.log.info('erasure', { ...report, kept_on_hold: kept.length, errors: gone.errors.length, crm_note: undefined });
  return report;
}

/** The stored request as the API answers it (the number masked to its last four digits). */
export function erasureReport(row: typeof erasures.$inferSelect): ErasureReport {
  return {
    id: row.id,
    requested_at: row.requestedAt.toISOString(),
    requested_by: row.requestedBy,
    phone: `***${row.phoneLast4}`,
    calls_deleted: row.callsDeleted,
    recordings_deleted: row.recordingsDeleted,
    files_deleted: row.filesDeleted,
    bodies_deleted: row.bodiesDeleted,
    bodies_redacted: row.bodiesRedacted,
    other_rows_deleted: row.otherRows,
    kept_on_hold: row.keptOnHold,
    errors: row.errors,
    crm_note: CRM_NOTE,
  };
}

/** The key the hash is made of: E.164, or the digits of a number that cannot be placed. */
const hashKey = (forms: NumberForms) => forms.e164 ?? forms.core;
export const phoneHash = (salt: string, forms: NumberForms): string => sha256Hex(`${salt}:${hashKey(forms)}`);

/** Whether the number was erased before: the requests whose salted hash it matches. */
export async function erasuresOf(deps: PrivacyDeps, phone: string): Promise<(typeof erasures.$inferSelect)[]> {
  const forms = numberForms(phone, deps.rules);
  if (typeof forms === 'string') throw new ErasureRefused(`phone: ${forms}`);
  const rows = await deps.db.select().from(erasures).where(eq(erasures.phoneLast4, forms.last4));
  return rows.filter((r) => r.phoneHash === phoneHash(r.salt, forms));
}

interface FoundCall {
  id: string;
  heldAt: Date | null;
  heldBy: string | null;
  reason: string | null;
}

const digitsOf = (column: unknown) => sql`regexp_replace(coalesce(${column}, ''), '[^0-9]', '', 'g')`;

/** Every call with the number as the outside party: found by digits in SQL, confirmed here. */
async function callsOf(deps: PrivacyDeps, forms: NumberForms): Promise<FoundCall[]> {
  const tail = `%${forms.core}`;
  const byCall = await deps.db
    .select({ id: conversations.id, e164: conversations.externalNumber, raw: conversations.externalNumberRaw })
    .from(conversations)
    .where(sql`${conversations.externalNumber} = ${forms.e164 ?? ''} or ${digitsOf(conversations.externalNumberRaw)} like ${tail}`);
  const byLeg = await deps.db
    .select({ id: legs.conversationId, from: legs.fromRaw, to: legs.toRaw })
    .from(legs)
    .where(sql`${digitsOf(legs.fromRaw)} like ${tail} or ${digitsOf(legs.toRaw)} like ${tail}`);
  const ids = new Set<string>();
  for (const c of byCall) if ((forms.e164 && c.e164 === forms.e164) || isSameNumber(forms, c.raw, deps.rules)) ids.add(c.id);
  for (const l of byLeg) if (isSameNumber(forms, l.from, deps.rules) || isSameNumber(forms, l.to, deps.rules)) ids.add(l.id);
  if (!ids.size) return [];
  const rows = await deps.db
    .select({ id: conversations.id, heldAt: conversations.legalHoldAt, heldBy: conversations.legalHoldBy, reason: conversations.legalHoldReason })
    .from(conversations)
    .where(sql`${conversations.id} = any(${`{${[...ids].join(',')}}`}::uuid[])`);
  return rows;
}

/**
 * The stored bodies of the deleted calls and every body naming the number: deleted when no call
 * they carry is left, redacted when other calls are, left alone when a held call is.
 */
async function settleBodies(
  deps: PrivacyDeps,
  forms: NumberForms,
  carried: readonly number[],
  keptIds: ReadonlySet<string>,
): Promise<{ deleted: number; redacted: number }> {
  const pattern = mentionPgPattern(forms);
  const naming = await queryRows<{ id: number | string }>(
    deps.db,
    sql`select id from ${inboxEvents}
         where raw ~ ${pattern} or meta::text ~ ${pattern} or coalesce(error, '') ~ ${pattern} or coalesce(note, '') ~ ${pattern}`,
  );
  const ids = new Set<number>([...carried, ...naming.map((r) => Number(r.id))]);
  let deleted = 0;
  let redacted = 0;
  for (const id of ids) {
    const [body] = await deps.db.select().from(inboxEvents).where(eq(inboxEvents.id, id));
    if (!body) continue;
    const named = [body.raw, JSON.stringify(body.meta), body.error, body.note].some((t) => mentions(forms, t));
    const { fate, held } = await bodyFate(deps, body);
    if (fate === 'gone') {
      await deps.db.delete(inboxEvents).where(eq(inboxEvents.id, id));
      deleted++;
    } else if (named && !held.some((h) => keptIds.has(h))) {
      // Other calls are left in it (or held calls of other numbers): only the number goes.
      await deps.db.update(inboxEvents).set(redactedBody(forms, body)).where(eq(inboxEvents.id, id));
      redacted++;
    }
    // A body carrying a held call of this number is evidence under hold: left whole.
  }
  return { deleted, redacted };
}

function redactedBody(forms: NumberForms, body: typeof inboxEvents.$inferSelect): Partial<typeof inboxEvents.$inferInsert> {
  return {
    raw: redact(forms, body.raw),
    meta: JSON.parse(redact(forms, JSON.stringify(body.meta))) as Record<string, string>,
    error: body.error === null ? null : redact(forms, body.error),
    note: body.note === null ? null : redact(forms, body.note),
  };
}

/** Live calls, click-to-call requests, cached caller cards and findings naming the number. */
async function deleteOtherRows(deps: PrivacyDeps, forms: NumberForms): Promise<number> {
  const tail = `%${forms.core}`;
  const pattern = mentionPgPattern(forms);
  let count = 0;
  // The live row of a held call stays with it.
  const live = await deps.db
    .select({ id: liveCalls.id, from: liveCalls.fromNumber, to: liveCalls.toNumber })
    .from(liveCalls)
    .where(
      sql`(${digitsOf(liveCalls.fromNumber)} like ${tail} or ${digitsOf(liveCalls.toNumber)} like ${tail})
          and not exists (select 1 from ${conversations} c where c.call_key = live_calls.call_key and c.legal_hold_at is not null)`,
    );
  for (const l of live) {
    if (!isSameNumber(forms, l.from, deps.rules) && !isSameNumber(forms, l.to, deps.rules)) continue;
    count += (await deps.db.delete(liveCalls).where(eq(liveCalls.id, l.id)).returning({ id: liveCalls.id })).length;
  }
  const calls = await deps.db
    .select({ id: originations.id, phone: originations.phone })
    .from(originations)
    .where(sql`${digitsOf(originations.phone)} like ${tail}`);
  for (const o of calls) {
    if (!isSameNumber(forms, o.phone, deps.rules)) continue;
    count += (await deps.db.delete(originations).where(eq(originations.id, o.id)).returning({ id: originations.id })).length;
  }
  const cards = await deps.db
    .select({ account: callerCache.account, phone: callerCache.phone, card: callerCache.card })
    .from(callerCache)
    .where(sql`${digitsOf(callerCache.phone)} like ${tail} or coalesce(${callerCache.card}::text, '') ~ ${pattern}`);
  for (const c of cards) {
    if (!isSameNumber(forms, c.phone, deps.rules) && !mentions(forms, JSON.stringify(c.card))) continue;
    const where = and(eq(callerCache.account, c.account), eq(callerCache.phone, c.phone));
    count += (await deps.db.delete(callerCache).where(where).returning({ phone: callerCache.phone })).length;
  }
  // Findings of a held call stay with it; any other finding naming the number goes.
  const findings = await queryRows<{ id: number | string; detail: unknown }>(
    deps.db,
    sql`select f.id, f.detail from ${reconcileFindings} f left join ${conversations} c on c.id = f.conversation_id
         where f.detail::text ~ ${pattern} and c.legal_hold_at is null`,
  );
  for (const f of findings) {
    if (!mentions(forms, JSON.stringify(f.detail))) continue;
    count += (
      await deps.db
        .delete(reconcileFindings)
        .where(eq(reconcileFindings.id, Number(f.id)))
        .returning({ id: reconcileFindings.id })
    ).length;
  }
  return count;
}
