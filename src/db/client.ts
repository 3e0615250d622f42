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
  /**
   * Prepare statements (one round trip per statement instead of two). On for a direct
   * connection; off behind a pooler such as Hyperdrive.
   */
  prepare?: boolean;
  /** The schema unqualified names resolve in (an added account's `acct_<slug>`); default public. */
  searchPath?: string;
  /** Close a connection idle this long (an added account's pool: most accounts are quiet most of the time). */
  idleTimeoutSeconds?: number;
}

export function connectPostgres(url: string, options: PostgresOptions = {}): DbHandle {
  const prepare = options.prepare ?? false;
  const client = postgres(url, {
    max: options.max ?? 10,
    ...(options.idleTimeoutSeconds ? { idle_timeout: options.idleTimeoutSeconds } : {}),
    fetch_types: options.fetchTypes ?? true,
    prepare,
    onnotice: () => {},
    connection: { application_name: 'calltrail', ...(options.searchPath ? { search_path: options.searchPath } : {}) },
  });
  const db = drizzle(prepare ? preparing(client) : client, { schema }) as unknown as Db;
  return { db, kind: 'postgres', close: () => client.end({ timeout: 5 }) };
}

/**
 * drizzle runs every query through `unsafe(text, params, { prepare: false })` unless the query was
 * given a name, and postgres.js then describes each statement before running it: two round trips.
 * The hot statements have constant text, so letting postgres.js prepare (its own default for
 * tagged queries) and cache them halves the round trips. Applies inside transactions and
 * savepoints too, whose clients postgres.js hands to the callback.
 */
function preparing<T extends postgres.Sql>(sql: T): T {
  return new Proxy(sql, {
    get(target, key, receiver) {
      if (key === 'unsafe') {
        return (text: string, params?: unknown[], options?: object) =>
          target.unsafe(text, params as postgres.ParameterOrJSON<never>[], { ...options, prepare: true });
      }
      if (key === 'begin' || key === 'savepoint') {
        return (...args: unknown[]) => {
          const run = args.pop() as (tx: postgres.Sql) => unknown;
          return (Reflect.get(target, key, receiver) as (...a: unknown[]) => unknown).apply(target, [...args, (tx: postgres.Sql) => run(preparing(tx))]);
        };
      }
      return Reflect.get(target, key, receiver);
    },
  });
}
