/**
 * What every PBX adapter turns its payloads into. The ledger only understands these.
 * @module
 */
import type { Direction } from './call';
import type { Disposition } from './call';
import type { RecordingStatus } from './call';

export interface RecordingRef {
  /** Stable id of the recording within the conversation (the PBX's id, else its URL). */
  key: string;
  /** An http(s) URL or a path on the PBX host; absent when the PBX has none. */
  url: string | null;
  status: RecordingStatus;
  /** The vendor's id of the file when its URL must be asked for through the vendor's API. */
  vendorRef?: string;
}

/** One leg of a conversation has ended; its CDR. */
export interface LegEnded {
  kind: 'leg';
  callKey: string;
  legKey: string;
  /** As declared by the PBX (or worked out from its channels and contexts); null → inferred from the numbers. */
  direction: Direction | null;
  /** Which rule gave `direction` ("channel SIP/211553-… is a trunk: …"), kept for reports. */
  directionRule?: string | null;
  from: string | null;
  to: string | null;
  extension: string | null;
  /** Our number the call came in on or went out from (the DID), when the PBX says: picks the line's country. */
  line?: string | null;
  startedAt: Date;
  answeredAt: Date | null;
  endedAt: Date;
  disposition: Disposition;
  /** Talk time the PBX measured (billsec); null → answered_at to ended_at. */
  talkSeconds: number | null;
  /** This leg's end ends the whole conversation. */
  final: boolean;
  /**
   * Keys (leg or conversation keys of the same source) this leg says it is one call with, when the
   * PBX keys one call apart (FreeSWITCH bridge_uuid, originating_leg_uuid, transfer_history).
   */
  joins?: string[];
  /** false: the PBX says this leg has no recording; null: expect one when answered. */
  recorded: boolean | null;
  recording: RecordingRef | null;
}

/** A recording of a conversation (or one leg of it) is available, or known to be missing. */
export interface RecordingReady {
  kind: 'recording';
  callKey: string;
  legKey: string;
  recording: RecordingRef;
}

/** The PBX says the whole conversation is over (Asterisk CEL LINKEDID_END): no more legs will come. */
export interface ConversationClosed {
  kind: 'closed';
  callKey: string;
  /** When the PBX closed it; null when its record has no readable time (the arrival then counts). */
  at: Date | null;
}

/**
 * A record that is no call of its own (the dialled side's CDR of a call recorded by its caller's
 * row, AppDial rows…): nothing is applied; the reason is kept with the stored body and shown by
 * `calltrail check`.
 */
export interface RecordDropped {
  kind: 'dropped';
  /** Where the record was ("line 12", "[3]"). */
  at: string;
  reason: string;
}

/** What a call is doing now, as the live view shows it. */
export const LIVE_STATES = ['ringing', 'answered', 'ended'] as const;
export type LiveState = (typeof LIVE_STATES)[number];

/**
 * A call is happening: extensions ring (ringing), one picked up (answered), or it is over before
 * any record says so (ended). Live moments feed the screen pop and the live view; they never make
 * or change a conversation — its legs still come from the PBX's records of the call (a CDR, an
 * end notification), which they never replace.
 */
export interface LiveMoment {
  kind: 'live';
  /** The conversation key the call's records will carry (same key space as its legs). */
  callKey: string;
  state: LiveState;
  /** As declared by the PBX; null when it does not say. */
  direction: Direction | null;
  from: string | null;
  to: string | null;
  /**
   * ringing: the extensions ringing now (several for a ring group; empty when the PBX does not say
   * yet — the call is in a queue or an IVR); answered: the extension that picked up, if known.
   */
  extensions: string[];
  /** Our number the call came in on or goes out from (the DID), when the PBX says. */
  line?: string | null;
  /** When it happened, by the PBX's clock when it gives one, else the arrival. */
  at: Date;
}

export type CallEvent = LegEnded | RecordingReady | ConversationClosed | RecordDropped | LiveMoment;

/** Events that belong to a conversation's record (live moments do not: they only show it live). */
export type ConversationEvent = LegEnded | RecordingReady | ConversationClosed;

export const isConversationEvent = (e: CallEvent): e is ConversationEvent => e.kind !== 'dropped' && e.kind !== 'live';

/** The conversation an event belongs to; null for a dropped record. */
export const callKeyOf = (e: CallEvent): string | null => (e.kind === 'dropped' ? null : e.callKey);
