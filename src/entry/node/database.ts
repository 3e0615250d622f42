/**
 * Node's database: postgres.js when DATABASE_URL is set, else PGlite (embedded PostgreSQL) in
 * DATA_DIR. Migrations are applied here, under a lock, before anything else touches the tables.
 * @module
 */
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { connectPostgres, type Db, type DbHandle } from '../../db/client';
import * as schema from '../../db/schema';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations', import.meta.url));

export interface OpenOptions {
  databaseUrl?: string;
  dataDir: string;
  /** Apply pending migrations (default true). */
  migrate?: boolean;
  poolSize?: number;
}

export async function openDatabase(options: OpenOptions): Promise<DbHandle> {
  if (options.databaseUrl) {
    if (options.migrate !== false) await migratePostgresUrl(options.databaseUrl);
    return connectPostgres(options.databaseUrl, { max: options.poolSize ?? 10 });
  }
  return openPglite(join(options.dataDir, 'pglite'), options.migrate !== false);
}

/** Migrates a server database; a session advisory lock keeps concurrent starts from racing. */
export async function migratePostgresUrl(url: string): Promise<void> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await client`select pg_advisory_lock(hashtext('calltrail:migrations'))`;
    await migratePostgres(drizzlePostgres(client), { migrationsFolder: MIGRATIONS_DIR });
  } finally {
    await client`select pg_advisory_unlock(hashtext('calltrail:migrations'))`.catch(() => {});
    await client.end({ timeout: 5 });
  }
}

/**
 * An added account's data: on PostgreSQL its own schema (acct_<slug>) in the instance's database,
 * created and migrated here; embedded, its own PGlite under DATA_DIR/accounts/<slug>.
 */
export async function openAccountDatabase(options: { databaseUrl?: string; dataDir: string; schema: string; poolSize?: number }): Promise<DbHandle> {
  if (!options.databaseUrl) return openPglite(join(options.dataDir, 'pglite'), true);
  await migratePostgresSchema(options.databaseUrl, options.schema);
  return connectPostgres(options.databaseUrl, { max: options.poolSize ?? 2, searchPath: options.schema, idleTimeoutSeconds: 30 });
}

/**
 * The migrations applied inside one schema: drizzle-kit writes foreign keys as
 * REFERENCES "public"."table", which here must name the schema itself; the schema keeps its own
 * journal of applied migrations.
 */
export async function migratePostgresSchema(url: string, schema: string): Promise<void> {
  const client = postgres(url, { max: 1, onnotice: () => {}, connection: { search_path: schema } });
  const lock = `calltrail:migrations:${schema}`;
  try {
    await client`select pg_advisory_lock(hashtext(${lock}))`;
    await client.unsafe(`create schema if not exists "${schema}"`);
    const migrations = readMigrationFiles({ migrationsFolder: MIGRATIONS_DIR }).map((m) => ({
      ...m,
      sql: m.sql.map((statement) => statement.replaceAll('REFERENCES "public".', `REFERENCES "${schema}".`)),
    }));
    const db = drizzlePostgres(client);
    // What drizzle's migrate() does after reading the files (drizzle-orm/postgres-js/migrator).
    await (db as unknown as { dialect: { migrate(m: unknown, s: unknown, c: unknown): Promise<void> }; session: unknown }).dialect.migrate(
      migrations,
      (db as unknown as { session: unknown }).session,
      { migrationsFolder: MIGRATIONS_DIR, migrationsSchema: schema },
    );
  } finally {
    await client`select pg_advisory_unlock(hashtext(${lock}))`.catch(() => {});
    await client.end({ timeout: 5 });
  }
}

/** Removes an added account's data for good: its schema, or its embedded database and files. */
export async function dropAccountDatabase(options: { databaseUrl?: string; dataDir: string; schema: string }): Promise<void> {
  if (options.databaseUrl) {
    const client = postgres(options.databaseUrl, { max: 1, onnotice: () => {} });
    try {
      await client.unsafe(`drop schema if exists "${options.schema}" cascade`);
    } finally {
      await client.end({ timeout: 5 });
    }
  }
  rmSync(options.dataDir, { recursive: true, force: true });
}

async function openPglite(dir: string, migrate: boolean): Promise<DbHandle> {
  mkdirSync(dir, { recursive: true });
  const release = lockDirectory(dir);
  try {
    const client = await PGlite.create(dir);
    const db = drizzlePglite(client, { schema });
    if (migrate) await migratePglite(db, { migrationsFolder: MIGRATIONS_DIR });
    return {
      db: db as unknown as Db,
      kind: 'pglite',
      close: async () => {
        await client.close();
        release();
      },
    };
  } catch (error) {
    release();
    throw error;
  }
}

/**
 * PGlite is one process's database: a second process opening the same directory would corrupt
 * it. A pid file turns that into a clear start-up error.
 */
function lockDirectory(dir: string): () => void {
  const file = join(dir, 'calltrail.pid');
  try {
    const pid = Number(readFileSync(file, 'utf8'));
    if (pid && pid !== process.pid && isAlive(pid)) {
      throw new Error(`the embedded database in ${dir} is in use by process ${pid}; stop it first, or set DATABASE_URL to share a PostgreSQL server`);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  writeFileSync(file, String(process.pid));
  return () => rmSync(file, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
