/**
 * `calltrail import asterisk-csv FILE [--columns …] [--time-zone …] [--dry-run] [--batch-size N]`:
 * backfills a Master.csv into the ledger. The file is streamed (csv-parse) in constant memory;
 * each row becomes its own inbox body (source `asterisk`, the line as sent by a push, so a
 * re-import — or a line the endpoint already received — is a duplicate); rows are grouped by
 * call in a bounded window (import-groups.ts) and stored in batches of whole calls, two ingest
 * transactions in flight while the next batch is read. Imported calls settle and are delivered
 * like pushed ones.
 * @module
 */
import { parse as csvStream } from 'csv-parse';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { timeZoneSchema } from '../../config/common';
import { inboxDeps, type AppDeps } from '../../deps';
import { ingestMany, type IngestInput, type IngestResult } from '../../ledger/inbox';
import { formatColumnsOption } from '../../pbx/asterisk/columns';
import { CSV_OPTIONS } from '../../pbx/asterisk/csv';
import { csvReading, csvRowToEvent, type CsvReading } from '../../pbx/asterisk/parse';
import { parseContext } from '../../pbx/source';
import type { CharsetSetting } from '../../lib/charset';
import { BYTE_ENCODING, decodeRecord, startsWithUtf8Bom } from './csv-charset';
import { CallGroups } from './import-groups';
import { createProgress, type Progress } from './import-progress';
import { createFileSizer } from './recording-size';
import { loadSettings } from './settings';
import { formatSummary, SkipTally, type ImportSummary } from './import-summary';

import { IMPORT_USAGE } from './usage';

export { IMPORT_USAGE };

export interface ImportOptions {
  reading: CsvReading;
  /** Stores a batch; absent: a dry run. */
  ingest?: (inputs: IngestInput[]) => Promise<IngestResult[]>;
  batchSize: number;
  /** Rows a call may be spread over and still be stored in one piece. */
  window: number;
  progress?: Progress;
  /** sources.asterisk.charset: how the file's bytes are text (default auto: UTF-8, else Windows-1251). */
  charset?: CharsetSetting;
}

/** A longer "row" is a broken quote swallowing the file: skip it rather than hold it. */
const MAX_ROW_BYTES = 64 * 1024;
const IN_FLIGHT = 2;

/**
 * Batches of grouped rows on their way into the ledger: two transactions in flight, so PostgreSQL
 * works on one batch while the next is read and built; each answer counted into the summary.
 */
function ingestQueue(options: ImportOptions, summary: ImportSummary) {
  let batch: IngestInput[] = [];
  const inflight: Promise<void>[] = [];
  let failure: unknown;
  const count = (results: IngestResult[], inputs: IngestInput[]) => {
    for (const [i, r] of results.entries()) {
      if (r.status === 'processed') summary.stored++;
      else if (r.status === 'duplicate') summary.duplicates++;
      else if (r.status === 'refused')
        summary.skipped.add(`refused as bad input: ${(r.problems[0] ?? r.error).replace(/ \(call .*\)$/, '')}`, Number(inputs[i]?.meta?.first_line ?? 0));
      else summary.failed++;
    }
  };
  const flush = async () => {
    const inputs = batch;
    batch = [];
    if (inputs.length === 0 || !options.ingest) return;
    if (inflight.length >= IN_FLIGHT) await inflight.shift();
    if (failure) throw failure;
    inflight.push(
      options.ingest(inputs).then(
        (results) => count(results, inputs),
        (error: unknown) => {
          failure = error;
        },
      ),
    );
  };
  return {
    /** Conversations released by the grouping: into the batch, sent when it is full. */
    async take(released: ReturnType<CallGroups<IngestInput>['drain']>) {
      for (const group of released) {
        if (group.first) summary.conversations++;
        batch.push(...group.items);
      }
      if (batch.length >= options.batchSize) await flush();
    },
    /** The last batch sent, every transaction answered; the first failure thrown. */
    async finish() {
      await flush();
      await Promise.all(inflight);
      if (failure) throw failure;
    },
  };
}

type CsvRead = { record: string[]; raw: string; info: { lines: number } };

/** The file's rows as csv-parse reads them, with the bytes read so far; rows it cannot read are tallied as skipped. */
async function csvRows(file: string, summary: ImportSummary) {
  // A UTF-8 byte order mark says what the file is (csv-parse then reads it as UTF-8 itself).
  const bom = await startsWithUtf8Bom(file);
  const input = createReadStream(file, { highWaterMark: 1 << 20 });
  const progress = { bytesRead: 0 };
  input.on('data', (chunk) => {
    progress.bytesRead += chunk.length;
  });
  const parser = csvStream({ ...CSV_OPTIONS, encoding: BYTE_ENCODING, info: true, raw: true, skip_records_with_error: true, max_record_size: MAX_ROW_BYTES });
  parser.on('skip', (error: Error & { lines?: number }) =>
    summary.skipped.add(`not valid CSV: ${error.message.replace(/ at line \d+.*$/, '')}`, error.lines ?? 0),
  );
  input.on('error', (error) => parser.destroy(error));
  return { bom, progress, rows: input.pipe(parser) as AsyncIterable<CsvRead> };
}

