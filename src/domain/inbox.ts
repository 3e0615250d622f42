/**
 * What became of a stored webhook body. `queued`: stored, and waiting for the queue consumer to
 * apply it (Workers with Cloudflare Queues); the Cron Trigger applies one a lost message missed.
 * @module
 */
export const INBOX_STATUSES = ['processed', 'failed', 'queued'] as const;
export type InboxStatus = (typeof INBOX_STATUSES)[number];
