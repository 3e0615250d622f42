/**
 * A row of FreePBX's `asteriskcdrdb.cdr` → a checked Cdr. The table keeps `calldate` (the CDR's
 * start, local time), `duration` and `billsec`, not the answer and end times: the end is
 * calldate + duration, the answer end − billsec.
 * @module
 */
import * as z from 'zod';
import { describeIssues } from '../../config/errors';
import type { Cdr } from '../asterisk/cdr';
import { readDisposition, readTime, recordingName, shown } from '../asterisk/fields';

const hasColumn = (row: unknown, name: string) => typeof row === 'object' && row !== null && name in row;

/** The columns the poller reads when the table has them (older FreePBX lacks the last three). */
export const CDR_COLUMNS = [
  'calldate',
  'clid',
  'src',
  'dst',
  'dcontext',
  'channel',
  'dstchannel',
  'lastapp',
  'lastdata',
  'duration',
  'billsec',
  'disposition',
  'amaflags',
  'accountcode',
  'uniqueid',
  'userfield',
  'did',
  'recordingfile',
  'cnum',
  'cnam',
  'outbound_cnum',
  'outbound_cnam',
  'dst_cnam',
  'linkedid',
  'peeraccount',
  'sequence',
] as const;

/** Without these a row cannot become a leg. */
export const REQUIRED_COLUMNS = ['calldate', 'duration', 'billsec', 'disposition', 'uniqueid'] as const;

const text = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((v) => (v === null || v === undefined ? '' : String(v).trim()));
const seconds = z
  .union([z.number(), z.string()], { error: 'expected whole seconds' })
  .transform(Number)
  .refine((n) => Number.isInteger(n) && n >= 0 && n < 1e9, 'expected whole seconds');

export const cdrRowSchema = z.looseObject({
  calldate: z.string({ error: 'expected calldate as "YYYY-MM-DD HH:MM:SS"' }),
  duration: seconds,
  billsec: seconds,
  disposition: z.string(),
  src: text,
  dst: text,
  clid: text,
  channel: text,
  dstchannel: text,
  dcontext: text,
  lastapp: text,
  lastdata: text,
  did: text,
  uniqueid: text,
  linkedid: text,
  sequence: text,
  recordingfile: text,
  userfield: text,
  /** Added by the poller when it could see the recording file: its size in bytes. */
  recording_bytes: z.number().int().nonnegative().optional(),
});

export type CdrRow = z.input<typeof cdrRowSchema>;

export function readRow(input: unknown, at: string, timeZone: string, problems: string[]): Cdr | null {
  const parsed = cdrRowSchema.safeParse(input);
  if (!parsed.success) {
    problems.push(...describeIssues(parsed.error, 'row').map((p) => `${at}${p}`));
    return null;
  }
  const row = parsed.data;
  const before = problems.length;
  // MySQL's zero date is what an unset DATETIME reads as.
  if (row.calldate.startsWith('0000')) problems.push(`${at}calldate: is the zero date ${shown(row.calldate)}`);
  const start = problems.length === before ? readTime(row.calldate, `${at}calldate`, timeZone, problems) : null;
  const disposition = readDisposition(row.disposition, `${at}disposition`, problems);
  if (problems.length > before || !start || !disposition) return null;
  const end = new Date(start.getTime() + row.duration * 1000);
  const billsec = disposition === 'answered' ? Math.min(row.billsec, row.duration) : 0;
  return {
    src: row.src,
    dst: row.dst,
    clid: row.clid,
    channel: row.channel,
    dstchannel: row.dstchannel,
    dcontext: row.dcontext,
    lastapp: row.lastapp,
    lastdata: row.lastdata,
    did: row.did,
    startedAt: start,
    answeredAt: disposition === 'answered' ? new Date(end.getTime() - billsec * 1000) : null,
    endedAt: end,
    billsec,
    disposition,
    uniqueid: row.uniqueid,
    linkedid: row.linkedid,
    sequence: row.sequence,
    startText: row.calldate,
    // FreePBX before 2.11 has no recordingfile column: its dialplan names the file in userfield ("audio:…").
    recordingName: recordingName({ recordingfile: hasColumn(input, 'recordingfile') ? row.recordingfile : undefined, userfield: row.userfield }, 'auto'),
    recordingBytes: row.recording_bytes,
  };
}