/** One row read as a leg (with its recording's size when the file is on this host), or null when it is tallied as skipped. */
async function rowToInput(
  read: CsvRead,
  text: { bom: boolean; charset: CharsetSetting },
  ctx: RowContext,
): Promise<{ callKey: string; input: IngestInput } | null> {
  const { reading, summary, meta, fileBytes } = ctx;
  const { values, raw } = text.bom ? { values: read.record, raw: read.raw } : decodeRecord(read.record, read.raw, text.charset);
  const row = { line: read.info.lines, values };
  const problems: string[] = [];
  let leg = csvRowToEvent(row, reading, problems);
  if (!leg) {
    summary.skipped.addProblem(problems[0] ?? 'unreadable row', row.line);
    return null;
  }
  if (leg.kind === 'dropped') {
    // No call of its own (the dialled side's record): listed with its reason, not stored.
    summary.skipped.add(leg.reason.replace(/ \(linkedid [^)]*\)$/, ''), row.line);
    return null;
  }
  const rowMeta: Record<string, string> = { ...meta, first_line: String(row.line) };
  const bytes = await fileBytes(leg.recording?.url);
  if (bytes !== undefined) {
    rowMeta.recording_bytes = String(bytes);
    const again = csvRowToEvent(row, reading, [], bytes);
    if (again?.kind === 'leg') leg = again;
  }
  summary.legs++;
  return { callKey: leg.callKey, input: { source: 'asterisk', raw: raw.replace(/\r?\n$/, ''), meta: rowMeta, events: [leg] } };
}

interface RowContext {
  reading: ImportOptions['reading'];
  summary: ImportSummary;
  meta: Record<string, string>;
  fileBytes: ReturnType<typeof createFileSizer>;
}

export async function importAsteriskCsv(file: string, options: ImportOptions): Promise<ImportSummary> {
  const started = Date.now();
  const { reading } = options;
  const summary: ImportSummary = { rows: 0, conversations: 0, legs: 0, stored: 0, duplicates: 0, failed: 0, skipped: new SkipTally(), seconds: 0 };
  const meta = { content_type: 'text/csv', columns: formatColumnsOption(reading.layout), time_zone: reading.timeZone };
  const ctx: RowContext = { reading, summary, meta, fileBytes: createFileSizer() };
  const groups = new CallGroups<IngestInput>(options.window);
  const queue = ingestQueue(options, summary);
  const { bom, progress, rows } = await csvRows(file, summary);
  const text = { bom, charset: options.charset ?? 'auto' };
  for await (const read of rows) {
    summary.rows++;
    const leg = await rowToInput(read, text, ctx);
    if (leg) await queue.take(groups.add(leg.callKey, leg.input));
    if (summary.rows % 1000 === 0) options.progress?.update(progress.bytesRead, summary.rows);
  }
  await queue.take(groups.drain());
  await queue.finish();
  options.progress?.update(progress.bytesRead, summary.rows);
  options.progress?.stop();
  summary.seconds = (Date.now() - started) / 1000;
  return summary;
}

type WithDeps = <T>(run: (deps: AppDeps) => Promise<T>) => Promise<T>;

/** The command; prints the summary, returns the exit code. */
export async function importCommand(args: string[], withDeps: WithDeps): Promise<number> {
  const usage = (message: string) => {
    console.error(`calltrail: ${message}\n\nusage: calltrail ${IMPORT_USAGE}`);
    return 2;
  };
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { columns: { type: 'string' }, 'time-zone': { type: 'string' }, 'dry-run': { type: 'boolean' }, 'batch-size': { type: 'string' } },
    });
  } catch (error) {
    return usage((error as Error).message);
  }
  const { values, positionals } = parsed;
  const [kind, file, ...extra] = positionals;
  if (kind !== 'asterisk-csv') return usage(`import knows one format, asterisk-csv${kind ? `, not "${kind}"` : ''}`);
  if (!file || extra.length) return usage('import asterisk-csv takes one FILE');
  const batchSize = Number(values['batch-size'] ?? 1000);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) return usage('--batch-size is a whole number from 1 to 10000');
  const zone = values['time-zone'];
  if (zone !== undefined && !timeZoneSchema.safeParse(zone).success) return usage(`--time-zone: "${zone}" is not an IANA time zone such as Europe/Moscow`);

  const { config } = loadSettings();
  let reading: CsvReading;
  try {
    reading = csvReading(parseContext(config), { columns: values.columns, timeZone: zone });
  } catch (error) {
    return usage(`--columns: ${(error as Error).message}`);
  }
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error('not a regular file');
    size = info.size;
  } catch (error) {
    console.error(`calltrail: cannot read ${file}: ${(error as Error).message}`);
    return 1;
  }

  const run = (ingest?: ImportOptions['ingest']) =>
    importAsteriskCsv(file, {
      reading,
      batchSize,
      window: 2000,
      progress: createProgress(size),
      charset: config.sources.asterisk.charset,
      ...(ingest ? { ingest } : {}),
    });
  let summary: ImportSummary;
  try {
    summary = values['dry-run'] ? await run() : await withDeps((deps) => run((inputs) => ingestMany(inboxDeps(deps), inputs)));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code && /^E[A-Z]+$/.test(code) && code !== 'ECONNREFUSED') {
      console.error(`calltrail: cannot read ${file}: ${(error as Error).message}`);
      return 1;
    }
    throw error;
  }
  console.log(formatSummary(file, summary, { dryRun: Boolean(values['dry-run']), columns: formatColumnsOption(reading.layout), timeZone: reading.timeZone }));
  return summary.failed > 0 ? 1 : 0;
}
