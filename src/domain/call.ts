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
 * storage (archive_key); failed — fetching gave up, with the reason; skipped — nothing to fetch
 * (no file, or recordings of this extension are not synced), with the reason; purged — deleted
 * by retention, the metadata kept.
 */
export const FETCH_STATES = ['waiting', 'archived', 'failed', 'skipped', 'purged'] as const;
export type FetchState = (typeof FETCH_STATES)[number];
