/**
 * legs: one channel of a conversation (the caller with the secretary, then with the sales rep…).
 * @module
 */
import { bigint, boolean, index, integer, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { conversations } from './conversations';
import { instant, oneOf, timestamps } from './columns';
import { inboxEvents } from './inbox-events';
import { DIRECTIONS, DISPOSITIONS } from '../../domain/call';

export const legs = pgTable(
  'legs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    legKey: text('leg_key').notNull(),
    direction: text('direction', { enum: DIRECTIONS }),
    /** Which rule of the source gave the direction (channel, context, declared type…). */
    directionRule: text('direction_rule'),
    fromRaw: text('from_raw'),
    toRaw: text('to_raw'),
    extension: text('extension'),
    /** Our number (DID) the leg came in on or went out from, when the PBX says. */
    line: text('line'),
    /** Keys of other legs this leg says it is one call with (ledger/joins.ts); null when none. */
    links: text('links').array(),
    startedAt: instant('started_at').notNull(),
    answeredAt: instant('answered_at'),
    endedAt: instant('ended_at').notNull(),
    disposition: text('disposition', { enum: DISPOSITIONS }).notNull(),
    talkSeconds: integer('talk_seconds').notNull().default(0),
    /** This leg's end is the end of the whole conversation. */
    final: boolean('final').notNull().default(false),
    /** null: a recording is expected when answered; false: the PBX said it records nothing. */
    recorded: boolean('recorded'),
    /** Orders conflicting versions of one leg so the winner never depends on arrival order. */
    version: text('version').notNull(),
    inboxEventId: bigint('inbox_event_id', { mode: 'number' }).references(() => inboxEvents.id, {
      onDelete: 'set null',
    }),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('legs_conversation_leg_key').on(t.conversationId, t.legKey),
    // Legs that name other legs of their call (FreeSWITCH transfers, Asterisk ≤ 11 channels) are
    // found by key and by the links they named: ledger/joins.ts.
    index('legs_leg_key').on(t.legKey),
    index('legs_links').using('gin', t.links),
    oneOf('legs_direction', t.direction, DIRECTIONS),
    oneOf('legs_disposition', t.disposition, DISPOSITIONS),
  ],
);
