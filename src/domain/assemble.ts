/**
 * Conversation assembly: the summary of a call is a pure function of its legs and recordings,
 * so duplicates and arrival order cannot change it.
 * @module
 */
import type { Direction, Outcome } from '../db/schema/conversations';
import type { Disposition } from '../db/schema/legs';
import { classifyNumber, type NumberRules, type PartyNumber } from './phone';

export interface LegFacts {
  legKey: string;
  direction: Direction | null;
  fromRaw: string | null;
  toRaw: string | null;
  extension: string | null;
  startedAt: Date;
  answeredAt: Date | null;
  endedAt: Date;
  disposition: Disposition;
  talkSeconds: number;
  final: boolean;
  recorded: boolean | null;
}

export interface RecordingFacts {
  legKey: string;
}

export interface ConversationSummary {
  direction: Direction | null;
  externalNumber: string | null;
  externalNumberRaw: string | null;
  extension: string | null;
  outcome: Outcome | null;
  startedAt: Date | null;
  answeredAt: Date | null;
  endedAt: Date | null;
  durationSeconds: number | null;
  talkSeconds: number | null;
  legCount: number;
  final: boolean;
  awaitingRecordings: boolean;
}

const byStart = (a: LegFacts, b: LegFacts) =>
  a.startedAt.getTime() - b.startedAt.getTime() || (a.legKey < b.legKey ? -1 : a.legKey > b.legKey ? 1 : 0);

const isExternal = (p: PartyNumber) => p.kind === 'external' || p.kind === 'unknown';

interface Party {
  leg: LegFacts;
  from: PartyNumber;
  to: PartyNumber;
  direction: Direction | null;
  extension: string | null;
}

/** The direction a leg declares, or the one its numbers imply. */
function legDirection(from: PartyNumber, to: PartyNumber, declared: Direction | null): Direction | null {
  if (declared) return declared;
  if (isExternal(from) && !isExternal(to)) return 'inbound';
  if (from.kind === 'extension' && isExternal(to)) return 'outbound';
  if (from.kind === 'extension' && to.kind === 'extension') return 'internal';
  return null;
}

function legExtension(leg: LegFacts, from: PartyNumber, to: PartyNumber, direction: Direction | null, rules: NumberRules) {
  if (leg.extension) {
    const own = classifyNumber(leg.extension, rules);
    return own.kind === 'extension' ? own.extension : leg.extension.trim();
  }
  const [first, second] = direction === 'outbound' ? [from, to] : [to, from];
  if (first.kind === 'extension') return first.extension;
  if (second.kind === 'extension') return second.extension;
  return null;
}

export function summarize(
  legs: readonly LegFacts[],
  recordings: readonly RecordingFacts[],
  rules: NumberRules,
): ConversationSummary {
  const sorted = [...legs].sort(byStart);
  const parties: Party[] = sorted.map((leg) => {
    const from = classifyNumber(leg.fromRaw, rules);
    const to = classifyNumber(leg.toRaw, rules);
    const direction = legDirection(from, to, leg.direction);
    return { leg, from, to, direction, extension: legExtension(leg, from, to, direction, rules) };
  });

  const { direction, external } = conversationParties(parties);
  const answered = sorted.filter((l) => l.disposition === 'answered');
  const start = minTime(sorted.map((l) => l.startedAt));
  const end = maxTime(sorted.map((l) => l.endedAt));
  const talk = sorted.length ? talkSeconds(answered) : null;

  return {
    direction,
    externalNumber: external?.kind === 'external' ? external.e164 : null,
    externalNumberRaw: external && external.kind !== 'none' ? external.raw : null,
    extension: handlingExtension(parties),
    outcome: outcome(sorted.map((l) => l.disposition)),
    startedAt: start,
    answeredAt: minTime(answered.map((l) => l.answeredAt).filter((d): d is Date => d !== null)),
    endedAt: end,
    durationSeconds: start && end ? Math.max(0, Math.round((end.getTime() - start.getTime()) / 1000)) : null,
    talkSeconds: talk,
    legCount: sorted.length,
    final: sorted.some((l) => l.final),
    awaitingRecordings: awaitingRecordings(sorted, recordings),
  };
}

/**
 * The conversation takes the direction of its first leg that reaches outside; the outside party
 * is that leg's caller (inbound) or callee (outbound), else the first outside number on any leg.
 * A conversation where every party is an extension is internal, whatever the PBX declared.
 */
