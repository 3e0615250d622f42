/**
 * The Mango Office pull: the entries of a window, from the call statistics (stats.ts), as the
 * notifications its webhooks would have stored (stats-bodies.ts), callKey = entry_id.
 *
 * An entry's calls (IVR, queue, employees, transfers) are lines of their own that may start after
 * the entry did, so the report covers `marginSeconds` before the window to as long after it, and
 * an entry belongs to the window when its first line started in it. Every body of one entry is in
 * the same page. Bodies are marked `meta.origin = stats`; they carry the `json` field only (no
 * vpbx_api_key, no sign: the parser needs neither). Times are converted the way the parser reads
 * them (`sources.mango.timestamps_in_local_time`).
 * @module
 */
import { DateTime } from 'luxon';
import { inboxDeps } from '../../deps';
import type { IngestInput } from '../../ledger/inbox';
import type { PbxPull } from '../../reconcile/pull';
import { InvalidPayloadError, type ParseContext } from '../source';
import { mangoParser } from './parse';
import { entryBodies, type MangoBody } from './stats-bodies';
import { statsReport, type StatsOptions, type StatsRow } from './stats';
import { mangoClock } from './time';

export const STATS_ORIGIN = 'stats';

export interface MangoPullOptions {
  /** How far around the window lines are read, so entries crossing its edges are whole. Default 3 h. */
  marginSeconds?: number;
  /** Inputs per yielded page (an entry's inputs are never split). Default 500. */
  pageSize?: number;
  stats?: StatsOptions;
}

export function mangoPull(options: MangoPullOptions = {}): PbxPull {
  const margin = (options.marginSeconds ?? 3 * 3600) * 1000;
  const pageSize = options.pageSize ?? 500;
  return {
    source: mangoParser.name,
    enabled: (deps) => deps.settings.secrets.mango !== undefined,
    async *pull(window, deps) {
      const credentials = deps.settings.secrets.mango;
      if (!credentials) throw new Error('the Mango pull needs MANGO_API_KEY and MANGO_API_SALT');
      const ctx = inboxDeps(deps).ctx.parse;
      const log = deps.log.child({ source: 'mango', pull: STATS_ORIGIN });
      const seconds = mangoSeconds(ctx);
      const report = await statsReport(
        credentials,
        seconds(new Date(window.from.getTime() - margin)),
        seconds(new Date(window.to.getTime() + margin)),
        options.stats,
      );
      for (const bad of report.invalid) log.warn('a line of Mango\'s call statistics cannot be read; skipped', { line: bad.line, problem: bad.problem });

      const entries = new Map<string, StatsRow[]>();
      for (const row of report.rows) entries.set(row.entry_id, [...(entries.get(row.entry_id) ?? []), row]);
      const clock = mangoClock(ctx);
      let page: IngestInput[] = [];
      for (const [entryId, rows] of entries) {
        try {
          const started = clock(Math.min(...rows.map((r) => r.start)), 'start');
          if (started < window.from || started >= window.to) continue;
          page.push(...entryBodies(rows).map((body) => input(body, ctx)));
        } catch (error) {
          if (!(error instanceof InvalidPayloadError)) throw error;
          log.warn('a Mango entry from the call statistics cannot be read; skipped', { entry_id: entryId, problems: error.problems });
          continue;
        }
        if (page.length >= pageSize) {
          yield page;
          page = [];
        }
      }
      if (page.length) yield page;
    },
  };
}

function input(body: MangoBody, ctx: ParseContext): IngestInput {
  const raw = new URLSearchParams({ json: JSON.stringify(body.json) }).toString();
  const meta: Record<string, string> = { event: body.event, origin: STATS_ORIGIN, ...(body.timeline ? { timeline: body.timeline } : {}) };
  return { source: mangoParser.name, raw, meta, dedupeKey: `${STATS_ORIGIN}:${body.id}`, events: mangoParser.parse(raw, meta, ctx) };
}

/** An instant as Mango's API counts it: unix seconds, or the zone's wall clock read as UTC (see time.ts). */
export function mangoSeconds(ctx: ParseContext): (at: Date) => number {
  const { timestamps_in_local_time: local, time_zone } = ctx.sources.mango;
  const zone = time_zone ?? ctx.timeZone;
  return (at) => {
    if (!local) return Math.floor(at.getTime() / 1000);
    return Math.floor(DateTime.fromJSDate(at).setZone(zone).setZone('UTC', { keepLocalTime: true }).toSeconds());
  };
}
