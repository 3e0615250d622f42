/**
 * Raw SQL for the hot bulk statements. Each takes its rows as one JSON parameter
 * (`json_to_recordset`): the statement text stays constant whatever the row count, building it
 * costs nothing, and PGlite, postgres.js and Hyperdrive all read it the same way.
 * @module
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from './client';

/** Rows of a raw statement; the drivers wrap them differently (postgres.js: array, PGlite: {rows}). */
export async function queryRows<T>(db: Db, query: SQL): Promise<T[]> {
  const result: unknown = await db.execute(query);
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

/** A JSON parameter. Dates become ISO strings, which timestamptz columns of a recordset read exactly. */
export function json(value: unknown): SQL {
  return sql`${JSON.stringify(value)}::json`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `= any(uuidArray(ids))`: an index-usable id list, whatever the driver. (A set-returning function
 * hides its row count from the planner, which then prefers a sequential scan of the table.)
 */
export function uuidArray(ids: readonly string[]): SQL {
  for (const id of ids) if (!UUID.test(id)) throw new Error(`not a uuid: ${id}`);
  return sql`${`{${ids.join(',')}}`}::uuid[]`;
}
