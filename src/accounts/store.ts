/**
 * The accounts table: rows in, rows out, the variables sealed on the way in and opened on the
 * way out (aad `accounts.variables:<slug>`, so a sealed value copied to another account's row
 * does not open). Without SECRETS_KEYS an account can be added, but not with variables.
 * @module
 */
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { accounts } from '../db/schema';
import type { AccountStatus } from '../domain/account';
import { aad, boundSealKeys, seal, unseal } from '../lib/seal';

export type AccountRow = typeof accounts.$inferSelect;

export interface StoredAccount {
  slug: string;
  name: string;
  status: AccountStatus;
  config: Record<string, unknown> | null;
  variables: Record<string, string>;
  createdAt: Date;
  updatedAt: Date;
}

/** The store refused: no keys to seal with, the slug is taken. */
export class AccountStoreError extends Error {
  constructor(
    readonly code: 'no_keys' | 'taken' | 'not_found',
    message: string,
  ) {
    super(message);
  }
}

const place = (slug: string) => aad('accounts', 'variables', slug);

async function sealVariables(db: Db, slug: string, variables: Record<string, string>): Promise<string | null> {
  if (!Object.keys(variables).length) return null;
  const keys = boundSealKeys(db);
  if (!keys.length)
    throw new AccountStoreError(
      'no_keys',
      "SECRETS_KEYS is not set: an account's variables are secrets and are stored only sealed (`calltrail keys generate`)",
    );
  return seal(keys, JSON.stringify(variables), place(slug));
}

export async function openAccount(db: Db, row: AccountRow): Promise<StoredAccount> {
  const variables = row.variables ? (JSON.parse(await unseal(boundSealKeys(db), row.variables, place(row.slug))) as Record<string, string>) : {};
  return {
    slug: row.slug,
    name: row.name,
    status: row.status,
    config: (row.config as Record<string, unknown> | null) ?? null,
    variables,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export async function listAccountRows(db: Db): Promise<AccountRow[]> {
  return db.select().from(accounts).orderBy(accounts.slug);
}

export async function findAccount(db: Db, slug: string): Promise<StoredAccount | null> {
  const [row] = await db.select().from(accounts).where(eq(accounts.slug, slug));
  return row ? openAccount(db, row) : null;
}

export interface NewAccount {
  slug: string;
  name: string;
  config: Record<string, unknown> | null;
  variables: Record<string, string>;
}

export async function insertAccount(db: Db, input: NewAccount): Promise<StoredAccount> {
  const sealed = await sealVariables(db, input.slug, input.variables);
  const [row] = await db
    .insert(accounts)
    .values({ slug: input.slug, name: input.name, config: input.config, variables: sealed })
    .onConflictDoNothing({ target: accounts.slug })
    .returning();
  if (!row) throw new AccountStoreError('taken', `an account ${input.slug} exists already`);
  return openAccount(db, row);
}

export interface AccountChange {
  name?: string;
  status?: AccountStatus;
  config?: Record<string, unknown> | null;
  /** The whole new set of variables. */
  variables?: Record<string, string>;
}

export async function updateAccount(db: Db, slug: string, change: AccountChange): Promise<StoredAccount> {
  const sealed = change.variables === undefined ? undefined : await sealVariables(db, slug, change.variables);
  const [row] = await db
    .update(accounts)
    .set({
      ...(change.name !== undefined ? { name: change.name } : {}),
      ...(change.status !== undefined ? { status: change.status } : {}),
      ...(change.config !== undefined ? { config: change.config } : {}),
      ...(sealed !== undefined ? { variables: sealed } : {}),
      updatedAt: sql`now()`,
    })
    .where(eq(accounts.slug, slug))
    .returning();
  if (!row) throw new AccountStoreError('not_found', `no account ${slug}`);
  return openAccount(db, row);
}

export async function deleteAccountRow(db: Db, slug: string): Promise<boolean> {
  const rows = await db.delete(accounts).where(eq(accounts.slug, slug)).returning({ slug: accounts.slug });
  return rows.length > 0;
}
