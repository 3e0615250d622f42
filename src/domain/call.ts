/**
 * The vocabulary of a call: which way it went, how it ended, each leg's disposition, what is known
 * of its recordings.
 * @module
 */
export const DIRECTIONS = ['inbound', 'outbound', 'internal'] as const;
export type Direction = (typeof DIRECTIONS)[number];

export const OUTCOMES = ['answered', 'missed', 'busy', 'failed'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const DISPOSITIONS = ['answered', 'no_answer', 'busy', 'failed'] as const;
export type Disposition = (typeof DISPOSITIONS)[number];

/**
 * What the PBX says: referenced — it told us where the file is; absent / failed — it has none,
 * or its recording broke.
 */
export const RECORDING_STATUSES = ['referenced', 'absent', 'failed'] as const;
export type RecordingStatus = (typeof RECORDING_STATUSES)[number];

/**
 * Where our copy stands: waiting — to be fetched (next_fetch_at says when); archived — in our
 * storage (archive_key); refused — calltrail would not fetch it (a host or path the policy does
 * not allow, too large, no way to download it), with the reason; failed — fetching gave up after
 * its tries, or the file is not audio, with the reason; skipped — nothing to fetch (no file, or
 * recordings of this extension are not synced), with the reason; purged — deleted by retention,
 * the metadata kept.
 */
export const FETCH_STATES = ['waiting', 'archived', 'refused', 'failed', 'skipped', 'purged'] as const;
export type FetchState = (typeof FETCH_STATES)[number];

/** What became of a recording, in one word for people: the API's `state` and the console's badge. */
export type RecordingState = 'archived' | 'pending' | 'refused' | 'failed' | 'not_recorded' | 'skipped' | 'purged' | 'referenced';

/**
 * A recording's state and its reason, from what the PBX said (status) and what calltrail did
 * (fetch_state). `archiving`: this deployment copies recordings (else they stay referenced).
 */
export function recordingState(
  r: { status: RecordingStatus; fetchState: FetchState; fetchError: string | null },
  archiving: boolean,
): { state: RecordingState; reason: string | null } {
  if (r.status === 'absent') return { state: 'not_recorded', reason: r.fetchError ?? 'the PBX made no recording' };
  if (r.status === 'failed') return { state: 'failed', reason: r.fetchError ?? 'the PBX reported the recording failed' };
  switch (r.fetchState) {
    case 'archived':
      return { state: 'archived', reason: null };
    case 'waiting':
      return { state: 'pending', reason: r.fetchError };
    case 'refused':
    case 'failed':
    case 'purged':
      return { state: r.fetchState, reason: r.fetchError };
    case 'skipped':
      return archiving || r.fetchError
        ? { state: 'skipped', reason: r.fetchError }
        : { state: 'referenced', reason: 'this deployment links recordings where the PBX keeps them' };
  }
}
