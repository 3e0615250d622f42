/**
 * What became of a stored webhook body.
 * @module
 */
export const INBOX_STATUSES = ['processed', 'failed'] as const;
export type InboxStatus = (typeof INBOX_STATUSES)[number];
