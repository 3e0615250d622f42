/**
 * Zadarma's PBX statistics: `GET /v1/statistics/pbx/?start=…&end=…&version=2&call_type=in|out`,
 * signed like every API request (api.ts). At most one month and 1000 lines per request, paged
 * with `skip`/`limit`; the statistics methods allow about 3 requests a minute, so a 429 is waited
 * out (bounded) rather than failed. Times, asked and answered, are wall-clock times in the
 * account's zone, without an offset.
 * @module
 */
import * as z from 'zod';
import { zadarmaGet, type ZadarmaCredentials } from './api';

export const STATISTICS_METHOD = '/v1/statistics/pbx/';
/** Zadarma's maximum (and default) lines per request. */
export const PAGE_LIMIT = 1000;

export type CallType = 'in' | 'out';

/** Ids, extensions and numbers arrive as strings or as JSON numbers; empty counts as absent. */
const text = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((v) => (v === null || v === undefined ? undefined : String(v).trim() || undefined));

const flag = z
  .union([z.boolean(), z.number(), z.string()])
  .nullish()
  .transform((v) => v === true || v === 1 || v === '1' || v === 'true');

/** One line of the statistics (version 2): one leg of a PBX call. */
export const statisticsItemSchema = z.object({
  /** The leg's own id; a recording of the leg is named by it. */
  call_id: text.pipe(z.string({ error: 'is required' })),
  /** Incoming: the caller's number; outgoing: the extension that called. */
  sip: text,
  callstart: z
    .string()
    .trim()
    .regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, 'expected "YYYY-MM-DD HH:MM:SS"'),
  clid: text,
  /** Incoming: the extension (or scenario) it reached; outgoing: the number dialled. */
  destination: text,
  disposition: z.string().trim().min(1),
  seconds: z.union([
    z.number().int().nonnegative(),
    z
      .string()
      .regex(/^\d{1,7}$/)
      .transform(Number),
  ]),
  is_recorded: flag,
  pbx_call_id: z.string().trim().min(1).max(200),
});

export type StatisticsItem = z.output<typeof statisticsItemSchema>;

const answerSchema = z.union([
  z.object({ status: z.literal('success'), stats: z.array(z.unknown()).default([]) }),
  z.object({ status: z.literal('error'), message: z.string().optional() }),
]);

export interface StatisticsRequest {
  /** "YYYY-MM-DD HH:MM:SS" in the account's zone, both ends included. */
  start: string;
  end: string;
  callType: CallType;
}

export interface StatisticsOptions {
  /** Waits between retries of a rate-limited request (tests pass a fake). */
  sleep?: (ms: number) => Promise<void>;
  /** How long to wait after a 429 before asking again; Zadarma allows ~3 statistics requests a minute. */
  rateLimitWaitMs?: number;
  /** 429s in a row before giving up. */
  maxRateLimited?: number;
}

export interface StatisticsPage {
  items: StatisticsItem[];
  /** Lines that are not statistics calltrail can read (reported, skipped). */
  invalid: { line: unknown; problem: string }[];
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * `call_id` is a number like 1439981389.2702773 in Zadarma's examples: as a JSON number it would
 * lose its last digits, and it names the recording file — so it is read as the text it was sent as.
 */
export function parseStatisticsJson(body: string): unknown {
  return JSON.parse(body.replace(/("call_id"\s*:\s*)(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g, '$1"$2"'));
}

/** Every line of the period for one direction, a page (≤ 1000 lines) at a time. */
export async function* statisticsPages(
  credentials: ZadarmaCredentials,
  request: StatisticsRequest,
  options: StatisticsOptions = {},
): AsyncGenerator<StatisticsPage> {
  for (let skip = 0; ; skip += PAGE_LIMIT) {
    const lines = await statisticsPage(credentials, request, skip, options);
    const page: StatisticsPage = { items: [], invalid: [] };
    for (const line of lines) {
      const item = statisticsItemSchema.safeParse(line);
      if (item.success) page.items.push(item.data);
      else page.invalid.push({ line, problem: item.error.issues.map((i) => `${i.path.join('.') || 'line'}: ${i.message}`).join('; ') });
    }
    yield page;
    if (lines.length < PAGE_LIMIT) return;
  }
}

async function statisticsPage(credentials: ZadarmaCredentials, request: StatisticsRequest, skip: number, options: StatisticsOptions): Promise<unknown[]> {
  const params = {
    start: request.start,
    end: request.end,
    version: '2',
    call_type: request.callType,
    skip: String(skip),
    limit: String(PAGE_LIMIT),
  };
  const what = `Zadarma's PBX statistics (${request.callType}, ${request.start} – ${request.end}, skip ${skip})`;
  for (let limited = 0; ; limited++) {
    const response = await zadarmaGet(credentials, STATISTICS_METHOD, params, { timeoutMs: 60_000, parse: parseStatisticsJson });
    if (response.status === 429) {
      if (limited >= (options.maxRateLimited ?? 3)) throw new Error(`${what}: still rate limited (HTTP 429) after ${limited} waits`);
      await (options.sleep ?? wait)(options.rateLimitWaitMs ?? 21_000);
      continue;
    }
    const data = response.data;
    const answer = answerSchema.safeParse(data);
    if (response.status === 401 || response.status === 403) {
      throw new Error(`${what}: Zadarma refused the API key (HTTP ${response.status}); check ZADARMA_API_KEY and ZADARMA_API_SECRET`);
    }
    if (answer.success && answer.data.status === 'error') {
      throw new Error(`${what}: Zadarma answered HTTP ${response.status}: ${answer.data.message ?? 'error'}`);
    }
    if (response.status !== 200 || !answer.success || answer.data.status !== 'success') {
      throw new Error(`${what}: Zadarma answered HTTP ${response.status} with an unexpected body: ${response.text || '(empty)'}`);
    }
    return answer.data.stats;
  }
}
