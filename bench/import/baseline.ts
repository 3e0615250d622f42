/**
 * The floor under the importer: the same file through a bare `COPY … FROM STDIN (FORMAT csv)`
 * into a plain 21-column text table — PostgreSQL parsing and storing the rows with no inbox, no
 * ledger, no JavaScript per row.
 * @module
 */
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import postgres from 'postgres';
import { CSV_LAYOUTS } from '../../src/pbx/asterisk/columns';

export async function copyBaseline(url: string, file: string): Promise<{ rows: number; seconds: number }> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const columns = CSV_LAYOUTS.full.map((c) => `"${c}" text`).join(', ');
    await sql.unsafe(`create table master_csv (${columns})`);
    const started = performance.now();
    const sink = await sql.unsafe('copy master_csv from stdin with (format csv)').writable();
    await pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), sink);
    const seconds = (performance.now() - started) / 1000;
    const [row] = await sql<{ n: string }[]>`select count(*) as n from master_csv`;
    return { rows: Number(row?.n ?? 0), seconds };
  } finally {
    await sql.end({ timeout: 5 });
  }
}
