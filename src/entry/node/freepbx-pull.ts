/**
 * The FreePBX pull: the calls of a window, read again from `asteriskcdrdb.cdr`, each row as the
 * inbox body the poller stores for it (the row as JSON, `recording_bytes` when the file is
 * visible here, dedupe key `row:<sha256 of the row>`), so a row the poller already stored is a
 * duplicate. calldate is the PBX's wall-clock time in `sources.freepbx.time_zone`.
 *
 * A call's rows (one per channel and bridge, callKey = linkedid) are dated when each channel
 * started, so rows are read from `marginSeconds` before the window to as long after it, in pages
 * ordered by calldate, uniqueid, sequence; a call is complete once the scan is past its first row
 * by the margin, and belongs to the window when that first row is in it. Every row of one call is
 * in the same yielded page. Node only (mysql2): the Node entry adds it to `deps.pbxPulls`.
 * @module
 */
import { DateTime } from 'luxon';
import type { LegEnded } from '../../domain/events';
import type { IngestInput } from '../../ledger/inbox';
import { sha256Hex } from '../../lib/crypto';
import type { Logger } from '../../lib/log';
import type { FreepbxConfig, FreepbxContext } from '../../pbx/freepbx/config';
import { freepbxParser } from '../../pbx/freepbx/parse';
import type { PbxPull, PullDeps, PullWindow } from '../../pbx/pull';
import { InvalidPayloadError, parseContext } from '../../pbx/core/parse';
import { openCdrTable } from './freepbx-table';
import { createFileSizer, type FileSizer } from './recording-size';

const SOURCE = 'freepbx';

export interface FreepbxPullOptions {
  /** Rows per query. Default 1000. */
  pageRows?: number;
  /** How far around the window rows are read, so calls crossing its edges are whole. Default 3 h. */
  marginSeconds?: number;
  /** Inputs per yielded page (a call's rows are never split). Default 500. */
  pageSize?: number;
}

/** A CDR row → its inbox body, exactly as the poller stores it; throws InvalidPayloadError for a row it cannot read. */
export async function cdrRowInput(row: Record<string, unknown>, ctx: FreepbxContext, fileBytes: FileSizer): Promise<IngestInput> {
  const plain = JSON.stringify(row);
  let raw = plain;
  let events = freepbxParser.parse(raw, {}, ctx);
  const bytes = await fileBytes((events[0] as LegEnded | undefined)?.recording?.url);
  if (bytes !== undefined) {
    raw = JSON.stringify({ ...row, recording_bytes: bytes });
    events = freepbxParser.parse(raw, {}, ctx);
  }
  return { source: SOURCE, raw, events, dedupeKey: `row:${sha256Hex(plain)}` };
}

/** What the pull reads of the deployment: the CDR table's section (and the parse context). */
type FreepbxPullDeps = PullDeps<unknown, { freepbx: FreepbxConfig }>;

export function freepbxPull(options: FreepbxPullOptions = {}): PbxPull<FreepbxPullDeps> {
  const margin = (options.marginSeconds ?? 3 * 3600) * 1000;
  const pageRows = options.pageRows ?? 1000;
  const pageSize = options.pageSize ?? 500;
  return {
    source: SOURCE,
    enabled: (deps) => deps.config.sources.freepbx.database_url !== undefined,
    async *pull(window, deps) {
      const config = deps.config.sources.freepbx;
      if (!config.database_url) throw new Error('the FreePBX pull needs sources.freepbx.database_url');
      const ctx = parseContext(deps.config);
      const zone = config.time_zone ?? ctx.timeZone;
      const log = deps.log.child({ source: SOURCE, pull: 'cdr' });
      // Read as the poller reads: the same columns in the same order, so each row's JSON — and
      // dedupe key — is the one the poller stored.
      const table = openCdrTable(config.database_url, config.table);
      const calls = new CallAssembler(window, margin, log);
      const fileBytes = createFileSizer();
      let page: IngestInput[] = [];
      try {
        const from = local(new Date(window.from.getTime() - margin), zone);
        const to = local(new Date(window.to.getTime() + margin), zone);
        for (let offset = 0; ; offset += pageRows) {
          const rows = await table.rowsBetween(from, to, pageRows, offset);
          for (const row of rows) {
            try {
              calls.add(await cdrRowInput(row, ctx, fileBytes));
            } catch (error) {
              if (!(error instanceof InvalidPayloadError)) throw error;
              log.warn('a FreePBX CDR row cannot be read; skipped', { uniqueid: row.uniqueid, problems: error.problems });
            }
          }
          const done = rows.length < pageRows;
          page.push(...(done ? calls.flushAll() : calls.flushComplete()));
          if (page.length >= pageSize || (done && page.length)) {
            yield page;
            page = [];
          }
          if (done) return;
        }
      } finally {
        await table.close();
      }
    },
  };
}

/** Groups rows by call while the table is scanned in calldate order; hands over calls that are complete. */
class CallAssembler {
  private readonly open = new Map<string, { start: Date; inputs: IngestInput[] }>();
  private latest = 0;

  constructor(
    private readonly window: PullWindow,
    private readonly marginMs: number,
    private readonly log: Logger,
  ) {}

  add(input: IngestInput) {
    const leg = input.events.find((e): e is LegEnded => e.kind === 'leg');
    if (!leg) return;
    const call = this.open.get(leg.callKey) ?? { start: leg.startedAt, inputs: [] };
    if (leg.startedAt < call.start) call.start = leg.startedAt;
    call.inputs.push(input);
    this.open.set(leg.callKey, call);
    this.latest = Math.max(this.latest, leg.startedAt.getTime());
  }

  /** Calls whose first row is further behind the scan than the margin: no row of theirs can follow. */
  flushComplete(): IngestInput[] {
    return this.flush((start) => start.getTime() < this.latest - this.marginMs);
  }

  flushAll(): IngestInput[] {
    return this.flush(() => true);
  }

  private flush(complete: (start: Date) => boolean): IngestInput[] {
    const out: IngestInput[] = [];
    for (const [callKey, call] of this.open) {
      if (!complete(call.start)) continue;
      this.open.delete(callKey);
      if (call.start >= this.window.from && call.start < this.window.to) out.push(...call.inputs);
      else this.log.debug('a FreePBX call outside the window; left out', { call_key: callKey });
    }
    return out;
  }
}

/** calldate's form of an instant: the PBX's wall clock. */
function local(at: Date, zone: string): string {
  return DateTime.fromJSDate(at, { zone }).toFormat('yyyy-MM-dd HH:mm:ss');
}
