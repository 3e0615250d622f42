/**
 * Recording policy: whether a call's recordings are kept, by who took it (the CRM user behind the
 * extension, its department), the line and the direction. A rule names any combination of those
 * (an empty field matches every call) and says record or skip. Among the rules in force when the
 * call started, the most specific one decides (more fields named), the newest on a tie; no rule:
 * recorded. So "skip department hr" with "record user 7" records user 7's calls in hr.
 *
 * Rules apply from then on: a rule counts for calls that started after it was added and before it
 * was removed. A skipped call's recordings are never fetched, archived or linked from the CRM, and
 * the call says why: "not recorded by policy (rule #N)" (archive.ts applies it).
 * @module
 */
import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/client';
import { type RECORDING_POLICY_DIRECTIONS, recordingPolicies } from '../db/schema';

export type PolicyDirection = (typeof RECORDING_POLICY_DIRECTIONS)[number];

export interface PolicyRule {
  id: number;
  userId: number | null;
  department: string | null;
  line: string | null;
  direction: PolicyDirection | null;
  action: 'record' | 'skip';
  createdAt: Date;
  removedAt: Date | null;
}

export interface PolicyCall {
  userId: number | null;
  department: string | null;
  line: string | null;
  direction: string | null;
  /** When the call started (or, without a start, when calltrail first saw it). */
  at: Date;
}

export type PolicyDecision = { record: true; rule: PolicyRule | null } | { record: false; rule: PolicyRule };

/** A line compared by its digits: "+375 17 200-00-00" and "375172000000" are one line. */
export const lineDigits = (line: string) => line.replace(/\D/g, '');

function matches(rule: PolicyRule, call: PolicyCall): boolean {
  if (rule.userId !== null && rule.userId !== call.userId) return false;
  if (rule.department !== null && rule.department !== call.department) return false;
  if (rule.direction !== null && rule.direction !== call.direction) return false;
  if (rule.line !== null) {
    const want = lineDigits(rule.line);
    if (call.line === null || (want ? lineDigits(call.line) !== want : call.line !== rule.line)) return false;
  }
  return true;
}

const specificity = (r: PolicyRule) => [r.userId, r.department, r.line, r.direction].filter((v) => v !== null).length;

/** The rule that decides a call, among those in force when it started. */
export function decideRecording(rules: readonly PolicyRule[], call: PolicyCall): PolicyDecision {
  let best: PolicyRule | null = null;
  for (const rule of rules) {
    if (rule.createdAt > call.at || (rule.removedAt !== null && rule.removedAt <= call.at)) continue;
    if (!matches(rule, call)) continue;
    if (!best || specificity(rule) > specificity(best) || (specificity(rule) === specificity(best) && rule.id > best.id)) best = rule;
  }
  if (best?.action === 'skip') return { record: false, rule: best };
  return { record: true, rule: best };
}

export const policyReason = (rule: { id: number }) => `not recorded by policy (rule #${rule.id})`;

/** The reason on a call whose recordings a policy skipped, or null. */
export function notRecordedByPolicy(recordings: readonly { fetchError: string | null }[]): string | null {
  return recordings.find((r) => r.fetchError !== null && /^not recorded by policy \(rule #\d+\)$/.test(r.fetchError))?.fetchError ?? null;
}

function toRule(row: typeof recordingPolicies.$inferSelect): PolicyRule {
  return {
    id: row.id,
    userId: row.userId,
    department: row.department,
    line: row.line,
    direction: row.direction,
    action: row.action,
    createdAt: row.createdAt,
    removedAt: row.removedAt,
  };
}

/** Every rule, removed ones included (a call is judged by the rules in force when it started). */
export async function loadPolicyRules(db: Db): Promise<PolicyRule[]> {
  return (await db.select().from(recordingPolicies).orderBy(asc(recordingPolicies.id))).map(toRule);
}

/** The rules in force now, oldest first, as the console and the API list them. */
export async function activePolicies(db: Db) {
  return db.select().from(recordingPolicies).where(isNull(recordingPolicies.removedAt)).orderBy(asc(recordingPolicies.id));
}

export interface NewPolicy {
  userId: number | null;
  department: string | null;
  line: string | null;
  direction: PolicyDirection | null;
  action: 'record' | 'skip';
  note: string | null;
}

/** Problems with a rule as asked (empty: fine). */
export function policyProblems(p: NewPolicy): string[] {
  const problems: string[] = [];
  if (p.userId === null && p.department === null && p.line === null && p.direction === null) {
    problems.push('name at least one of user_id, department, line, direction (a rule for every call would be a switch, not a policy)');
  }
  if (p.line !== null && lineDigits(p.line) === '') problems.push('line: expected a phone number');
  return problems;
}

export async function addPolicy(db: Db, p: NewPolicy, by: string, now: Date) {
  const [row] = await db
    .insert(recordingPolicies)
    .values({ ...p, createdBy: by, createdAt: now })
    .returning();
  return row as typeof recordingPolicies.$inferSelect;
}

/** Removes a rule in force (kept as removed); null when there is no such rule in force. */
export async function removePolicy(db: Db, id: number, by: string, now: Date) {
  const [row] = await db
    .update(recordingPolicies)
    .set({ removedAt: now, removedBy: by })
    .where(and(eq(recordingPolicies.id, id), isNull(recordingPolicies.removedAt)))
    .returning();
  return row ?? null;
}
