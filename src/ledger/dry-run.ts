/**
 * What the ledger would make of a set of PBX bodies, without a database: the same parsers, the
 * same joining of legs the PBX keyed apart, the same conversation keys, summaries and delivery
 * decisions as ingest → apply → settle. `calltrail check` prints it for an integrator before going
 * live; the field corpus test holds it to what real installations' records must read as.
 *
 * The PBX side (its parsers, key spaces and number rules) comes in as a DryRunContext, built by
 * the composition (deps.ts `dryRunContext(config)`): the ledger sits below the PBX sources.
 * @module
 */
import { factsOfLeg, summarize, type ConversationSummary } from '../domain/assemble';
import type { CallEvent, LegEnded, RecordingRef } from '../domain/events';
import type { NumberRules } from '../domain/phone';
import { deliveryDecision } from '../domain/settle';
import type { LedgerContext } from './context';
import { planJoins } from './joins';
import { legVersion, recordingVersion } from './versions';

/** A body as its source reads it: the events, or the problems it would be refused (400) with. */
export type DryRunParse = { events: CallEvent[] } | { problems: string[] };

/** What a dry run asks of the PBX side. */
export interface DryRunContext extends Pick<LedgerContext, 'conversationSource' | 'rulesFor'> {
  /** The source's parser on one body. Throws when no source has that name (a mistake of the caller). */
  parse(source: string, raw: string, meta: Record<string, string>): DryRunParse;
}

/** One body as the PBX sent it, with what its route would keep beside it (meta). */
export interface DryRunBody {
  source: string;
  raw: string;
  meta: Record<string, string>;
  /** Where it came from, for messages: "Master.csv line 12", "bodies.json [3]". */
  at: string;
}

export interface DryRunCall extends ConversationSummary {
  source: string;
  callKey: string;
  deliver: boolean;
  skipReason: string | null;
  /** Recording keys (file names, vendor ids) the call's legs name. */
  recordings: string[];
}

export interface DryRunReport {
  calls: DryRunCall[];
  /** Records that are no call of their own, with why. */
  dropped: { at: string; reason: string }[];
  /** Bodies the source would refuse with 400, with the problems it would name. */
  refused: { at: string; problems: string[] }[];
  bodies: number;
}

interface Parsed {
  source: string;
  events: CallEvent[];
}

export function dryRun(bodies: readonly DryRunBody[], ctx: DryRunContext): DryRunReport {
  const report: DryRunReport = { calls: [], dropped: [], refused: [], bodies: bodies.length };
  const parsed: Parsed[] = [];
  for (const body of bodies) {
    const read = ctx.parse(body.source, body.raw, body.meta);
    if ('problems' in read) {
      report.refused.push({ at: body.at, problems: read.problems });
      continue;
    }
    for (const e of read.events) if (e.kind === 'dropped') report.dropped.push({ at: `${body.at} ${e.at}`, reason: e.reason });
    parsed.push({ source: body.source, events: read.events });
  }
  for (const [key, group] of conversations(joined(parsed, ctx.conversationSource), ctx.conversationSource)) {
    const [source, callKey] = key.split('\n') as [string, string];
    const summary = summarizeGroup(group, ctx.rulesFor(source));
    const decision = deliveryDecision(summary);
    report.calls.push({
      ...summary,
      source,
      callKey,
      deliver: decision.deliver,
      skipReason: decision.deliver ? null : decision.reason,
      recordings: [...group.recordings.keys()].sort(),
    });
  }
  report.calls.sort((a, b) => (a.startedAt?.getTime() ?? 0) - (b.startedAt?.getTime() ?? 0) || (a.callKey < b.callKey ? -1 : 1));
  return report;
}

/** Legs the PBX keyed apart but named as one call are re-keyed to one conversation (ledger/joins.ts). */
function joined(parsed: Parsed[], conversationSource: (source: string) => string): Parsed[] {
  const families = new Set(parsed.map((p) => conversationSource(p.source)));
  const out: Parsed[] = [];
  for (const family of families) {
    const items = parsed.filter((p) => conversationSource(p.source) === family);
    const { rename } = planJoins(items, []);
    const rekey = (k: string) => rename.get(k) ?? k;
    out.push(...items.map((p) => ({ ...p, events: p.events.map((e) => (e.kind === 'dropped' ? e : { ...e, callKey: rekey(e.callKey) })) })));
  }
  return out;
}

interface Group {
  legs: Map<string, LegEnded>;
  recordings: Map<string, { legKey: string; ref: RecordingRef }>;
  closed: boolean;
}

/** Events by conversation, each leg and recording once (the greatest version, as the ledger keeps). */
function conversations(parsed: Parsed[], conversationSource: (source: string) => string): Map<string, Group> {
  const groups = new Map<string, Group>();
  for (const { source, events } of parsed) {
    for (const e of events) {
      if (e.kind === 'dropped' || e.kind === 'live') continue;
      const key = `${conversationSource(source)}\n${e.callKey}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { legs: new Map(), recordings: new Map(), closed: false }));
      if (e.kind === 'closed') g.closed = true;
      if (e.kind === 'leg') {
        const had = g.legs.get(e.legKey);
        if (!had || legVersion(had) < legVersion(e)) g.legs.set(e.legKey, e);
      }
      const ref = e.kind === 'recording' ? e.recording : e.kind === 'leg' ? e.recording : null;
      if (ref && e.kind !== 'closed') {
        const had = g.recordings.get(ref.key);
        if (!had || recordingVersion(had.legKey, had.ref) < recordingVersion(e.legKey, ref)) g.recordings.set(ref.key, { legKey: e.legKey, ref });
      }
    }
  }
  return groups;
}

function summarizeGroup(group: Group, rules: NumberRules): ConversationSummary {
  const summary = summarize(
    [...group.legs.values()].map(factsOfLeg),
    [...group.recordings.values()].map((r) => ({ legKey: r.legKey })),
    rules,
  );
  return group.closed && summary.legCount > 0 ? { ...summary, final: true } : summary;
}
