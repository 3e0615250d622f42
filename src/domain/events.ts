/**
 * What every PBX adapter turns its payloads into. The ledger only understands these.
 * @module
 */
import type { Direction } from '../db/schema/conversations';
import type { Disposition } from '../db/schema/legs';
import type { RecordingStatus } from '../db/schema/recordings';

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
  /** As declared by the PBX; null → inferred from the numbers. */
  direction: Direction | null;
  from: string | null;
  to: string | null;
  extension: string | null;
  startedAt: Date;
  answeredAt: Date | null;
  endedAt: Date;
  disposition: Disposition;
  /** Talk time the PBX measured (billsec); null → answered_at to ended_at. */
  talkSeconds: number | null;
  /** This leg's end ends the whole conversation. */
  final: boolean;
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

export type CallEvent = LegEnded | RecordingReady;
