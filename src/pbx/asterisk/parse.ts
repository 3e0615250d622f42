/**
 * Asterisk CDRs → call events: Master.csv lines (text/csv, text/plain) or AMI `Cdr` events
 * (application/json), and the AMI call events the listener stores for live moments (ami-live.ts). One leg per CDR; a body with any malformed row is refused whole, with
 * every problem's line and column, so the sender can fix it and send it again.
 *
 * Meta kept with a stored body, so that a replay reads it the same way:
 * `content_type`; from the import command also `columns`, `time_zone` (its overrides),
 * `first_line` (where the body was in the file) and `recording_bytes` (the file's size, when the
 * importing host could see it).
 * @module
 */
import type { CallEvent, LegEnded, RecordDropped } from '../../domain/events';
import { readTime } from './fields';
import { InvalidPayloadError, numbersOf, type PbxParser } from '../core/parse';
import { amiMessages } from './ami';
import { amiLiveMoment } from './ami-live';
import { cdrEvent, type CdrOptions } from './cdr';
import { dialplanRules } from './dialplan';
import { layoutColumns, parseColumnsOption, type CsvColumn, type CsvColumns } from './columns';
import type { AsteriskConfig, AsteriskContext } from './config';
import { csvRows, rowFields, type CsvRow, type LocatedFields } from './csv';
import { readCdr } from './fields';
import { ASTERISK_RECORDING_PATH } from './recording';

export interface CsvReading extends CdrOptions {
  layout: CsvColumns;
  columns: readonly CsvColumn[];
  recordingField: AsteriskConfig['recording_field'];
}

/** How this source reads CDRs: the config, with a body's own overrides (meta) on top. */
export function csvReading(ctx: AsteriskContext, overrides: { columns?: string | undefined; timeZone?: string | undefined } = {}): CsvReading {
  const config = ctx.sources.asterisk;
  const layout = overrides.columns ? parseColumnsOption(overrides.columns) : config.csv_columns;
  return {
    layout,
    columns: layoutColumns(layout),
    timeZone: overrides.timeZone ?? config.time_zone ?? ctx.timeZone,
    recordingField: config.recording_field,
    recording: { template: config.recording_url, defaultTemplate: ASTERISK_RECORDING_PATH, emptyBytes: config.empty_recording_bytes },
    dialplan: dialplanRules(config, numbersOf(ctx)),
    answeredRequiresBridge: config.answered_requires_bridge,
  };
}

/** One located CDR → its leg (or why it is none), or null with the problems added. */
export function recordToEvent(record: LocatedFields, reading: CsvReading, problems: string[], recordingBytes?: number): LegEnded | RecordDropped | null {
  const cdr = readCdr(record.fields, { timeZone: reading.timeZone, recordingField: reading.recordingField, locate: record.locate, recordingBytes }, problems);
  return cdr ? cdrEvent(cdr, reading, record.at) : null;
}

/** One Master.csv row → its leg or why it is none (the import command's path: rows come from a stream). */
export function csvRowToEvent(row: CsvRow, reading: CsvReading, problems: string[], recordingBytes?: number): LegEnded | RecordDropped | null {
  const record = rowFields(row, reading.columns, reading.layout, problems);
  return record ? recordToEvent(record, reading, problems, recordingBytes) : null;
}

/** CEL's EventTime: unix seconds (with microseconds) or local "YYYY-MM-DD HH:MM:SS[.ffffff]" (cel.conf dateformat). */
function celTime(text: string, timeZone: string): Date | null {
  if (/^\d{9,11}(\.\d+)?$/.test(text)) return new Date(Math.round(Number(text) * 1000));
  return readTime(text.replace(/\.\d+$/, ''), 'EventTime', timeZone, []);
}

function isJson(raw: string, contentType: string | undefined): boolean {
  if (contentType && /json/i.test(contentType)) return true;
  if (contentType && /csv|text\/plain/i.test(contentType)) return false;
  return /^\s*[[{]/.test(raw);
}

export const asteriskParser: PbxParser<{ asterisk: AsteriskConfig }> = {
  name: 'asterisk',
  parse(raw, meta, ctx) {
    let reading: CsvReading;
    try {
      reading = csvReading(ctx, { columns: meta.columns, timeZone: meta.time_zone });
    } catch (error) {
      throw new InvalidPayloadError([`columns: ${(error as Error).message}`]);
    }
    const json = isJson(raw, meta.content_type);
    if (!json && raw.trim() === '') throw new InvalidPayloadError(['body: expected Master.csv lines or AMI Cdr events as JSON']);
    const offset = Number(meta.first_line ?? 1) - 1;
    const problems: string[] = [];
    const bytes = meta.recording_bytes === undefined ? undefined : Number(meta.recording_bytes);
    const events: (CallEvent | null)[] = json
      ? amiMessages(raw).map((m) => {
          if (m.type === 'cdr') return recordToEvent(m.record, reading, problems, bytes);
          if (m.type === 'closed') return { kind: 'closed', callKey: m.linkedid, at: celTime(m.eventTime, reading.timeZone) };
          if (m.type === 'live') return amiLiveMoment(m.get, reading.dialplan, problems, m.at);
          return null;
        })
      : csvRows(raw).map((row) => {
          const record = rowFields({ ...row, line: row.line + offset }, reading.columns, reading.layout, problems);
          return record ? recordToEvent(record, reading, problems, bytes) : null;
        });
    if (problems.length) throw new InvalidPayloadError(problems);
    return events.filter((e): e is CallEvent => e !== null);
  },
};
