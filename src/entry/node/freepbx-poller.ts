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
import { ingestMany, type IngestInput, type IngestResult } from '../../ledger/inbox';
import type { Logger } from '../../lib/log';
import { advance, changedMinutes, cursorSchema, initialCursor, nextMinute, windowStart, type FreepbxCursor } from '../../pbx/freepbx/cursor';
import type { FreepbxConfig } from '../../pbx/freepbx/config';
import { InvalidPayloadError } from '../../pbx/source';
import { cdrRowInput } from './freepbx-pull';
import { openCdrTable, type CdrTable } from './freepbx-table';
import { createFileSizer, type FileSizer } from './recording-size';

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

/** What one poller works with, shared by its steps. */
interface Poller {
  deps: AppDeps;
  inbox: ReturnType<typeof inboxDeps>;
  log: Logger;
  config: Config;
  table: CdrTable;
  fileBytes: FileSizer;
  /** A cycle reads at most this many rows; catching up is then a series of cycles. */
  rowsPerCycle: number;
}

export function createFreepbxPoller(deps: AppDeps, config: Config, table: CdrTable = openCdrTable(config.database_url, config.table)): FreepbxPoller {
  const poller: Poller = {
    deps,
    inbox: inboxDeps(deps),
    log: deps.log.child({ source: SOURCE }),
    config,
    table,
    fileBytes: createFileSizer(),
    rowsPerCycle: config.batch_size * 4,
  };
  const pollOnce = () => pollCycle(poller);
  return { pollOnce, ...pollLoop(poller, pollOnce) };
}

async function loadCursor(p: Poller): Promise<FreepbxCursor> {
  const [row] = await p.deps.db.select().from(pbxCursors).where(eq(pbxCursors.source, SOURCE));
  if (row) {
    const parsed = cursorSchema.safeParse(row.position);
    if (parsed.success) return parsed.data;
    p.log.warn('the stored freepbx cursor is unreadable; starting over (rows read again are duplicates)');
  }
  const fresh = initialCursor(p.config.start_from, p.inbox.now(), p.config.time_zone ?? p.inbox.ctx.timeZone);
  await saveCursor(p, fresh);
  return fresh;
}

async function saveCursor(p: Poller, cursor: FreepbxCursor) {
  const now = p.inbox.now();
  await p.deps.db
    .insert(pbxCursors)
    .values({ source: SOURCE, position: cursor, updatedAt: now })
    .onConflictDoUpdate({ target: pbxCursors.source, set: { position: cursor, updatedAt: now } });
}

/** A row → its inbox body; null (logged) when it is not a CDR we can read. */
async function toInput(p: Poller, row: Record<string, unknown>): Promise<IngestInput | null> {
  try {
    return await cdrRowInput(row, p.inbox.ctx.parse, p.fileBytes);
  } catch (error) {
    if (!(error instanceof InvalidPayloadError)) throw error;
    p.log.warn('a FreePBX CDR row cannot be read; skipped', { uniqueid: row.uniqueid, problems: error.problems });
    return null;
  }
}

/**
 * The rows read but not yet stored, and the minutes they complete: stored in batches of
 * `batch_size`, the cursor saved after each, so a crash reads at most the unsaved batch again.
 */
class PendingRows {
  private inputs: IngestInput[] = [];
  private minutes: Record<string, number> = {};

  constructor(
    private readonly p: Poller,
    private readonly report: PollReport,
    public cursor: FreepbxCursor,
  ) {}

  get size(): number {
    return this.inputs.length;
  }

  add(minute: string, rows: number, inputs: readonly IngestInput[]) {
    this.inputs.push(...inputs);
    // What was read, not what was counted: a row added in between is then found next time.
    this.minutes[minute] = rows;
  }

  async flush() {
    if (this.inputs.length === 0 && Object.keys(this.minutes).length === 0) return;
    const { batch_size: size, lookback_minutes: lookback } = this.p.config;
    for (let i = 0; i < this.inputs.length; i += size) this.count(await ingestMany(this.p.inbox, this.inputs.slice(i, i + size)));
    if (this.inputs.length) this.p.deps.wakeDelivery?.();
    this.cursor = advance(this.cursor, this.minutes, null, lookback);
    await saveCursor(this.p, this.cursor);
    this.inputs = [];
    this.minutes = {};
  }

  private count(results: readonly IngestResult[]) {
    for (const r of results) {
      if (r.status === 'duplicate') this.report.duplicates++;
      else if (r.status === 'refused') {
        // Bad input (a time a day ahead, a leg longer than max_call_seconds): not stored, said once.
        this.report.invalid++;
        this.p.log.warn('a FreePBX CDR row was refused as bad input; skipped', { problems: r.problems });
      } else this.report.stored++;
    }
  }
}

/** The minutes a cycle looks at: from the lookback window's start to the minute of the Nth row past the newest read. */
async function cycleMinutes(p: Poller, cursor: FreepbxCursor) {
  const from = windowStart(cursor, p.config.lookback_minutes) ?? (await p.table.firstMinute());
  if (from === null) return null;
  const newest = cursor.watermark ?? from;
  let to = await p.table.minuteOfRow(newest, p.rowsPerCycle);
  // One minute with more rows than a cycle reads: take it whole rather than stand still.
  if (to !== null && to <= newest) to = nextMinute(newest);
  return { counts: await p.table.minuteCounts(from, to), to };
}

async function pollCycle(p: Poller): Promise<PollReport> {
  const report: PollReport = { rows: 0, stored: 0, duplicates: 0, invalid: 0, more: false };
  const cursor = await loadCursor(p);
  const range = await cycleMinutes(p, cursor);
  if (range === null) return report;
  const pending = new PendingRows(p, report, cursor);
  let truncated = false;
  for (const minute of changedMinutes(range.counts, pending.cursor)) {
    if (report.rows >= p.rowsPerCycle) {
      truncated = true;
      break;
    }
    const rows = await p.table.rowsOfMinute(minute);
    report.rows += rows.length;
    const inputs: IngestInput[] = [];
    for (const row of rows) {
      const input = await toInput(p, row);
      if (input) inputs.push(input);
      else report.invalid++;
    }
    pending.add(minute, rows.length, inputs);
    if (pending.size >= p.config.batch_size) await pending.flush();
  }
  await pending.flush();
  if (!truncated) await saveCursor(p, advance(pending.cursor, {}, range.counts.at(-1)?.[0] ?? null, p.config.lookback_minutes));
  report.more = truncated || range.to !== null;
  if (report.rows > 0) p.log.info('freepbx CDR rows read', { ...report });
  return report;
}

/** Polls every `poll_seconds`, at once again while rows are waiting, until stopped. */
function pollLoop(p: Poller, pollOnce: () => Promise<PollReport>): Pick<FreepbxPoller, 'start' | 'stop'> {
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
  const { config, log } = p;
  return {
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
      await p.table.close();
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
