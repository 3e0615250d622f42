/**
 * delivery_attempts: every request made for a delivery and how it ended, so an admin can see
 * why a call is late or failed. Append-only; one row per delivery per CRM request.
 * @module
 */
import { bigint, index, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { deliveries } from './deliveries';
import { instant, oneOf } from './columns';
import { ATTEMPT_OUTCOMES, DELIVERY_STEPS } from '../../domain/delivery';

export const deliveryAttempts = pgTable(
  'delivery_attempts',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    deliveryId: uuid('delivery_id')
      .notNull()
      .references(() => deliveries.id, { onDelete: 'cascade' }),
    step: text('step', { enum: DELIVERY_STEPS }).notNull(),
    outcome: text('outcome', { enum: ATTEMPT_OUTCOMES }).notNull(),
    /** The CRM's HTTP status, when it answered. */
    httpStatus: integer('http_status'),
    detail: text('detail'),
    at: instant('at').notNull(),
  },
  (t) => [
    index('delivery_attempts_delivery').on(t.deliveryId, t.at),
    oneOf('delivery_attempts_step', t.step, DELIVERY_STEPS),
    oneOf('delivery_attempts_outcome', t.outcome, ATTEMPT_OUTCOMES),
  ],
);
