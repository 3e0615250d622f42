/**
 * People and programs that may use calltrail: users (console sign-in with a password, or through
 * the amoCRM user they are linked to), API tokens (bearer, stored only as their SHA-256), the
 * failed sign-ins that throttle guessing, and the one-time tokens already spent.
 * @module
 */
import { sql } from 'drizzle-orm';
import { bigserial, check, index, integer, pgTable, serial, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { ROLES } from '../../domain/actor';
import { instant, oneOf, timestamps } from './columns';

export const TOKEN_SCOPES = ['admin', 'lookup', 'originate', 'read', 'metrics'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

export const users = pgTable(
  'users',
  {
    id: serial('id').primaryKey(),
    /** Lowercased on the way in; unique. */
    email: text('email').notNull(),
    name: text('name').notNull().default(''),
    role: text('role').notNull(),
    /** `scrypt$N$r$p$salt$hash` (people/password.ts). */
    passwordHash: text('password_hash').notNull(),
    /** A rep's own extension: "their own calls" are the calls on it. */
    extension: text('extension'),
    /** The amoCRM user who may sign in as this user from the widget (people/amocrm-token.ts); unique. */
    amocrmUserId: integer('amocrm_user_id'),
    /** Bumped by a password change or a disable: every session signed with an older one stops working. */
    sessionEpoch: integer('session_epoch').notNull().default(0),
    disabledAt: instant('disabled_at'),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('users_email').on(t.email),
    // Postgres lets many rows hold null: the index binds only the linked users.
    uniqueIndex('users_amocrm_user').on(t.amocrmUserId),
    oneOf('users_role', t.role, ROLES),
    check('users_email_lower', sql`${t.email} = lower(${t.email})`),
    check('users_amocrm_user_positive', sql`${t.amocrmUserId} > 0`),
  ],
);

export const apiTokens = pgTable(
  'api_tokens',
  {
    id: serial('id').primaryKey(),
    name: text('name').notNull(),
    /** SHA-256 hex of the token; the token itself is shown once, at creation. */
    tokenHash: text('token_hash').notNull(),
    scopes: text('scopes').array().notNull(),
    /** What the token may do with the admin or read scope; null for lookup/originate/metrics-only tokens. */
    role: text('role'),
    createdBy: text('created_by').notNull(),
    createdAt: instant('created_at').notNull().defaultNow(),
    lastUsedAt: instant('last_used_at'),
    revokedAt: instant('revoked_at'),
  },
  (t) => [uniqueIndex('api_tokens_hash').on(t.tokenHash)],
);

export const signInFailures = pgTable(
  'sign_in_failures',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** "email:<lowercased>" or "ip:<address>". */
    key: text('key').notNull(),
    at: instant('at').notNull(),
  },
  (t) => [index('sign_in_failures_key_at').on(t.key, t.at)],
);

/**
 * One-time tokens spent: amoCRM's widget tokens (`amocrm:<jti>`) and calltrail's sign-in tickets
 * (`ticket:<id>`), kept until they would have expired anyway (people/one-time.ts), so each is
 * accepted once, on every replica.
 */
export const usedOneTimeTokens = pgTable(
  'used_one_time_tokens',
  {
    jti: text('jti').primaryKey(),
    expiresAt: instant('expires_at').notNull(),
  },
  (t) => [index('used_one_time_tokens_expires_at').on(t.expiresAt)],
);
