/**
 * The FreePBX poller: reads new rows of the CDR table every `poll_seconds` and puts each in the
 * inbox as its own body (source `freepbx`, the row as JSON), applied to the ledger in batches of
 * `batch_size` rows per transaction. Which rows are new is the cursor's business
 * (pbx/freepbx/cursor.ts: per-minute counts over a lookback window, so rows written late are not
 * skipped); the cursor is saved after every batch, so a crash reads at most the unsaved batch
 * again — and a re-read row is a duplicate in the inbox (its dedupe key is the row's hash).
 * While far behind (first run from the beginning, a long outage) it polls again at once.
 * @module
 */
import { eq } from 'drizzle-orm';
import { pbxCursors } from '../../db/schema';
import { inboxDeps, type AppDeps } from '../../deps';
import { ingestMany, type IngestInput } from '../../ledger/inbox';
import { advance, changedMinutes, cursorSchema, initialCursor, nextMinute, windowStart, type FreepbxCursor } from '../../pbx/freepbx/cursor';
import type { FreepbxConfig } from '../../pbx/freepbx/config';
import { InvalidPayloadError } from '../../pbx/source';
import { cdrRowInput } from './freepbx-pull';
import { openCdrTable, type CdrTable } from './freepbx-table';
import { createFileSizer } from './recording-size';

const SOURCE = 'freepbx';

export interface PollReport {
  /** Rows read from the table (new or read again). */
  rows: number;
  /** Rows the ledger had not seen. */
  stored: number;
  duplicates: number;
  /** Rows that are not CDRs calltrail can read (logged, left in the table). */
  invalid: number;
  /** More rows are waiting: poll again at once. */
  more: boolean;
}

export interface FreepbxPoller {
  pollOnce(): Promise<PollReport>;
  start(): void;
  stop(): Promise<void>;
}

type Config = FreepbxConfig & { database_url: string };

export function createFreepbxPoller(deps: AppDeps, config: Config, table: CdrTable = openCdrTable(config.database_url, config.table)): FreepbxPoller {
  const inbox = inboxDeps(deps);
  const log = deps.log.child({ source: SOURCE });
  // A cycle reads at most this many rows; catching up is then a series of cycles.
  const rowsPerCycle = config.batch_size * 4;
  const fileBytes = createFileSizer();

  async function loadCursor(): Promise<FreepbxCursor> {
    const [row] = await deps.db.select().from(pbxCursors).where(eq(pbxCursors.source, SOURCE));
    if (row) {
      const parsed = cursorSchema.safeParse(row.position);
      if (parsed.success) return parsed.data;
      log.warn('the stored freepbx cursor is unreadable; starting over (rows read again are duplicates)');
    }
    const fresh = initialCursor(config.start_from, inbox.now(), config.time_zone ?? inbox.ctx.timeZone);
    await saveCursor(fresh);
    return fresh;
  }

  async function saveCursor(cursor: FreepbxCursor) {
    const now = inbox.now();
    await deps.db
      .insert(pbxCursors)
      .values({ source: SOURCE, position: cursor, updatedAt: now })
      .onConflictDoUpdate({ target: pbxCursors.source, set: { position: cursor, updatedAt: now } });
  }

  /** A row → its inbox body; null (logged) when it is not a CDR we can read. */
  async function toInput(row: Record<string, unknown>): Promise<IngestInput | null> {
    try {
      return await cdrRowInput(row, inbox.ctx.parse, fileBytes);
    } catch (error) {
      if (!(error instanceof InvalidPayloadError)) throw error;
      log.warn('a FreePBX CDR row cannot be read; skipped', { uniqueid: row.uniqueid, problems: error.problems });
      return null;
    }
  }

  async function pollOnce(): Promise<PollReport> {
    let cursor = await loadCursor();
    const report: PollReport = { rows: 0, stored: 0, duplicates: 0, invalid: 0, more: false };
    const from = windowStart(cursor, config.lookback_minutes) ?? (await table.firstMinute());
    if (from === null) return report;
    // Bound the count to what one cycle can read: the minute of the Nth row past the newest read.
    const newest = cursor.watermark ?? from;
    let to = await table.minuteOfRow(newest, rowsPerCycle);
    // One minute with more rows than a cycle reads: take it whole rather than stand still.
    if (to !== null && to <= newest) to = nextMinute(newest);
    const counts = await table.minuteCounts(from, to);
    const changed = changedMinutes(counts, cursor);

    let pending: IngestInput[] = [];
    let done: Record<string, number> = {};
    const flush = async () => {
      if (pending.length === 0 && Object.keys(done).length === 0) return;
      for (let i = 0; i < pending.length; i += config.batch_size) {
        const results = await ingestMany(inbox, pending.slice(i, i + config.batch_size));
        for (const r of results) {
          if (r.status === 'duplicate') report.duplicates++;
          else if (r.status === 'refused') {
            // Bad input (a time a day ahead, a leg longer than max_call_seconds): not stored, said once.
            report.invalid++;
            log.warn('a FreePBX CDR row was refused as bad input; skipped', { problems: r.problems });
          } else report.stored++;
        }
      }
      if (pending.length) deps.wakeDelivery?.();
      cursor = advance(cursor, done, null, config.lookback_minutes);
      await saveCursor(cursor);
      pending = [];
      done = {};
    };

    let truncated = false;
    for (const minute of changed) {
      if (report.rows >= rowsPerCycle) {
        truncated = true;
        break;
      }
      const rows = await table.rowsOfMinute(minute);
      report.rows += rows.length;
      for (const row of rows) {
        const input = await toInput(row);
        if (input) pending.push(input);
        else report.invalid++;
      }
      // What was read, not what was counted: a row added in between is then found next time.
      done[minute] = rows.length;
      if (pending.length >= config.batch_size) await flush();
    }
    await flush();
    if (!truncated) {
      cursor = advance(cursor, {}, counts.at(-1)?.[0] ?? null, config.lookback_minutes);
      await saveCursor(cursor);
    }
    report.more = truncated || to !== null;
    if (report.rows > 0) log.info('freepbx CDR rows read', { ...report });
    return report;
  }

  let stopping = false;
  let running: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  return {
    pollOnce,
    start() {
      if (running) return;
      log.info('freepbx poller started', { database: config.database_url, table: config.table, poll_seconds: config.poll_seconds });
      running = (async () => {
        while (!stopping) {
          let more = false;
          try {
            more = (await pollOnce()).more;
          } catch (error) {
            log.error('freepbx poll failed; trying again at the next poll', { error });
          }
          if (!stopping) await sleep(more ? 0 : config.poll_seconds * 1000);
        }
      })();
    },
    async stop() {
      stopping = true;
      wake?.();
      await running;
      await table.close();
    },
  };
}

/** The poller `calltrail serve` runs, when `sources.freepbx.database_url` is set. */
export function startFreepbxPoller(deps: AppDeps): FreepbxPoller | undefined {
  const config = deps.config.sources.freepbx;
  if (!config.database_url) return undefined;
  const poller = createFreepbxPoller(deps, { ...config, database_url: config.database_url });
  poller.start();
  return poller;
}
