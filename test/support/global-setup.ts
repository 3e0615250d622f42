/**
 * Once per test project: build a migrated template database, so each test file gets a fresh,
 * isolated copy in milliseconds instead of re-running migrations.
 * - pglite: a migrated data directory dumped to a tarball, loaded by each file;
 * - postgres: a migrated template database on the server, cloned by CREATE DATABASE … TEMPLATE.
 */
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { MIGRATIONS_DIR, migratePostgresUrl } from '../../src/entry/node/database';
import { databaseUrl, TEST_DATABASE_URL } from './database-url';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
    postgresTemplate: string;
  }
}

export default async function setup(project: TestProject) {
  const kind = project.config.env?.CALLTRAIL_TEST_DB;
  if (kind === 'pglite') {
    const dir = mkdtempSync(join(tmpdir(), 'calltrail-pglite-'));
    const client = await PGlite.create();
    await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_DIR });
    const dump = await client.dumpDataDir('none');
    await client.close();
    const file = join(dir, 'template.tar');
    writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
    project.provide('pgliteTemplate', file);
    return () => rmSync(dir, { recursive: true, force: true });
  }
  if (kind === 'postgres') {
    const name = `calltrail_tpl_${process.pid}_${project.name}`;
    const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
    try {
      await admin`select 1`;
    } catch (error) {
      throw new Error(
        `PostgreSQL is not reachable at ${TEST_DATABASE_URL.replace(/:[^:@/]*@/, ':***@')} (${(error as Error).message}). ` +
          'Start it or set TEST_DATABASE_URL; the suite does not skip the real-database run.',
      );
    }
    await admin.unsafe(`drop database if exists ${name}`);
    await admin.unsafe(`create database ${name}`);
    await migratePostgresUrl(databaseUrl(name));
    // A template must have no connections while it is being cloned.
    await admin.unsafe(`select pg_terminate_backend(pid) from pg_stat_activity where datname = '${name}' and pid <> pg_backend_pid()`);
    project.provide('postgresTemplate', name);
    return async () => {
      const leftovers = await admin<{ datname: string }[]>`
        select datname from pg_database where datname like ${`calltrail_t_${process.pid}_%`} or datname = ${name}`;
      for (const { datname } of leftovers) await admin.unsafe(`drop database if exists ${datname} with (force)`);
      await admin.end();
    };
  }
}
