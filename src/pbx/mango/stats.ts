/**
 * Mango Office's call statistics (VPBX API, "statistics of calls"): `POST /vpbx/stats/request`
 * with `{date_from, date_to, fields}` (unix seconds) answers `{key}`; `POST /vpbx/stats/result`
 * with `{key}` answers 204 while the report is being prepared, then the report as CSV text: one
 * line per call of an entry (an IVR, a queue, each employee rung, each transfer), `;`-separated,
 * no header, the columns in the order `fields` asked for. Both requests are form-posted and
 * signed like the notifications: vpbx_api_key, sign = sha256hex(key + json + salt), json.
 * @module
 */
import { CsvError, parse } from 'csv-parse/browser/esm/sync';
import * as z from 'zod';
import { vendorApi } from '../core/vendor-api';
import { mangoSign, type MangoCredentials } from './signature';

export const MANGO_API = 'https://app.mango-office.ru';
export const STATS_FIELDS = [
  'records',
  'start',
  'finish',
  'answer',
  'from_extension',
  'from_number',
  'to_extension',
  'to_number',
  'disconnect_reason',
  'line_number',
  'location',
  'entry_id',
] as const;

const unix = z
  .string()
  .trim()
  .regex(/^\d{1,12}$/, 'expected unix seconds')
  .transform(Number);
const text = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** One line of the report: one call of an entry. */
export const statsRowSchema = z.object({
  /** "[id1,id2]", "[]" or a bare id: the recordings of this call. */
  records: z
    .string()
    .optional()
    .transform((v) =>
      (v ?? '')
        .replace(/^\[|\]$/g, '')
        .split(',')
        .map((id) => id.trim())
        .filter(Boolean),
    ),
  start: unix,
  finish: unix,
  /** 0 (or empty): not answered. */
  answer: z
    .string()
    .optional()
    .transform((v) => v?.trim() || '0')
    .pipe(unix),
  from_extension: text,
  from_number: text,
  to_extension: text,
  to_number: text,
  disconnect_reason: text.pipe(
    z
      .string()
      .regex(/^\d{1,6}$/)
      .transform(Number)
      .optional(),
  ),
  line_number: text,
  location: text,
  entry_id: z.string().trim().min(1, 'is required').max(128),
});

export type StatsRow = z.output<typeof statsRowSchema>;

export interface StatsOptions {
  sleep?: (ms: number) => Promise<void>;
  /** How long the report may take to be prepared before the pull gives up. Default 5 min. */
  maxWaitMs?: number;
}

export interface StatsReport {
  rows: StatsRow[];
  invalid: { line: number; problem: string }[];
}

const http = vendorApi(MANGO_API, 120_000);

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Seconds between asks for the result: quick at first, then every 5 s. */
const BACKOFF_MS = [1000, 2000, 3000, 5000];

async function post(credentials: MangoCredentials, path: string, payload: unknown) {
  const json = JSON.stringify(payload);
  const form = new URLSearchParams({ vpbx_api_key: credentials.key, sign: mangoSign(credentials, json), json });
  const response = await http.post<string>(path, form.toString(), { headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  return { status: response.status, body: typeof response.data === 'string' ? response.data : '' };
}

/** Mango explains a refusal as JSON {result, message}; the code says more than the HTTP status. */
function refusal(what: string, status: number, body: string): Error {
  let detail = body.slice(0, 200) || '(empty body)';
  try {
    const parsed = z.object({ result: z.union([z.number(), z.string()]).optional(), message: z.string().optional() }).parse(JSON.parse(body));
    if (parsed.result !== undefined || parsed.message) detail = `result ${parsed.result ?? '?'}${parsed.message ? `: ${parsed.message}` : ''}`;
  } catch {
    // not JSON: the start of the body is the detail
  }
  const hint = status === 401 || status === 403 ? ' (check MANGO_API_KEY and MANGO_API_SALT)' : '';
  return new Error(`${what}: Mango answered HTTP ${status}${hint}: ${detail}`);
}

/** The report of the calls that started in [from, to] (unix seconds as Mango reads them). */
export async function statsReport(credentials: MangoCredentials, from: number, to: number, options: StatsOptions = {}): Promise<StatsReport> {
  const asked = await post(credentials, '/vpbx/stats/request', {
    date_from: String(from),
    date_to: String(to),
    fields: STATS_FIELDS.join(','),
  });
  const what = `Mango's call statistics (${from} – ${to})`;
  let key: string | undefined;
  try {
    key = z.object({ key: z.string().min(1) }).parse(JSON.parse(asked.body)).key;
  } catch {
    key = undefined;
  }
  if (asked.status !== 200 || !key) throw refusal(`${what}, stats/request`, asked.status, asked.body);

  const sleep = options.sleep ?? wait;
  const maxWait = options.maxWaitMs ?? 300_000;
  for (let waited = 0, n = 0; ; n++) {
    const result = await post(credentials, '/vpbx/stats/result', { key });
    if (result.status === 200 && !/^\s*\{/.test(result.body)) return readReport(result.body);
    if (result.status !== 204) throw refusal(`${what}, stats/result`, result.status, result.body);
    const delay = BACKOFF_MS[Math.min(n, BACKOFF_MS.length - 1)] as number;
    if (waited + delay > maxWait) throw new Error(`${what}: Mango had not prepared the report after ${Math.round(waited / 1000)} s`);
    await sleep(delay);
    waited += delay;
  }
}

export function readReport(csv: string): StatsReport {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(csv, {
      delimiter: ';',
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      bom: true,
      info: true,
    }) as unknown as typeof records;
  } catch (error) {
    if (error instanceof CsvError) throw new Error(`Mango's call statistics are not readable CSV: ${error.message}`);
    throw error;
  }
  const report: StatsReport = { rows: [], invalid: [] };
  for (const { record, info } of records) {
    // A header line, should Mango ever send one.
    if (record[0] === STATS_FIELDS[0] && record[1] === STATS_FIELDS[1]) continue;
    const row = statsRowSchema.safeParse(Object.fromEntries(STATS_FIELDS.map((f, i) => [f, record[i]])));
    if (row.success) report.rows.push(row.data);
    else report.invalid.push({ line: info.lines, problem: row.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
  }
  return report;
}
