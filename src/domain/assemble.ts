/**
 * Conversation assembly: the summary of a call is a pure function of its legs and recordings,
 * so duplicates and arrival order cannot change it.
 * @module
 */
import type { Direction, Outcome } from './call';
import type { Disposition } from './call';
import type { LegEnded } from './events';
import { classifyNumber, countryForLine, maskNumber, type NumberRules, type PartyNumber } from './phone';

export interface LegFacts {
  legKey: string;
  direction: Direction | null;
  /** Why the PBX's record gives this direction (which channel, context or field said so). */
  directionRule: string | null;
  fromRaw: string | null;
  toRaw: string | null;
  extension: string | null;
  /** Our number the call came in on or went out from (DID), when the PBX says. */
  line: string | null;
  startedAt: Date;
  answeredAt: Date | null;
  endedAt: Date;
  disposition: Disposition;
  talkSeconds: number;
  final: boolean;
  recorded: boolean | null;
}

/** A leg event as the summary reads it. */
export function factsOfLeg(leg: LegEnded): LegFacts {
  return {
    legKey: leg.legKey,
    direction: leg.direction,
    directionRule: leg.directionRule ?? null,
    fromRaw: leg.from,
    toRaw: leg.to,
    extension: leg.extension,
    line: leg.line ?? null,
    startedAt: leg.startedAt,
    answeredAt: leg.answeredAt,
    endedAt: leg.endedAt,
    disposition: leg.disposition,
    talkSeconds: legTalkSeconds(leg),
    final: leg.final,
    recorded: leg.recorded,
  };
}

/** The talk time the PBX measured, else answer → end; nothing for a leg nobody answered. */
export function legTalkSeconds(leg: Pick<LegEnded, 'disposition' | 'answeredAt' | 'endedAt' | 'talkSeconds'>): number {
  if (leg.disposition !== 'answered') return 0;
  if (leg.talkSeconds !== null) return Math.max(0, Math.round(leg.talkSeconds));
  if (!leg.answeredAt) return 0;
  return Math.max(0, Math.round((leg.endedAt.getTime() - leg.answeredAt.getTime()) / 1000));
}

export interface RecordingFacts {
  legKey: string;
}

