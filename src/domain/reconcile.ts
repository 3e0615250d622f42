/**
 * A reconciliation run: its states, the kinds of gap it finds, and what it did about each.
 * @module
 */
export const RUN_STATUSES = ['running', 'paused', 'done', 'failed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const FINDING_KINDS = ['missing_in_crm', 'duplicate_in_crm', 'missing_recording', 'failed', 'skipped', 'lost_webhook'] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

/** What the run did: re-pushed the call, updated its note, retried the delivery, or only listed it. */
export const FINDING_ACTIONS = ['repushed', 'note_updated', 'retried', 'listed', 'ingested'] as const;
export type FindingAction = (typeof FINDING_ACTIONS)[number];
