/**
 * `calltrail keys generate [--kid KID]`: a new line for SECRETS_KEYS.
 * `calltrail keys rotate [--batch N]`: every secret sealed in the database (SEALED_COLUMNS) sealed
 * again with the first key of SECRETS_KEYS, in batches; values stored in clear before sealing
 * existed are sealed too. Rotating a key: put the new key first, keep the old ones after it, run
 * `keys rotate`, then drop the old ones.
 *
 * Also the key of a local (PGlite) deployment without SECRETS_KEYS: a file in DATA_DIR, made on
 * first start, next to the database it seals but never inside it.
 * @module
 */
import { and, asc, eq, getTableName, gt, isNotNull } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Db } from '../../db/client';
import { accounts, appSecrets, crmAccounts } from '../../db/schema';
import { accountSchema } from '../../domain/account';
import { openAccountDatabase } from './database';
import type { AppDeps } from '../../deps';
import { aad, generateKeyLine, isSealed, parseSealKeys, reseal, SealError, type SealKey } from '../../lib/seal';

import { KEYS_USAGE } from './usage';

export { KEYS_USAGE };

export class KeysUsageError extends Error {}

/** A column that holds sealed secrets, each bound to `aad(table, column, id)`. */
export interface SealedColumn {
  table: PgTable;
  id: PgColumn;
  column: PgColumn;
}

/** Every sealed column in the database: add yours here and `keys rotate` re-seals it. */
export const SEALED_COLUMNS: readonly SealedColumn[] = [
  { table: crmAccounts, id: crmAccounts.id, column: crmAccounts.accessToken },
  { table: crmAccounts, id: crmAccounts.id, column: crmAccounts.refreshToken },
  { table: appSecrets, id: appSecrets.name, column: appSecrets.value },
  { table: accounts, id: accounts.slug, column: accounts.variables },
];

/** An added account's own data holds the same sealed columns but the accounts table's. */
const ACCOUNT_SEALED_COLUMNS = SEALED_COLUMNS.filter((c) => c.table !== accounts);

/** Every added account's data (its schema or its PGlite), re-sealed in turn; counts named `<slug>: table.column`. */
async function rotateAccounts(deps: AppDeps, batch: number): Promise<RotateCount[]> {
  const counts: RotateCount[] = [];
  const slugs = await deps.db.select({ slug: accounts.slug }).from(accounts).orderBy(asc(accounts.slug));
  for (const { slug } of slugs) {
    const database = await openAccountDatabase({
      ...(deps.settings.databaseUrl ? { databaseUrl: deps.settings.databaseUrl } : {}),
      dataDir: `${deps.settings.dataDir.replace(/\/+$/, '')}/accounts/${slug}`,
      schema: accountSchema(slug),
    });
    try {
      for (const c of await rotateSealed(database.db, deps.settings.secretsKeys, { batch, columns: ACCOUNT_SEALED_COLUMNS })) {
        counts.push({ ...c, column: `${slug}: ${c.column}` });
      }
    } finally {
      await database.close();
    }
  }
  return counts;
}

export interface RotateCount {
  /** `table.column`. */
  column: string;
  /** Sealed with another key, now with the first. */
  resealed: number;
  /** Stored in clear (before sealing existed), now sealed. */
  sealedFromClear: number;
  /** Already sealed with the first key (or changed meanwhile by a writer that sealed it). */
  current: number;
  /** Rows whose value does not open with any listed key: their ids (never their values). */
  unopened: string[];
}

/** Re-seals every value of SEALED_COLUMNS with keys[0], `batch` rows at a time. */
export async function rotateSealed(
  db: Db,
  keys: readonly SealKey[],
  options: { batch?: number; columns?: readonly SealedColumn[] } = {},
): Promise<RotateCount[]> {
  if (!keys.length) throw new SealError('SECRETS_KEYS is not set: nothing to seal with');
  const counts: RotateCount[] = [];
  for (const sealed of options.columns ?? SEALED_COLUMNS) counts.push(await rotateColumn(db, keys, sealed, options.batch ?? 500));
  return counts;
}

async function rotateColumn(db: Db, keys: readonly SealKey[], sealed: SealedColumn, batch: number): Promise<RotateCount> {
  const table = getTableName(sealed.table);
  const count: RotateCount = { column: `${table}.${sealed.column.name}`, resealed: 0, sealedFromClear: 0, current: 0, unopened: [] };
  let after = '';
  for (;;) {
    const rows = (await db
      .select({ id: sealed.id, value: sealed.column })
      .from(sealed.table)
      .where(and(isNotNull(sealed.column), gt(sealed.id, after)))
      .orderBy(asc(sealed.id))
      .limit(batch)) as { id: string; value: string }[];
    for (const row of rows) await resealRow(db, keys, sealed, aad(table, sealed.column.name, row.id), row, count);
    if (rows.length < batch) return count;
    after = (rows.at(-1) as { id: string }).id;
  }
}

