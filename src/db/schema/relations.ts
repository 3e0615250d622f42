/**
 * Relations for drizzle's relational queries (one round trip for a conversation with its parts).
 * @module
 */
import { relations } from 'drizzle-orm';
import { conversations } from './conversations';
import { deliveries } from './deliveries';
import { deliveryAttempts } from './delivery-attempts';
import { callAudio } from './call-audio';
import { legs } from './legs';
import { recordings } from './recordings';

export const conversationRelations = relations(conversations, ({ many, one }) => ({
  legs: many(legs),
  recordings: many(recordings),
  deliveries: many(deliveries),
  audio: one(callAudio, { fields: [conversations.id], references: [callAudio.conversationId] }),
}));
export const callAudioRelations = relations(callAudio, ({ one }) => ({
  conversation: one(conversations, { fields: [callAudio.conversationId], references: [conversations.id] }),
}));
export const legRelations = relations(legs, ({ one }) => ({
  conversation: one(conversations, { fields: [legs.conversationId], references: [conversations.id] }),
}));
export const recordingRelations = relations(recordings, ({ one }) => ({
  conversation: one(conversations, {
    fields: [recordings.conversationId],
    references: [conversations.id],
  }),
}));
export const deliveryRelations = relations(deliveries, ({ one, many }) => ({
  conversation: one(conversations, {
    fields: [deliveries.conversationId],
    references: [conversations.id],
  }),
  history: many(deliveryAttempts),
}));
export const deliveryAttemptRelations = relations(deliveryAttempts, ({ one }) => ({
  delivery: one(deliveries, { fields: [deliveryAttempts.deliveryId], references: [deliveries.id] }),
}));
