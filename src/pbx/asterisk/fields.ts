/**
 * A CDR as text fields (a Master.csv row, an AMI event) → a checked Cdr. Every problem is named
 * with where it is (`line 3, column 15 (disposition)`), so the sender can find it.
 * @module
 */
import type { Disposition } from '../../domain/call';
import { maskNumber } from '../../domain/phone';
import { parseInstant } from '../../domain/time';
import type { AsteriskConfig } from './config';
import { DISPOSITIONS, type Cdr } from './cdr';
import type { CdrField } from './columns';

export type CdrFields = Partial<Record<CdrField, string>>;

export interface ReadOptions {
  timeZone: string;
  recordingField: AsteriskConfig['recording_field'];
  /** Where a field is, for messages. */
  locate(field: CdrField): string;
  /** The recording's size when the reader could see the file (import, poller). */
  recordingBytes?: number | undefined;
}

/** What a value looked like, for a message: short, and never a whole phone number. */
export function shown(value: string): string {
  const short = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return JSON.stringify(short).replace(/\d{7,}/g, (digits) => maskNumber(digits));
}

const LOCAL_TIME = /^(\d{4})-(\d\d)-(\d\d) ([01]\d|2[0-3]):([0-5]\d):([0-5]\d)$/;
/** Zone offset (ms) of each local minute met: a zone's rules only change on a minute boundary. */
const offsets = new Map<string, number>();

/**
 * "YYYY-MM-DD HH:MM:SS" in a zone — what every CDR holds — without asking luxon for each row
 * (a backfill reads millions): the minute's offset is worked out once and remembered.
 */
function localTime(text: string, timeZone: string): Date | null {
  const m = LOCAL_TIME.exec(text);
  if (!m) return null;
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  const key = `${timeZone}|${text.slice(0, 16)}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    const parsed = parseInstant(`${text.slice(0, 16)}:00`, timeZone);
    if (!parsed.ok) return null;
    offset = wall - Number(m[6]) * 1000 - parsed.value.getTime();
    if (offsets.size >= 100_000) offsets.clear();
    offsets.set(key, offset);
  }
  return new Date(wall - offset);
}

export function readTime(value: string | undefined, where: string, timeZone: string, problems: string[]): Date | null {
  const text = (value ?? '').trim();
  if (text === '') return null;
  const fast = localTime(text, timeZone);
  if (fast) return fast;
  const parsed = parseInstant(text, timeZone);
  if (parsed.ok) return parsed.value;
  problems.push(`${where}: expected a time like "2026-11-20 10:00:00", got ${shown(text)}`);
  return null;
}

export function readSeconds(value: string | undefined, where: string, problems: string[]): number | null {
  const text = (value ?? '').trim();
  if (text === '') return null;
  if (/^\d{1,9}$/.test(text)) return Number(text);
  problems.push(`${where}: expected whole seconds, got ${shown(text)}`);
  return null;
}

export function readDisposition(value: string | undefined, where: string, problems: string[]): Disposition | null {
  const text = (value ?? '').trim().toUpperCase().replace(/_/g, ' ');
  const disposition = DISPOSITIONS[text];
  if (disposition) return disposition;
  problems.push(`${where}: expected ANSWERED, NO ANSWER, BUSY, FAILED or CONGESTION, got ${shown(value ?? '')}`);
  return null;
}

const AUDIO_FILE = /\.(wav|wav49|gsm|mp3|ogg|oga|opus|flac|sln\d*|ulaw|alaw|g722|g729)$/i;

/**
 * The recording's name per `recording_field`. FreePBX before 2.11 (and Elastix, Issabel) has no
 * recordingfile column: its dialplan writes `Set(CDR(userfield)=audio:${CALLFILENAME}.${MIXMON_FORMAT})`,
 * so `audio:` is FreePBX's marker, not part of the file's name, and a userfield carrying it names
 * the recording even where the row also has an empty recordingfile.
 */
export function recordingName(fields: CdrFields, mode: AsteriskConfig['recording_field']): string {
  if (mode === 'none') return '';
  const file = fields.recordingfile?.trim() ?? '';
  const user = fields.userfield?.trim() ?? '';
  const marked = /^audio:/i.test(user) ? user.slice('audio:'.length).trim() : null;
  if (mode === 'recordingfile') return file;
  if (mode === 'userfield') return marked ?? user;
  if (file !== '') return file;
  if (marked !== null) return marked;
  if (fields.recordingfile !== undefined) return '';
  return AUDIO_FILE.test(user) ? user : '';
}

/** Null when the record has problems (they are added to `problems`). */
export function readCdr(fields: CdrFields, options: ReadOptions, problems: string[]): Cdr | null {
  const before = problems.length;
  const { locate, timeZone } = options;
  const text = (field: CdrField) => fields[field]?.trim() ?? '';
  const required = (field: 'start' | 'end') => {
    if (text(field) === '') problems.push(`${locate(field)}: is empty`);
    return readTime(fields[field], locate(field), timeZone, problems);
  };
  const start = required('start');
  const answer = readTime(fields.answer, locate('answer'), timeZone, problems);
  const end = required('end');
  const billsec = readSeconds(fields.billsec, locate('billsec'), problems);
  readSeconds(fields.duration, locate('duration'), problems);
  const disposition = readDisposition(fields.disposition, locate('disposition'), problems);
  if (start && end && end < start) problems.push(`${locate('end')}: is before start`);
  if (problems.length > before || !start || !end || !disposition) return null;
  const answered = disposition === 'answered';
  // Talk time: billsec when the PBX wrote it, else answer → end.
  const talk = billsec ?? (answered && answer ? Math.max(0, Math.round((end.getTime() - answer.getTime()) / 1000)) : 0);
  let answeredAt: Date | null = null;
  if (answered) {
    const fromBillsec = new Date(end.getTime() - talk * 1000);
    // Asterisk writes the CDR's start as answer when party A was up before the bridge.
    answeredAt = new Date(Math.min(end.getTime(), Math.max(start.getTime(), (answer ?? fromBillsec).getTime())));
  }
  return {
    src: text('src'),
    dst: text('dst'),
    clid: text('clid'),
    channel: text('channel'),
    dstchannel: text('dstchannel'),
    dcontext: text('dcontext'),
    lastapp: text('lastapp'),
    lastdata: text('lastdata'),
    did: text('did'),
    startedAt: start,
    answeredAt,
    endedAt: end,
    billsec: talk,
    disposition,
    uniqueid: text('uniqueid'),
    linkedid: text('linkedid'),
    sequence: text('sequence'),
    startText: text('start'),
    recordingName: recordingName(fields, options.recordingField),
    recordingBytes: options.recordingBytes,
  };
}