export interface ConversationSummary {
  direction: Direction | null;
  /** Which rule decided the direction: shown with a skipped internal call. */
  directionRule: string | null;
  externalNumber: string | null;
  externalNumberRaw: string | null;
  /** Why the outside number is not in E.164 (kept as dialled), else null. */
  externalNumberNote: string | null;
  extension: string | null;
  /** Our number the call came in on or went out from (the first leg that says), as the PBX gave it. */
  line: string | null;
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

const byStart = (a: LegFacts, b: LegFacts) => a.startedAt.getTime() - b.startedAt.getTime() || (a.legKey < b.legKey ? -1 : a.legKey > b.legKey ? 1 : 0);

const isExternal = (p: PartyNumber) => p.kind === 'external' || p.kind === 'unknown';

interface Party {
  leg: LegFacts;
  from: PartyNumber;
  to: PartyNumber;
  direction: Direction | null;
  rule: string | null;
  extension: string | null;
}

/**
 * A leg's parties. When the PBX declares the leg inbound (outbound), its caller (callee) is
 * outside even if it looks like an extension — a short service number on a trunk is not one of
 * ours — unless the other side is a real outside number: then the PBX declared it the wrong way
 * round, and the numbers are read as they are.
 */
function legParties(leg: LegFacts, rules: NumberRules): Omit<Party, 'extension'> {
  const country = countryForLine(rules, leg.line);
  const from = classifyNumber(leg.fromRaw, rules, country);
  const to = classifyNumber(leg.toRaw, rules, country);
  const declared = leg.direction;
  // A source that declares the direction without saying from what: the declaration is the rule.
  const declaredRule = leg.directionRule ?? (declared ? `the PBX's record declares it ${declared}` : null);
  if (declared === 'inbound' || declared === 'outbound') {
    const [outside, inside] = declared === 'inbound' ? [from, to] : [to, from];
    if (outside.kind === 'extension' && !isExternal(inside)) {
      const short = shortOutsideNumber(outside);
      return declared === 'inbound'
        ? { leg, from: short, to, direction: declared, rule: declaredRule }
        : { leg, from, to: short, direction: declared, rule: declaredRule };
    }
    return { leg, from, to, direction: declared, rule: declaredRule };
  }
  if (declared === 'internal') return { leg, from, to, direction: declared, rule: declaredRule };
  const inferred = numbersDirection(from, to, rules);
  return { leg, from, to, direction: inferred?.direction ?? null, rule: inferred?.rule ?? null };
}

function shortOutsideNumber(p: Extract<PartyNumber, { kind: 'extension' }>): PartyNumber {
  return { kind: 'unknown', raw: p.raw, digits: p.extension, why: 'a short number on the outside side of the call (a service number): kept as dialled' };
}

/** The direction the numbers imply when the PBX declares none. */
function numbersDirection(from: PartyNumber, to: PartyNumber, rules: NumberRules): { direction: Direction; rule: string } | null {
  const pattern = `extension_pattern ${rules.extensionPattern.source}`;
  if (isExternal(from) && !isExternal(to)) return { direction: 'inbound', rule: `the caller ${shown(from)} is not an extension by ${pattern}` };
  if (from.kind === 'extension' && isExternal(to))
    return { direction: 'outbound', rule: `the caller ${from.extension} is an extension, the callee is not (${pattern})` };
  if (from.kind === 'extension' && to.kind === 'extension') {
    return { direction: 'internal', rule: `caller ${from.extension} and callee ${to.extension} both match ${pattern}` };
  }
  return null;
}

/** A number for a reason text: extensions in full, outside numbers masked. */
function shown(p: PartyNumber): string {
  if (p.kind === 'extension') return p.extension;
  if (p.kind === 'external') return maskNumber(p.e164);
  if (p.kind === 'unknown') return maskNumber(p.digits);
  return p.why;
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

export function summarize(legs: readonly LegFacts[], recordings: readonly RecordingFacts[], rules: NumberRules): ConversationSummary {
  const sorted = [...legs].sort(byStart);
  const parties: Party[] = sorted.map((leg) => {
    const p = legParties(leg, rules);
    return { ...p, extension: legExtension(leg, p.from, p.to, p.direction, rules) };
  });

  const { direction, rule, external } = conversationParties(parties);
  const answered = sorted.filter((l) => l.disposition === 'answered');
  const start = minTime(sorted.map((l) => l.startedAt));
  const end = maxTime(sorted.map((l) => l.endedAt));
  const talk = sorted.length ? talkSeconds(answered) : null;

  return {
    direction,
    directionRule: rule,
    externalNumber: external?.kind === 'external' ? external.e164 : null,
    externalNumberRaw: external && external.kind !== 'none' ? external.raw : null,
    externalNumberNote: numberNote(external),
    extension: handlingExtension(parties),
    line: sorted.find((l) => l.line)?.line ?? null,
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

/** Why the outside party is not an E.164 number; null for E.164 numbers and withheld (or empty) caller IDs. */
function numberNote(external: PartyNumber | null): string | null {
  if (external?.kind === 'unknown') return external.why;
  if (external?.kind === 'none' && external.why === 'no digits') return `no digits in "${external.raw ?? ''}"`;
  return null;
}

interface ConversationParties {
  direction: Direction | null;
  rule: string | null;
  external: PartyNumber | null;
}

/**
 * The conversation takes the direction of its first leg that reaches outside; the outside party
 * is that leg's caller (inbound) or callee (outbound), else the first outside number on any leg.
 * It is internal only when no leg reaches outside and some leg is internal.
 */
function conversationParties(parties: Party[]): ConversationParties {
  const outside = parties.find((p) => p.direction === 'inbound' || p.direction === 'outbound');
  if (!outside) {
    const internal = parties.find((p) => p.direction === 'internal');
    return { direction: internal ? 'internal' : null, rule: internal?.rule ?? null, external: null };
  }
  const { direction, rule } = outside;
  const preferred = (p: Party) => (p.direction === 'outbound' ? p.to : p.from);
  // The outside side of a leg is the caller of an inbound call. Its callee counts only when the
  // caller is one of our extensions (the PBX declared the direction the wrong way round) — never
  // when the caller is withheld, or the company's own line would become "the customer".
  const other = (p: Party) => (p.direction === 'outbound' ? p.from : p.to);
  const flipped = (p: Party) => (preferred(p).kind === 'extension' ? [other(p)] : []);
  const candidates = [preferred(outside), ...parties.map(preferred), ...parties.flatMap(flipped)];
  const external = candidates.find(isExternal);
  if (external) return { direction, rule, external };
  // No outside number anywhere: a withheld caller (or one with no number at all).
  return { direction, rule, external: candidates.find((c) => c.kind === 'none') ?? { kind: 'none', why: 'empty' } };
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
  // Each leg talked for the PBX's own figure up to its end (billsec is not always end − answer).
  const intervals = answered
    .map((l) => {
      const end = l.endedAt.getTime();
      return [end - l.talkSeconds * 1000, end] as const;
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
