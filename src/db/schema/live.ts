/**
 * The live half: calls ringing and talking now, who was shown them (screen pops), the click-to-call
 * requests, and the cache of who has which number (caller lookups). None of these is the record
 * of a call — conversations, legs and recordings are, and the delivery outbox — so losing a row
 * here never loses a call: a pop not shown, a lookup answered from the CRM instead of the cache.
 * @module
 */
import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { DIRECTIONS } from '../../domain/call';
import { LIVE_STATES } from '../../domain/events';
import { instant, oneOf, timestamps } from './columns';

export const POP_STATES = ['sending', 'shown', 'late', 'failed', 'hidden'] as const;
export const ORIGINATE_STATES = ['requested', 'refused'] as const;

/** One row per call ringing or talking now, in its conversation's key space. */
export const liveCalls = pgTable(
  'live_calls',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** The conversation key space (conversations.source). */
    source: text('source').notNull(),
    callKey: text('call_key').notNull(),
    state: text('state', { enum: LIVE_STATES }).notNull(),
    direction: text('direction', { enum: DIRECTIONS }),
    fromNumber: text('from_number'),
    toNumber: text('to_number'),
    /** Every extension that has rung so far, in order. */
    extensions: jsonb('extensions').$type<string[]>().notNull().default([]),
    answeredBy: text('answered_by'),
    line: text('line'),
    startedAt: instant('started_at').notNull(),
    answeredAt: instant('answered_at'),
    endedAt: instant('ended_at'),
    /** The CRM's own id of the popped call (Bitrix24 CALL_ID): the delivery finishes that call. */
    crmRef: text('crm_ref'),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('live_calls_source_call_key').on(t.source, t.callKey),
    index('live_calls_active').on(t.startedAt).where(sql`${t.state} <> 'ended'`),
    oneOf('live_calls_state', t.state, LIVE_STATES),
    oneOf('live_calls_direction', t.direction, DIRECTIONS),
  ],
);

/** A screen pop for one CRM user of one call: at most one per user per call (the primary key). */
export const livePops = pgTable(
  'live_pops',
  {
    liveCallId: uuid('live_call_id')
      .notNull()
      .references(() => liveCalls.id, { onDelete: 'cascade' }),
    userId: text('user_id').notNull(),
    extension: text('extension'),
    state: text('state', { enum: POP_STATES }).notNull(),
    /** Why it was not shown (late: the budget had no slot in time; failed: the CRM's answer). */
    reason: text('reason'),
    /** Ring in → pop request answered, in ms (the bench's figure, the console's too). */
    latencyMs: integer('latency_ms'),
    ...timestamps,
  },
  (t) => [primaryKey({ columns: [t.liveCallId, t.userId] }), oneOf('live_pops_state', t.state, POP_STATES)],
);

/** Click-to-call requests, so the call that follows is credited to the user who clicked. */
export const originations = pgTable(
  'originations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    source: text('source').notNull(),
    extension: text('extension').notNull(),
    /** The CRM user who clicked (null: asked by extension, through the API). */
    userId: text('user_id'),
    /** The customer's number, E.164 when it could be normalized. */
    phone: text('phone').notNull(),
    state: text('state', { enum: ORIGINATE_STATES }).notNull(),
    reason: text('reason'),
    vendorRef: text('vendor_ref'),
    /** The CRM's own id of the call it started the click with (Bitrix24's CALL_ID): the delivery finishes that call. */
    crmRef: text('crm_ref'),
    requestedAt: instant('requested_at').notNull(),
  },
  (t) => [index('originations_match').on(t.extension, t.phone, t.requestedAt), oneOf('originations_state', t.state, ORIGINATE_STATES)],
);

/**
 * Who has a number, as the CRM last answered (null card: nobody). Kept fresh on the account's
 * budget at background priority; a lookup answers from here when the entry is fresh enough.
 */
export const callerCache = pgTable(
  'caller_cache',
  {
    account: text('account').notNull(),
    /** E.164, or the digits as dialled when the number could not be normalized. */
    phone: text('phone').notNull(),
    card: jsonb('card').$type<Record<string, unknown> | null>(),
    fetchedAt: instant('fetched_at').notNull(),
    /** Last asked for (lookups, pops): entries nobody asks for are not refreshed. */
    usedAt: instant('used_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.account, t.phone] }), index('caller_cache_fetched').on(t.fetchedAt)],
);