function conversationParties(parties: Party[]): { direction: Direction | null; external: PartyNumber | null } {
  const outside = parties.find((p) => p.direction === 'inbound' || p.direction === 'outbound');
  if (!outside) {
    const anyInternal = parties.some((p) => p.direction === 'internal');
    return { direction: anyInternal ? 'internal' : null, external: null };
  }
  const direction = outside.direction;
  const preferred = (p: Party) => (p.direction === 'outbound' ? p.to : p.from);
  // The outside side of a leg is the caller of an inbound call. Its callee counts only when the
  // caller is one of our extensions (the PBX declared the direction the wrong way round) — never
  // when the caller is withheld, or the company's own line would become "the customer".
  const other = (p: Party) => (p.direction === 'outbound' ? p.from : p.to);
  const flipped = (p: Party) => (preferred(p).kind === 'extension' ? [other(p)] : []);
  const candidates = [preferred(outside), ...parties.map(preferred), ...parties.flatMap(flipped)];
  const external = candidates.find(isExternal);
  if (external) return { direction, external };
  // No outside number anywhere. Withheld ("anonymous") callers are still outside calls;
  // extension-to-extension calls are internal even if declared otherwise.
  const withheld = parties.some((p) => preferred(p).kind === 'none');
  return withheld ? { direction, external: { kind: 'none' } } : { direction: 'internal', external: null };
}

/** Whoever talked longest; with no talk, the first extension rung. */
function handlingExtension(parties: Party[]): string | null {
  const talk = new Map<string, { seconds: number; lastEnd: number }>();
  for (const p of parties) {
    if (!p.extension || p.leg.disposition !== 'answered') continue;
    const t = talk.get(p.extension) ?? { seconds: 0, lastEnd: 0 };
    t.seconds += p.leg.talkSeconds;
    t.lastEnd = Math.max(t.lastEnd, p.leg.endedAt.getTime());
    talk.set(p.extension, t);
  }
  let best: [string, { seconds: number; lastEnd: number }] | undefined;
  for (const entry of talk) {
    if (
      !best ||
      entry[1].seconds > best[1].seconds ||
      (entry[1].seconds === best[1].seconds && entry[1].lastEnd > best[1].lastEnd) ||
      (entry[1].seconds === best[1].seconds && entry[1].lastEnd === best[1].lastEnd && entry[0] < best[0])
    ) {
      best = entry;
    }
  }
  return best?.[0] ?? parties.find((p) => p.extension)?.extension ?? null;
}

function outcome(dispositions: Disposition[]): Outcome | null {
  if (dispositions.length === 0) return null;
  if (dispositions.includes('answered')) return 'answered';
  if (dispositions.includes('no_answer')) return 'missed';
  if (dispositions.includes('busy')) return 'busy';
  return 'failed';
}

/** Length of the union of the talk intervals, so overlapping legs (attended transfer) count once. */
function talkSeconds(answered: LegFacts[]): number {
  const intervals = answered
    .map((l) => {
      const end = l.endedAt.getTime();
      const start = l.answeredAt ? l.answeredAt.getTime() : end - l.talkSeconds * 1000;
      return [Math.min(start, end), end] as const;
    })
    .sort((a, b) => a[0] - b[0]);
  let total = 0;
  let curStart = -Infinity;
  let curEnd = -Infinity;
  for (const [s, e] of intervals) {
    if (s > curEnd) {
      if (curEnd > curStart) total += curEnd - curStart;
      curStart = s;
      curEnd = e;
    } else if (e > curEnd) curEnd = e;
  }
  if (curEnd > curStart) total += curEnd - curStart;
  return Math.round(total / 1000);
}

/**
 * Answered legs expect a recording unless the PBX said it records nothing. A recording whose
 * leg matches no leg covers the whole conversation.
 */
function awaitingRecordings(legs: LegFacts[], recordings: readonly RecordingFacts[]): boolean {
  const legKeys = new Set(legs.map((l) => l.legKey));
  const covered = new Set(recordings.map((r) => r.legKey));
  if (recordings.some((r) => !legKeys.has(r.legKey))) return false;
  return legs.some((l) => l.disposition === 'answered' && l.recorded !== false && !covered.has(l.legKey));
}

function minTime(dates: Date[]): Date | null {
  return dates.reduce<Date | null>((m, d) => (m === null || d < m ? d : m), null);
}
function maxTime(dates: Date[]): Date | null {
  return dates.reduce<Date | null>((m, d) => (m === null || d > m ? d : m), null);
}
