/**
 * The database handle every service receives. Two drivers produce it: postgres.js (a real
 * PostgreSQL server, directly or through Hyperdrive) and PGlite (embedded, Node only, see
 * entry/node/database.ts). Both are drizzle PgDatabase instances over the same schema.
 * @module
 */
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export interface DbHandle {
  db: Db;
  kind: 'postgres' | 'pglite';
  close(): Promise<void>;
}

export interface PostgresOptions {
  /** Pool size. Workers: small and per request; Node: a handful. */
  max?: number;
  /** Hyperdrive pools for us and runs in transaction mode; skip the type round trip there. */
  fetchTypes?: boolean;
  /** Node's postgres.js may use prepared statements; leave them off behind poolers. */
  prepare?: boolean;
}

export function connectPostgres(url: string, options: PostgresOptions = {}): DbHandle {
  const client = postgres(url, {
    max: options.max ?? 10,
    fetch_types: options.fetchTypes ?? true,
    prepare: options.prepare ?? true,
    onnotice: () => {},
    connection: { application_name: 'calltrail' },
  });
  const db = drizzle(client, { schema }) as unknown as Db;
  return { db, kind: 'postgres', close: () => client.end({ timeout: 5 }) };
}
