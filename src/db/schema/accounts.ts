/**
 * accounts: the CRM accounts this instance serves besides its own (account 1, set up by the
 * environment and the config file). Each has its own data — a PostgreSQL schema `acct_<slug>`, or
 * its own embedded database under DATA_DIR/accounts/<slug> — so nothing here points at calls.
 * The row holds what the environment holds for account 1: its variables (the CRM's and the PBX
 * sources' secrets, sealed as one JSON object) and its integrator config.
 * @module
 */
import { jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { ACCOUNT_STATUSES } from '../../domain/account';
import { oneOf, timestamps } from './columns';

export const accounts = pgTable(
  'accounts',
  {
    /** Lower-case letters, digits and dashes; the path /a/<slug>/ and the schema acct_<slug>. */
    slug: text('slug').primaryKey(),
    name: text('name').notNull(),
    status: text('status', { enum: ACCOUNT_STATUSES }).notNull().default('active'),
    /** The integrator config as given (validated on every write); null: the defaults. */
    config: jsonb('config'),
    /** The account's variables, `{NAME: value}` as JSON, sealed (SECRETS_KEYS); null: none. */
    variables: text('variables'),
    ...timestamps,
  },
  (t) => [oneOf('accounts_status', t.status, ACCOUNT_STATUSES)],
);
