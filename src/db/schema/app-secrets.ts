/**
 * app_secrets: secrets calltrail makes for itself when none is configured — the key that signs
 * recording links — so links survive restarts and every replica signs alike. Configured keys
 * (RECORDING_LINK_KEYS) take precedence.
 * @module
 */
import { pgTable, text } from 'drizzle-orm/pg-core';
import { timestamps } from './columns';

export const appSecrets = pgTable('app_secrets', {
  name: text('name').primaryKey(),
  value: text('value').notNull(),
  ...timestamps,
});
