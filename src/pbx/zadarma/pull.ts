/**
 * The Zadarma pull: the PBX calls of a window, from Zadarma's statistics (statistics.ts), as the
 * notifications its webhook would have stored (statistics-bodies.ts), callKey = pbx_call_id.
 *
 * A call's lines (one per extension leg) may start after the call did, so the statistics are read
 * from `marginSeconds` before the window to as long after it, grouped by pbx_call_id, and a call
 * belongs to the window when its first line started in it. Incoming and outgoing calls are asked
 * for separately (`call_type`): the direction is then Zadarma's word, and calls between
 * extensions, which Zadarma never notifies, are not brought in. Every notification of one call is
 * in the same page. The bodies are marked `meta.origin = statistics`; they carry no signature (the
 * parser needs none) and the fields the statistics lack: `called_did` (the company's line), `status_code`.
 * @module
 */
import { DateTime } from 'luxon';
import type { IngestInput } from '../../ledger/inbox';
import { credentialedPull, pagesOfCalls, pullPaging, type PbxPull, type PullDeps, type PullPaging, type PullWindow } from '../core/pull';
import type { ZadarmaCredentials } from './api';
import type { ZadarmaConfig } from './config';
import { zadarmaParser } from './parse';
import { callNotifications } from './statistics-bodies';
import { statisticsPages, type CallType, type StatisticsItem, type StatisticsOptions } from './statistics';

export const STATISTICS_ORIGIN = 'statistics';

/** Zadarma answers at most a month per request; 28 days is a month whatever the month. */
const MAX_REQUEST_DAYS = 28;

/** Lines are read 3 h around the window (marginSeconds) unless told otherwise. */
export interface ZadarmaPullOptions extends PullPaging {
  statistics?: StatisticsOptions;
}

type ZadarmaPullDeps = PullDeps<{ zadarma?: ZadarmaCredentials }, { zadarma: ZadarmaConfig }>;

interface PulledCall {
  pbxCallId: string;
  callType: CallType;
  items: Map<string, StatisticsItem>;
}

export function zadarmaPull(options: ZadarmaPullOptions = {}): PbxPull<ZadarmaPullDeps> {
  const { marginMs, pageSize } = pullPaging(options, 3 * 3600);
  return credentialedPull<'zadarma', ZadarmaCredentials, { zadarma: ZadarmaConfig }>({
    source: 'zadarma',
    reads: STATISTICS_ORIGIN,
    missing: 'the Zadarma pull needs ZADARMA_API_KEY and ZADARMA_API_SECRET',
    async *pull(window, { credentials, ctx, log, deps }) {
      const zone = deps.config.sources.zadarma.time_zone ?? ctx.timeZone;
      const { calls, invalid } = await readCalls(credentials, requestRanges(window, marginMs), zone, options, log);
      let skipped = 0;
      yield* pagesOfCalls({
        calls: calls.values(),
        pageSize,
        inputsOf: (call) => {
          const items = [...call.items.values()];
          const started = earliestStart(items, zone);
          if (!started || started < window.from || started >= window.to) return null;
          return callNotifications(items, call.callType).map((fields): IngestInput => {
            const raw = new URLSearchParams(fields).toString();
            const meta = { origin: STATISTICS_ORIGIN };
            return { source: zadarmaParser.name, raw, meta, events: zadarmaParser.parse(raw, meta, ctx) };
          });
        },
        skipped: (call, problems) => {
          skipped++;
          log.warn('a Zadarma call from the statistics cannot be read; skipped', { pbx_call_id: call.pbxCallId, problems });
        },
      });
      if (invalid || skipped) log.warn('Zadarma statistics read with omissions', { invalid_lines: invalid, skipped_calls: skipped });
    },
  });
}

/** Every statistics line of the ranges, incoming and outgoing, grouped by pbx_call_id. */
async function readCalls(
  credentials: ZadarmaCredentials,
  ranges: readonly PullWindow[],
  zone: string,
  options: ZadarmaPullOptions,
  log: ZadarmaPullDeps['log'],
): Promise<{ calls: Map<string, PulledCall>; invalid: number }> {
  const calls = new Map<string, PulledCall>();
  let invalid = 0;
  for (const range of ranges) {
    for (const callType of ['in', 'out'] as const) {
      const request = { start: local(range.from, zone), end: local(new Date(range.to.getTime() - 1000), zone), callType };
      for await (const page of statisticsPages(credentials, request, options.statistics)) {
        invalid += page.invalid.length;
        for (const bad of page.invalid) log.warn('a Zadarma statistics line cannot be read; skipped', { problem: bad.problem });
        for (const item of page.items) {
          const call = calls.get(item.pbx_call_id) ?? { pbxCallId: item.pbx_call_id, callType, items: new Map() };
          // A line read twice (pages shifting while read) counts once.
          call.items.set(item.call_id, item);
          calls.set(item.pbx_call_id, call);
        }
      }
    }
  }
  return { calls, invalid };
}

/** The window widened by the margin, cut into requests Zadarma accepts. */
export function requestRanges(window: PullWindow, marginMs: number): PullWindow[] {
  const end = window.to.getTime() + marginMs;
  const ranges: PullWindow[] = [];
  for (let start = window.from.getTime() - marginMs; start < end; ) {
    const next = Math.min(end, start + MAX_REQUEST_DAYS * 86_400_000);
    ranges.push({ from: new Date(start), to: new Date(next) });
    start = next;
  }
  return ranges;
}

/** Zadarma's wall-clock form of an instant, in the account's zone. */
export function local(at: Date, zone: string): string {
  return DateTime.fromJSDate(at, { zone }).toFormat('yyyy-MM-dd HH:mm:ss');
}

function earliestStart(items: readonly StatisticsItem[], zone: string): Date | null {
  const first = items.map((i) => i.callstart).sort()[0];
  if (!first) return null;
  const at = DateTime.fromSQL(first, { zone });
  return at.isValid ? at.toJSDate() : null;
}
