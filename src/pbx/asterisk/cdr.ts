/**
 * One Asterisk CDR → one leg. Shared by every way a CDR reaches us: Master.csv lines and AMI
 * `Cdr` events (push endpoint, CSV import, AMI listener) and rows of FreePBX's `cdr` table
 * (poller) — so that a call reaching us by several paths is read the same way, under the same
 * keys. Its direction comes from the installation's dialplan rules (dialplan.ts).
 *
 * Since Asterisk 12 one call writes a CDR per bridge segment of each party A channel, all sharing
 * `linkedid`: the call is the linkedid, the leg is the channel (`uniqueid`) and segment
 * (`sequence`). CDRs never say "this was the last one", so none is final for certain; the
 * originating channel's (uniqueid = linkedid) are marked final, and the ledger waits
 * SETTLE_SECONDS of quiet for the rest of a CDR source's call anyway (ledger/context.ts).
 * @module
 */
import type { Disposition } from '../../domain/call';
import type { LegEnded, RecordDropped } from '../../domain/events';
import { cdrDirection, isDialled, type DialplanRules } from './dialplan';
import { recordingFor, type RecordingOptions } from './recording';

/** A CDR with its values checked and its times read. Absent text fields are ''. */
export interface Cdr {
  src: string;
  dst: string;
  clid: string;
  channel: string;
  dstchannel: string;
  /** The context party A was in when the CDR ended. */
  dcontext: string;
  /** The application party A ran last (Dial, Queue, AppDial, Hangup, …). */
  lastapp: string;
  /** Its arguments (Dial's targets). */
  lastdata: string;
  /** The DID the call came in on (FreePBX), '' when unknown. */
  did: string;
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
  dialplan: DialplanRules;
  /** A CDR answered with no party B was answered by the PBX itself (IVR, Playback…): nobody talked. */
  answeredRequiresBridge: boolean;
}

export function callKeyOf(cdr: Pick<Cdr, 'linkedid' | 'uniqueid' | 'channel' | 'startText'>): string {
  return cdr.linkedid || cdr.uniqueid || `${cdr.channel}@${cdr.startText}`;
}

/**
 * The dialled channel's own record (`AppDial`, Asterisk ≤ 11 and originated calls) repeats the
 * call its caller's record already holds, seen from the other side: taken as a call of its own it
 * would be a phantom (a trunk as party A reads as "inbound"). It is dropped with the reason.
 */
function phantomReason(cdr: Cdr): string | null {
  if (/^appdial\d*$/i.test(cdr.lastapp)) {
    return `the dialled channel's own record (lastapp AppDial): the call is in its caller's record${cdr.linkedid ? ` (linkedid ${cdr.linkedid})` : ''}`;
  }
  return null;
}

/** One CDR → its leg, or the reason it is no leg of a call. `at` says where the record was. */
export function cdrEvent(cdr: Cdr, options: CdrOptions, at: string): LegEnded | RecordDropped {
  const phantom = phantomReason(cdr);
  return phantom ? { kind: 'dropped', at, reason: phantom } : cdrToLeg(cdr, options);
}

export function cdrToLeg(cdr: Cdr, options: CdrOptions): LegEnded {
  const callKey = callKeyOf(cdr);
  const legKey = legKeyOf(cdr, callKey);
  const caller = cdr.src || callerNumber(cdr.clid) || '';
  const { direction, rule, extension, callee } = cdrDirection(
    { channel: cdr.channel, dstchannel: cdr.dstchannel, dcontext: cdr.dcontext, caller, dst: cdr.dst, lastdata: cdr.lastdata },
    options.dialplan,
  );
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
  // Answered by the PBX itself and never bridged to anyone: the caller met no person.
  const byPbx = cdr.disposition === 'answered' && cdr.dstchannel === '' && options.answeredRequiresBridge;
  const disposition: Disposition = byPbx ? 'no_answer' : cdr.disposition;
  const answered = disposition === 'answered';
  return {
    kind: 'leg',
    callKey,
    legKey,
    direction,
    directionRule: rule,
    from: caller || null,
    // dst is the dialplan extension party A ran: "s" says nothing about the callee.
    to: callee ?? extension,
    extension,
    line: lineOf(cdr, direction, caller),
    startedAt: cdr.startedAt,
    answeredAt: answered ? cdr.answeredAt : null,
    endedAt: cdr.endedAt,
    disposition,
    talkSeconds: answered ? cdr.billsec : 0,
    final: !cdr.uniqueid || cdr.uniqueid === callKey,
    ...(cdr.linkedid ? {} : channelLinks(cdr)),
    // A CDR names its recording when the call is recorded; none named means none will come.
    recorded: recording !== null && recording.status !== 'absent',
    recording,
  };
}

/**
 * One channel writes several CDRs (one per bridge it was in): the sequence tells them apart.
 * Without it (Asterisk ≤ 11 layouts, the plain AMI Cdr event) a channel that rang several phones
 * at once writes CDRs with the same start: party B tells them apart.
 */
function legKeyOf(cdr: Cdr, callKey: string): string {
  if (!cdr.uniqueid) return callKey;
  if (cdr.sequence) return `${cdr.uniqueid}#${cdr.sequence}`;
  return cdr.dstchannel ? `${cdr.uniqueid}@${cdr.startText}>${cdr.dstchannel}` : `${cdr.uniqueid}@${cdr.startText}`;
}

/**
 * Without linkedid (Asterisk ≤ 11, the default cdr_csv layout) a call whose parties move on — the
 * outside party transferred to another phone — writes rows under different uniqueids; what ties
 * them is a channel: party B of one row is party A of a later one. Channel names repeat after a
 * restart (minutes later on a busy box), so a link holds the minute too: a row's own channel at
 * its start, its party B at the row's start, end and the minute after — a row continuing with
 * that channel as party A meets it there, and two calls of the same name an hour apart never do.
 */
function channelLinks(cdr: Cdr): { joins?: string[] } {
  const minute = (d: Date, plus = 0) => new Date(Math.floor(d.getTime() / 60_000) * 60_000 + plus * 60_000).toISOString().slice(0, 16);
  const named = (c: string) => /^[A-Za-z0-9]+\/.+-[0-9a-f]{4,}(;\d)?$/i.test(c);
  const links = new Set<string>();
  if (named(cdr.channel)) links.add(`chan:${cdr.channel}@${minute(cdr.startedAt)}`);
  if (named(cdr.dstchannel)) {
    for (const m of [minute(cdr.startedAt), minute(cdr.endedAt), minute(cdr.endedAt, 1)]) links.add(`chan:${cdr.dstchannel}@${m}`);
  }
  return links.size ? { joins: [...links] } : {};
}

/** Our number on the call: FreePBX's did, else the number an inbound call dialled. */
function lineOf(cdr: Cdr, direction: LegEnded['direction'], caller: string): string | null {
  if (cdr.did) return cdr.did;
  if (direction === 'inbound' && isDialled(cdr.dst) && cdr.dst.replace(/\D/g, '').length > 5) return cdr.dst;
  if (direction === 'outbound' && /^\+?\d{6,}$/.test(caller)) return caller;
  return null;
}

/** `"Ivan" <74951234567>` → 74951234567; a bare number stays as it is. */
export function callerNumber(clid: string): string | null {
  const inBrackets = /<([^>]*)>\s*$/.exec(clid);
  const number = (inBrackets ? inBrackets[1] : clid)?.trim() ?? '';
  return number || null;
}
