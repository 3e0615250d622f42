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
import type { IngestInput } from '../../ledger/inbox';
import { credentialedPull, pagesOfCalls, pullPaging, type PbxPull, type PullDeps, type PullPaging } from '../core/pull';
import type { MangoConfig, MangoContext } from './config';
import { mangoParser } from './parse';
import type { MangoCredentials } from './signature';
import { entryBodies, type MangoBody } from './stats-bodies';
import { statsReport, type StatsOptions, type StatsRow } from './stats';
import { mangoClock } from './time';

export const STATS_ORIGIN = 'stats';

/** Lines are read 3 h around the window (marginSeconds) unless told otherwise. */
export interface MangoPullOptions extends PullPaging {
  stats?: StatsOptions;
}

export function mangoPull(options: MangoPullOptions = {}): PbxPull<PullDeps<{ mango?: MangoCredentials }, { mango: MangoConfig }>> {
  const { marginMs, pageSize } = pullPaging(options, 3 * 3600);
  return credentialedPull<'mango', MangoCredentials, { mango: MangoConfig }>({
    source: 'mango',
    reads: STATS_ORIGIN,
    missing: 'the Mango pull needs MANGO_API_KEY and MANGO_API_SALT',
    async *pull(window, { credentials, ctx, log }) {
      const seconds = mangoSeconds(ctx);
      const report = await statsReport(
        credentials,
        seconds(new Date(window.from.getTime() - marginMs)),
        seconds(new Date(window.to.getTime() + marginMs)),
        options.stats,
      );
      for (const bad of report.invalid) log.warn("a line of Mango's call statistics cannot be read; skipped", { line: bad.line, problem: bad.problem });

      const entries = new Map<string, StatsRow[]>();
      for (const row of report.rows) entries.set(row.entry_id, [...(entries.get(row.entry_id) ?? []), row]);
      const clock = mangoClock(ctx);
      yield* pagesOfCalls({
        calls: entries,
        pageSize,
        inputsOf: ([, rows]) => {
          const started = clock(Math.min(...rows.map((r) => r.start)), 'start');
          if (started < window.from || started >= window.to) return null;
          return entryBodies(rows).map((body) => input(body, ctx));
        },
        skipped: ([entryId], problems) => log.warn('a Mango entry from the call statistics cannot be read; skipped', { entry_id: entryId, problems }),
      });
    },
  });
}

function input(body: MangoBody, ctx: MangoContext): IngestInput {
  const raw = new URLSearchParams({ json: JSON.stringify(body.json) }).toString();
  const meta: Record<string, string> = { event: body.event, origin: STATS_ORIGIN, ...(body.timeline ? { timeline: body.timeline } : {}) };
  return { source: mangoParser.name, raw, meta, dedupeKey: `${STATS_ORIGIN}:${body.id}`, events: mangoParser.parse(raw, meta, ctx) };
}

/** An instant as Mango's API counts it: unix seconds, or the zone's wall clock read as UTC (see time.ts). */
export function mangoSeconds(ctx: MangoContext): (at: Date) => number {
  const { timestamps_in_local_time: local, time_zone } = ctx.sources.mango;
  const zone = time_zone ?? ctx.timeZone;
  return (at) => {
    if (!local) return Math.floor(at.getTime() / 1000);
    return Math.floor(DateTime.fromJSDate(at).setZone(zone).setZone('UTC', { keepLocalTime: true }).toSeconds());
  };
}
