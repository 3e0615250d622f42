/**
 * Master.csv text → rows of CDR fields, with the line each came from. cdr_csv quotes text
 * fields and doubles embedded quotes (RFC 4180), which csv-parse reads; its browser build is
 * used because it carries its own Buffer and so runs on workerd as on Node. The import command
 * streams files through csv-parse's Node stream and shares `rowFields` with this.
 * @module
 */
import { CsvError, parse } from 'csv-parse/browser/esm/sync';
import { InvalidPayloadError } from '../core/parse';
import { IGNORED_COLUMN, layoutWithColumnCount, type CdrField, type CsvColumn, type CsvColumns } from './columns';
import type { CdrFields } from './fields';

export interface CsvRow {
  /** 1-based line of the file or body the row ends on. */
  line: number;
  values: string[];
}

/** csv-parse options shared by the endpoint and the import: rows may have any width (checked here). */
export const CSV_OPTIONS = { relax_column_count: true, skip_empty_lines: true, bom: true } as const;

export function csvRows(raw: string): CsvRow[] {
  try {
    const records = parse(raw, { ...CSV_OPTIONS, info: true }) as unknown as { record: string[]; info: { lines: number } }[];
    return records.map(({ record, info }) => ({ line: info.lines, values: record }));
  } catch (error) {
    if (error instanceof CsvError) {
      const line = (error as CsvError & { lines?: number }).lines;
      throw new InvalidPayloadError([`${line ? `line ${line}: ` : ''}not valid CSV: ${error.message}`]);
    }
    throw error;
  }
}

export interface LocatedFields {
  fields: CdrFields;
  /** Where the record is, for messages: "line 3", "[2]". */
  at: string;
  locate(field: CdrField): string;
}

/** A row's values under the layout's names; a row of another width is a problem, not a guess. */
export function rowFields(row: CsvRow, columns: readonly CsvColumn[], layout: CsvColumns, problems: string[]): LocatedFields | null {
  if (row.values.length !== columns.length) {
    const name = typeof layout === 'string' ? `csv_columns: ${layout}` : 'the configured csv_columns';
    const other = layoutWithColumnCount(row.values.length);
    const hint = other ? ` (${row.values.length} columns is the "${other}" layout: set sources.asterisk.csv_columns to match cdr_csv.conf)` : '';
    problems.push(`line ${row.line}: expected ${columns.length} columns (${name}), got ${row.values.length}${hint}`);
    return null;
  }
  const fields: CdrFields = {};
  const index = new Map<CdrField, number>();
  columns.forEach((name, i) => {
    if (name === IGNORED_COLUMN) return;
    fields[name] = row.values[i] ?? '';
    index.set(name, i);
  });
  return {
    fields,
    at: `line ${row.line}`,
    locate: (field) => {
      const i = index.get(field);
      return i === undefined ? `line ${row.line} (${field})` : `line ${row.line}, column ${i + 1} (${field})`;
    },
  };
}
