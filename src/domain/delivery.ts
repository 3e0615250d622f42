/**
 * A call's delivery to the CRM: its states, the steps a delivery goes through, and what one attempt
 * came to.
 * @module
 */
export const DELIVERY_STATES = ['pending', 'delivered', 'failed', 'skipped'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/**
 * What a pending delivery does next. log: write the call note; contact: create the unknown
 * caller's contact, then log; unsorted: file the call as an unknown-caller lead; task: create the
 * call-back task of a logged missed call; update: bring a logged note up to date (late recording).
 */
export const DELIVERY_STEPS = ['log', 'contact', 'unsorted', 'task', 'update'] as const;
export type DeliveryStep = (typeof DELIVERY_STEPS)[number];

/** ok: the CRM confirmed; error: it refused or failed and nothing was written; unknown: it may have been written. */
export const ATTEMPT_OUTCOMES = ['ok', 'error', 'unknown'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];
