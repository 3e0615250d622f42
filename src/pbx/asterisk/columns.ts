/**
 * The column layouts of Asterisk's Master.csv (cdr_csv). Which columns a file has depends on
 * cdr_csv.conf — `loguniqueid`, `loguserfield`, `newcdrcolumns` — and nothing in the file says
 * which, so the layout is configured per source (`sources.asterisk.csv_columns`). A cdr_custom
 * template can write any columns: list their names instead of a layout name.
 * @module
 */
import * as z from 'zod';

/** The CDR fields calltrail reads, by their Asterisk names (cdr_custom: `${CDR(name)}`). */
export const CDR_FIELDS = [
  'accountcode',
  'src',
  'dst',
  'dcontext',
  'clid',
  'channel',
  'dstchannel',
  'lastapp',
  'lastdata',
  'start',
  'answer',
  'end',
  'duration',
  'billsec',
  'disposition',
  'amaflags',
  'uniqueid',
  'userfield',
  'peeraccount',
  'linkedid',
  'sequence',
  // Not in Master.csv, but FreePBX sets them and cdr_custom can write them.
  'recordingfile',
  'did',
] as const;

export type CdrField = (typeof CDR_FIELDS)[number];

/** A column calltrail does not read (cdr_custom files with extra columns). */
export const IGNORED_COLUMN = '-';

const BASE: readonly CdrField[] = CDR_FIELDS.slice(0, 16);

export const CSV_LAYOUTS = {
  /** cdr_csv.conf defaults: 16 columns, no ids — every row is a conversation of its own. */
  default: BASE,
  /** loguniqueid=yes */
  uniqueid: [...BASE, 'uniqueid'],
  /** loguniqueid=yes, loguserfield=yes */
  uniqueid_userfield: [...BASE, 'uniqueid', 'userfield'],
  /** loguniqueid, loguserfield and newcdrcolumns: what calltrail needs to join transfers. */
  full: [...BASE, 'uniqueid', 'userfield', 'peeraccount', 'linkedid', 'sequence'],
} as const satisfies Record<string, readonly CdrField[]>;

export type LayoutName = keyof typeof CSV_LAYOUTS;
export type CsvColumn = CdrField | typeof IGNORED_COLUMN;

/** Without these a row cannot become a leg. */
const REQUIRED: readonly CdrField[] = ['start', 'end', 'disposition'];

const column = z.enum([...CDR_FIELDS, IGNORED_COLUMN], {
  error: (issue) => `expected a CDR field name (${CDR_FIELDS.join(', ')}) or "${IGNORED_COLUMN}" to skip a column, got ${JSON.stringify(issue.input)}`,
});

export const csvColumnsSchema = z
  .union([z.enum(Object.keys(CSV_LAYOUTS) as [LayoutName, ...LayoutName[]]), z.array(column).min(1).max(64)], {
    error: `expected one of ${Object.keys(CSV_LAYOUTS).join(', ')} or a list of column names`,
  })
  .superRefine((value, ctx) => {
    if (typeof value === 'string') return;
    const missing = REQUIRED.filter((f) => !value.includes(f));
    if (missing.length) ctx.addIssue({ code: 'custom', message: `a column list needs ${missing.join(', ')}` });
    const seen = new Set<string>();
    for (const name of value) {
      if (name !== IGNORED_COLUMN && seen.has(name)) ctx.addIssue({ code: 'custom', message: `column "${name}" is listed twice` });
      seen.add(name);
    }
  })
  .describe('Master.csv columns: default | uniqueid | uniqueid_userfield | full, or the names of a cdr_custom file’s columns');

export type CsvColumns = z.output<typeof csvColumnsSchema>;

export function layoutColumns(columns: CsvColumns): readonly CsvColumn[] {
  return typeof columns === 'string' ? CSV_LAYOUTS[columns] : columns;
}

/** A layout's name from the number of columns a file has, to suggest the right setting. */
export function layoutWithColumnCount(count: number): LayoutName | undefined {
  return (Object.keys(CSV_LAYOUTS) as LayoutName[]).find((name) => CSV_LAYOUTS[name].length === count);
}

/** `--columns full` or `--columns src,dst,…` (the import command), as the config reads it. */
export function parseColumnsOption(text: string): CsvColumns {
  const value = text in CSV_LAYOUTS ? text : text.split(',').map((c) => c.trim());
  const parsed = csvColumnsSchema.safeParse(value);
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => i.message).join('; '));
  return parsed.data;
}

/** The inverse of parseColumnsOption, for an inbox body's meta. */
export function formatColumnsOption(columns: CsvColumns): string {
  return typeof columns === 'string' ? columns : columns.join(',');
}
