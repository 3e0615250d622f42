/**
 * One Asterisk CDR → one leg. Shared by every way a CDR reaches us: Master.csv lines and AMI
 * `Cdr` events (push endpoint, CSV import) and rows of FreePBX's `cdr` table (poller).
 *
 * Since Asterisk 12 one call writes a CDR per bridge segment of each party A channel, all sharing
 * `linkedid`: the call is the linkedid, the leg is the channel (`uniqueid`) and segment
 * (`sequence`). CDRs never say "this was the last one", so none is final for certain; the
 * originating channel's (uniqueid = linkedid) are marked final, and the ledger waits
 * SETTLE_SECONDS of quiet for the rest of a CDR source's call anyway (ledger/context.ts).
 * @module
 */
import type { Disposition } from '../../db/schema/legs';
import type { LegEnded } from '../../domain/events';
import { isDialled, parties } from './channel';
import { recordingFor, type RecordingOptions } from './recording';

/** A CDR with its values checked and its times read. Absent text fields are ''. */
export interface Cdr {
  src: string;
  dst: string;
  clid: string;
  channel: string;
  dstchannel: string;
  startedAt: Date;
  answeredAt: Date | null;
  endedAt: Date;
  billsec: number;
  disposition: Disposition;
  uniqueid: string;
  linkedid: string;
  sequence: string;
  /** The start as written: identifies a row when the layout has no ids. */
  startText: string;
  /** The recording's file name (or path, or URL), '' when none. */
  recordingName: string;
  /** The recording's size, when the reader could see the file. */
  recordingBytes?: number | undefined;
}

export const DISPOSITIONS: Readonly<Record<string, Disposition>> = {
  ANSWERED: 'answered',
  'NO ANSWER': 'no_answer',
  BUSY: 'busy',
  FAILED: 'failed',
  // The network could not complete the call: a failure to the people involved.
  CONGESTION: 'failed',
};

export interface CdrOptions {
  timeZone: string;
  recording: RecordingOptions;
}

export function callKeyOf(cdr: Pick<Cdr, 'linkedid' | 'uniqueid' | 'channel' | 'startText'>): string {
  return cdr.linkedid || cdr.uniqueid || `${cdr.channel}@${cdr.startText}`;
}

export function cdrToLeg(cdr: Cdr, options: CdrOptions): LegEnded {
  const callKey = callKeyOf(cdr);
  // One channel writes several CDRs (one per bridge it was in): the sequence tells them apart.
  const legKey = cdr.uniqueid ? (cdr.sequence ? `${cdr.uniqueid}#${cdr.sequence}` : `${cdr.uniqueid}@${cdr.startText}`) : callKey;
  const { direction, extension } = parties(cdr.channel, cdr.dstchannel, cdr.dst);
  const recording = cdr.recordingName
    ? recordingFor(
        {
          name: cdr.recordingName,
          bytes: cdr.recordingBytes,
          startedAt: cdr.startedAt,
          timeZone: options.timeZone,
          uniqueid: cdr.uniqueid,
          linkedid: cdr.linkedid,
        },
        options.recording,
      )
    : null;
  const answered = cdr.disposition === 'answered';
  return {
    kind: 'leg',
    callKey,
    legKey,
    direction,
    from: cdr.src || callerNumber(cdr.clid),
    // dst is the dialplan extension party A ran: "s" or a feature code says nothing about the callee.
    to: isDialled(cdr.dst) ? cdr.dst : extension,
    extension,
    startedAt: cdr.startedAt,
    answeredAt: answered ? cdr.answeredAt : null,
    endedAt: cdr.endedAt,
    disposition: cdr.disposition,
    talkSeconds: answered ? cdr.billsec : 0,
    final: !cdr.uniqueid || cdr.uniqueid === callKey,
    // A CDR names its recording when the call is recorded; none named means none will come.
    recorded: recording !== null && recording.status !== 'absent',
    recording,
  };
}

/** `"Ivan" <74951234567>` → 74951234567; a bare number stays as it is. */
function callerNumber(clid: string): string | null {
  const inBrackets = /<([^>]*)>\s*$/.exec(clid);
  const number = (inBrackets ? inBrackets[1] : clid)?.trim() ?? '';
  return number || null;
}