async function resealRow(db: Db, keys: readonly SealKey[], sealed: SealedColumn, place: string, row: { id: string; value: string }, count: RotateCount) {
  let next: string | null;
  try {
    next = await reseal(keys, row.value, place);
  } catch (error) {
    if (!(error instanceof SealError)) throw error;
    count.unopened.push(row.id);
    return;
  }
  if (next === null) {
    count.current++;
    return;
  }
  // Only if nobody wrote the row meanwhile (a token refresh seals with the first key itself).
  const changed = await db
    .update(sealed.table)
    .set({ [columnKey(sealed)]: next })
    .where(and(eq(sealed.id, row.id), eq(sealed.column, row.value)))
    .returning({ id: sealed.id });
  if (!changed.length) count.current++;
  else if (isSealed(row.value)) count.resealed++;
  else count.sealedFromClear++;
}

/** The TypeScript key of a column in its table (what `.set()` takes). */
function columnKey(sealed: SealedColumn): string {
  for (const [key, column] of Object.entries(sealed.table)) if (column === sealed.column) return key;
  throw new Error(`no column ${sealed.column.name} in ${getTableName(sealed.table)}`);
}

type WithDeps = <T>(run: (deps: AppDeps) => Promise<T>) => Promise<T>;

export async function keysCommand(args: string[], withDeps: WithDeps, out: (line: string) => void = console.log): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'generate') {
    const { values } = parse(rest, { kid: { type: 'string' } });
    const kid = values.kid ?? `k${new Date().toISOString().slice(0, 10).replace(/-/g, '')}`;
    if (!/^[A-Za-z0-9_-]{1,16}$/.test(kid)) throw new KeysUsageError('--kid is up to 16 letters, digits, _ or -');
    out(generateKeyLine(kid));
    process.stderr.write('Put it first in SECRETS_KEYS, keep the old keys after it, run `calltrail keys rotate`, then drop the old ones.\n');
    return 0;
  }
  if (sub === 'rotate') {
    const { values } = parse(rest, { batch: { type: 'string' } });
    const batch = Number(values.batch ?? '500');
    if (!Number.isInteger(batch) || batch < 1 || batch > 10_000) throw new KeysUsageError('--batch is a number of rows from 1 to 10000');
    const counts = await withDeps(async (deps) => {
      if (!deps.settings.secretsKeys.length) throw new KeysUsageError('SECRETS_KEYS is not set: nothing to rotate to (`calltrail keys generate`)');
      return [...(await rotateSealed(deps.db, deps.settings.secretsKeys, { batch })), ...(await rotateAccounts(deps, batch))];
    });
    for (const c of counts) {
      out(`${c.column}: ${c.resealed} re-sealed, ${c.sealedFromClear} sealed from clear, ${c.current} already current, ${c.unopened.length} do not open`);
      if (c.unopened.length) out(`  do not open with SECRETS_KEYS (a key missing from the list?): ${c.unopened.join(', ')}`);
    }
    return counts.some((c) => c.unopened.length) ? 1 : 0;
  }
  throw new KeysUsageError('keys needs "generate" or "rotate"');
}

function parse<O extends Record<string, { type: 'string' }>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options });
  } catch (error) {
    throw new KeysUsageError((error as Error).message);
  }
}

/**
 * The key of a local deployment (PGlite, no SECRETS_KEYS): DATA_DIR/secrets.key, made on first
 * start (mode 0600). A copy of the database directory alone opens nothing; a copy of DATA_DIR does.
 */
export function localSealKeys(dataDir: string): SealKey[] {
  const path = join(dataDir, 'secrets.key');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    mkdirSync(dataDir, { recursive: true });
    try {
      writeFileSync(path, `${generateKeyLine('local')}\n`, { mode: 0o600, flag: 'wx' });
      chmodSync(path, 0o600);
    } catch (raced) {
      if ((raced as NodeJS.ErrnoException).code !== 'EEXIST') throw raced;
    }
    text = readFileSync(path, 'utf8');
  }
  const parsed = parseSealKeys(text.trim());
  if ('problem' in parsed) throw new SealError(`${path}: ${parsed.problem}`);
  return parsed.keys;
}
