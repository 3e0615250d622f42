/**
 * Twilio's Calls list: `GET /2010-04-01/Accounts/{AccountSid}/Calls.json?StartTime>=…&StartTime<=…
 * &PageSize=1000`, HTTP basic auth AccountSid:AuthToken, the next page at `next_page_uri`. The
 * StartTime filters take dates (UTC), so callers narrow to the instant themselves. During a token
 * rotation (TWILIO_AUTH_TOKEN = "primary,secondary") a 401 with one token is tried with the next.
 * @module
 */
import * as z from 'zod';
import { jsonOrUndefined, vendorApi } from '../core/vendor-api';

export const TWILIO_API = 'https://api.twilio.com';
export const PAGE_SIZE = 1000;

const sid = (prefix: string) => z.string().regex(new RegExp(`^${prefix}[0-9a-fA-F]{32}$`));
const optionalText = z
  .string()
  .nullish()
  .transform((v) => v ?? undefined);

/** The fields of a Call resource the pull reads; Twilio sends many more. */
export const callSchema = z.object({
  sid: sid('CA'),
  parent_call_sid: sid('CA')
    .nullish()
    .transform((v) => v ?? undefined),
  account_sid: sid('AC'),
  from: z
    .string()
    .nullish()
    .transform((v) => v ?? ''),
  to: z
    .string()
    .nullish()
    .transform((v) => v ?? ''),
  status: z.string(),
  direction: z.string(),
  /** Seconds the call was up, as text; empty for calls never answered or still going. */
  duration: z
    .union([z.string(), z.number()])
    .nullish()
    .transform((v) => (v === null || v === undefined || v === '' ? undefined : String(v))),
  /** Who answered, when the call ran answering machine detection ("human", "machine_start", …); else empty. */
  answered_by: optionalText,
  /** RFC 2822 ("Fri, 20 Nov 2026 07:00:05 +0000"). */
  start_time: optionalText,
  end_time: optionalText,
  date_created: optionalText,
  date_updated: optionalText,
});

export type TwilioCall = z.output<typeof callSchema>;

const pageSchema = z.object({
  calls: z.array(z.unknown()),
  next_page_uri: z.string().nullish(),
});

export interface CallsQuery {
  accountSid: string;
  /** Both UTC dates, YYYY-MM-DD, included. */
  startDate: string;
  endDate: string;
}

export interface CallsPage {
  calls: TwilioCall[];
  invalid: { call: unknown; problem: string }[];
}

export interface CallsOptions {
  sleep?: (ms: number) => Promise<void>;
  /** 429s in a row before giving up (waits 1 s, 2 s, 4 s…). */
  maxRateLimited?: number;
}

const http = vendorApi(TWILIO_API, 60_000, { accept: 'application/json' });

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function firstPagePath(query: CallsQuery): string {
  const params = new URLSearchParams([
    ['StartTime>', query.startDate],
    ['StartTime<', query.endDate],
    ['PageSize', String(PAGE_SIZE)],
  ]);
  return `/2010-04-01/Accounts/${query.accountSid}/Calls.json?${params}`;
}

/** Every call of the account that started on those dates, a page at a time. */
export async function* callPages(query: CallsQuery, authTokens: string, options: CallsOptions = {}): AsyncGenerator<CallsPage> {
  const tokens = authTokens
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  let path: string | undefined = firstPagePath(query);
  let tokenIndex = 0;
  for (let n = 1; path; n++) {
    const answer = await getPage(
      path,
      query.accountSid,
      tokens,
      tokenIndex,
      `page ${n} of Twilio's Calls list (${query.startDate} – ${query.endDate})`,
      options,
    );
    tokenIndex = answer.tokenIndex;
    const page: CallsPage = { calls: [], invalid: [] };
    for (const call of answer.calls) {
      const parsed = callSchema.safeParse(call);
      if (parsed.success) page.calls.push(parsed.data);
      else page.invalid.push({ call, problem: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
    }
    yield page;
    path = answer.next;
  }
}

async function getPage(
  path: string,
  accountSid: string,
  tokens: string[],
  firstToken: number,
  what: string,
  options: CallsOptions,
): Promise<{ calls: unknown[]; next: string | undefined; tokenIndex: number }> {
  let tokenIndex = firstToken;
  for (let limited = 0; ; ) {
    const token = tokens[tokenIndex];
    if (token === undefined) throw new Error(`${what}: no TWILIO_AUTH_TOKEN to authenticate with`);
    const response = await http.get<string>(path, { auth: { username: accountSid, password: token } });
    const body = typeof response.data === 'string' ? response.data : '';
    if (response.status === 401 && tokenIndex + 1 < tokens.length) {
      tokenIndex++;
      continue;
    }
    if (response.status === 429 && limited < (options.maxRateLimited ?? 3)) {
      await (options.sleep ?? wait)(1000 * 2 ** limited++);
      continue;
    }
    const data = jsonOrUndefined(body);
    if (response.status !== 200) {
      const message = z.object({ message: z.string() }).safeParse(data);
      const detail = message.success ? message.data.message : body.slice(0, 200) || '(empty body)';
      const hint = response.status === 401 ? ' (check TWILIO_AUTH_TOKEN and the account SID)' : '';
      throw new Error(`${what}: Twilio answered HTTP ${response.status}${hint}: ${detail}`);
    }
    const page = pageSchema.safeParse(data);
    if (!page.success) throw new Error(`${what}: Twilio answered with an unexpected body: ${body.slice(0, 200) || '(empty)'}`);
    const next = page.data.next_page_uri ?? undefined;
    // The next page is a path on the same API; anything else is not followed (credentials go with it).
    if (next !== undefined && !next.startsWith(`/2010-04-01/Accounts/${accountSid}/`)) {
      throw new Error(`${what}: Twilio's next_page_uri is not a Calls page of this account: ${next.slice(0, 200)}`);
    }
    return { calls: page.data.calls, next, tokenIndex };
  }
}
