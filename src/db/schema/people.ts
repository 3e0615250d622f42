/**
 * People and programs that may use calltrail: users (console sign-in with a password), API
 * tokens (bearer, stored only as their SHA-256), and the failed sign-ins that throttle guessing.
 * @module
 */
import { sql } from 'drizzle-orm';
import { bigserial, check, index, integer, pgTable, serial, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { ROLES } from '../../domain/actor';
import { instant, oneOf, timestamps } from './columns';

export const TOKEN_SCOPES = ['admin', 'lookup', 'originate', 'read'] as const;
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
    /** Bumped by a password change or a disable: every session signed with an older one stops working. */
    sessionEpoch: integer('session_epoch').notNull().default(0),
    disabledAt: instant('disabled_at'),
    ...timestamps,
  },
  (t) => [uniqueIndex('users_email').on(t.email), oneOf('users_role', t.role, ROLES), check('users_email_lower', sql`${t.email} = lower(${t.email})`)],
);

export const apiTokens = pgTable(
  'api_tokens',
  {
    id: serial('id').primaryKey(),
    name: text('name').notNull(),
    /** SHA-256 hex of the token; the token itself is shown once, at creation. */
    tokenHash: text('token_hash').notNull(),
    scopes: text('scopes').array().notNull(),
    /** What the token may do with the admin or read scope; null for lookup/originate-only tokens. */
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
