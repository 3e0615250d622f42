/**
 * conversations: one row per call as the outside party experienced it — all legs and transfers.
 * Every summary column is derived from legs and recordings by domain/assemble.ts, so the row is
 * the same whatever order the events arrived in.
 * @module
 */
import { sql } from 'drizzle-orm';
import { boolean, index, integer, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { instant, oneOf, timestamps } from './columns';
import { DIRECTIONS, OUTCOMES } from '../../domain/call';

export const conversations = pgTable(
  'conversations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    source: text('source').notNull(),
    /** The PBX's id of the whole conversation (linkedid, call_uuid, pbx_call_id, …). */
    callKey: text('call_key').notNull(),
    /** Stable id written to the CRM with the call; derived from (source, call_key). */
    uniq: text('uniq').notNull(),
    direction: text('direction', { enum: DIRECTIONS }),
    /** Which rule decided the direction: the reason a call was taken for internal. */
    directionRule: text('direction_rule'),
    /** Outside party in E.164, or null when there is none or it could not be parsed. */
    externalNumber: text('external_number'),
    /** Outside party as the PBX sent it, for numbers that could not be normalized. */
    externalNumberRaw: text('external_number_raw'),
    /** Why the outside number could not be normalized (kept as dialled, matched by its digits). */
    externalNumberNote: text('external_number_note'),
    /** Our number the call came in on or went out from (the DID), as the PBX gave it. */
    line: text('line'),
    /** The extension that talked longest (or the first one rung when nobody answered). */
    extension: text('extension'),
    outcome: text('outcome', { enum: OUTCOMES }),
    startedAt: instant('started_at'),
    answeredAt: instant('answered_at'),
    endedAt: instant('ended_at'),
    durationSeconds: integer('duration_seconds'),
    talkSeconds: integer('talk_seconds'),
    legCount: integer('leg_count').notNull().default(0),
    /** Answered legs are still waiting for their recording. */
    awaitingRecordings: boolean('awaiting_recordings').notNull().default(false),
    /** The PBX said the conversation is over (Asterisk CEL LINKEDID_END): no need to wait for more legs. */
    closedAt: instant('closed_at'),
    /** When the event that ends the conversation arrived; null while it is still going on. */
    finalSeenAt: instant('final_seen_at'),
    lastEventAt: instant('last_event_at').notNull(),
    /** Settle at this time at the latest (final event + SETTLE_SECONDS of quiet). */
    settleDueAt: instant('settle_due_at'),
    settledAt: instant('settled_at'),
    /** Its recordings changed in our storage: the call's MP3 is (re)built at this time. */
    audioDueAt: instant('audio_due_at'),
    /** Bumped whenever a leg or recording changes the conversation, also after it settled. */
    revision: integer('revision').notNull().default(0),
    /** Legal hold: while set, nothing deletes this call or its recordings (retention, erasure). */
    legalHoldAt: instant('legal_hold_at'),
    /** Who placed the hold (an actor, "user:…", "token:…"). */
    legalHoldBy: text('legal_hold_by'),
    legalHoldReason: text('legal_hold_reason'),
    /**
     * The W3C traceparent of the inbox apply that last changed the call, kept only while tracing
     * is on: its delivery, later and maybe elsewhere, continues that trace (ledger/trace.ts).
     */
    traceParent: text('trace_parent'),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('conversations_source_call_key').on(t.source, t.callKey),
    // Not unique: uniq is a hash of (source, call_key), which is. A second unique index would
    // make concurrent first inserts fail outside ON CONFLICT's arbiter instead of waiting.
    index('conversations_uniq').on(t.uniq),
    index('conversations_settle_due').on(t.settleDueAt).where(sql`${t.settledAt} is null and ${t.finalSeenAt} is not null`),
    index('conversations_started_at').on(t.startedAt),
    index('conversations_audio_due').on(t.audioDueAt).where(sql`${t.audioDueAt} is not null`),
    index('conversations_external_number').on(t.externalNumber),
    index('conversations_ended_at').on(t.endedAt),
    oneOf('conversations_direction', t.direction, DIRECTIONS),
    oneOf('conversations_outcome', t.outcome, OUTCOMES),
  ],
);
