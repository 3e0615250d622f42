/**
 * The queries the FreePBX poller and the reconciliation's pull run on `asteriskcdrdb.cdr` (MySQL/MariaDB, through mysql2).
 * Read-only; every one is a range on `calldate`, which FreePBX indexes. Dates are read as the
 * table's text (`dateStrings`): they are the PBX's local wall-clock time, and the parser knows
 * the zone — the driver's time-zone conversion would only get in the way.
 * @module
 */
import mysql, { type Pool, type RowDataPacket } from 'mysql2/promise';
import { CDR_COLUMNS, REQUIRED_COLUMNS } from '../../pbx/freepbx/row';
import { minuteStart, nextMinute } from '../../pbx/freepbx/cursor';

export interface CdrTable {
  /** Minute of the oldest row, or null for an empty table. */
  firstMinute(): Promise<string | null>;
  /** Minute of the `n`th row dated at or after `from` (0-based), or null when there are fewer rows. */
  minuteOfRow(from: string, n: number): Promise<string | null>;
  /** Rows per calldate minute in [from, to) — `to` null: no upper bound. */
  minuteCounts(from: string, to: string | null): Promise<[string, number][]>;
  /** Every row of one minute, in a stable order, with the columns this table has. */
  rowsOfMinute(minute: string): Promise<Record<string, unknown>[]>;
  /**
   * Rows with calldate in [from, to) (wall-clock text), in the same stable order, a page at a
   * time. Offset paging: a row written meanwhile shifts the rest by one — read twice (a duplicate
   * in the inbox), never skipped.
   */
  rowsBetween(from: string, to: string, limit: number, offset: number): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/** `db.table` or `table`, each part quoted (the config only allows identifiers). */
function quoteTable(table: string): { sql: string; schema: string | null; name: string } {
  const parts = table.split('.');
  const name = parts.pop() ?? table;
  const schema = parts[0] ?? null;
  return {
    sql: [schema, name]
      .filter((p) => p !== null)
      .map((p) => `\`${p}\``)
      .join('.'),
    schema,
    name,
  };
}

export function openCdrTable(databaseUrl: string, table: string): CdrTable {
  const pool: Pool = mysql.createPool({
    uri: databaseUrl.replace(/^mariadb:/, 'mysql:'),
    dateStrings: true,
    connectionLimit: 2,
    connectTimeout: 10_000,
  });
  const t = quoteTable(table);
  let columns: Promise<string> | undefined;

  const selectList = () =>
    (columns ??= (async () => {
      const [rows] = await pool.query<RowDataPacket[]>(
        'select column_name as name from information_schema.columns where table_schema = coalesce(?, database()) and table_name = ?',
        [t.schema, t.name],
      );
      const present = new Set(rows.map((r) => String(r.name).toLowerCase()));
      if (present.size === 0) throw new Error(`the CDR table ${table} does not exist or this user cannot see it`);
      const missing = REQUIRED_COLUMNS.filter((c) => !present.has(c));
      if (missing.length) throw new Error(`the CDR table ${table} has no column ${missing.join(', ')}`);
      return CDR_COLUMNS.filter((c) => present.has(c))
        .map((c) => `\`${c}\``)
        .join(', ');
    })().catch((error: unknown) => {
      columns = undefined;
      throw error;
    }));

  const rowsBetween = async (from: string, to: string, limit?: number, offset?: number) => {
    const list = await selectList();
    const order = list.includes('`sequence`') ? 'calldate, uniqueid, sequence' : 'calldate, uniqueid';
    const page = limit === undefined ? '' : ' limit ? offset ?';
    const [rows] = await pool.query<RowDataPacket[]>(
      `select ${list} from ${t.sql} where calldate >= ? and calldate < ? order by ${order}${page}`,
      limit === undefined ? [from, to] : [from, to, limit, offset ?? 0],
    );
    // Plain objects, keys in select order: their JSON is the stored body.
    return rows.map((r) => ({ ...r }));
  };

  const MINUTE = "date_format(calldate, '%Y-%m-%d %H:%i')";
  return {
    async firstMinute() {
      const [rows] = await pool.query<RowDataPacket[]>(`select ${MINUTE} as minute from ${t.sql} where calldate > '1000-01-01' order by calldate limit 1`);
      return rows[0] ? String(rows[0].minute) : null;
    },
    async minuteOfRow(from, n) {
      const [rows] = await pool.query<RowDataPacket[]>(`select ${MINUTE} as minute from ${t.sql} where calldate >= ? order by calldate limit 1 offset ?`, [
        minuteStart(from),
        n,
      ]);
      return rows[0] ? String(rows[0].minute) : null;
    },
    async minuteCounts(from, to) {
      const [rows] = await pool.query<RowDataPacket[]>(
        `select ${MINUTE} as minute, count(*) as n from ${t.sql} where calldate >= ?${to ? ' and calldate < ?' : ''} group by minute order by minute`,
        to ? [minuteStart(from), minuteStart(to)] : [minuteStart(from)],
      );
      return rows.map((r) => [String(r.minute), Number(r.n)]);
    },
    rowsOfMinute: (minute) => rowsBetween(minuteStart(minute), minuteStart(nextMinute(minute))),
    rowsBetween,
    close: () => pool.end(),
  };
}
