/**
 * An in-memory Pipedrive company for msw, written from the API reference
 * (developers.pipedrive.com: CallLogs, Persons v1/v2, persons search v2, "Rate limiting"), so the
 * Pipedrive preset (presets/pipedrive.yaml) can be driven through the generic adapter without a
 * Pipedrive account. It keeps what makes Pipedrive awkward for an exactly-once writer:
 *
 * - the API token, as the `x-api-token` header or the `api_token` query parameter (401 otherwise);
 * - bodies `{success: false, error, error_info, data: null, additional_data: null}` on failure;
 * - `POST /v1/callLogs` requires outcome (one of six), to_phone_number, start_time and end_time in
 *   UTC "YYYY-MM-DD HH:MM:SS" — anything else, an ISO string included, is a 400 and nothing is
 *   written; a person_id that does not exist is a 404;
 * - call logs have **no external id**: a second POST is a second call log, always;
 * - `GET /v1/callLogs` lists only the token user's call logs, `start`/`limit` (limit capped at 50),
 *   with `additional_data.pagination.more_items_in_collection`, and has no date filter;
 * - `POST /v1/callLogs/{id}/recordings` takes multipart `file`; a second upload is 409;
 * - persons search v2: `term` of at least 2 characters (1 with exact_match), `fields=phone`
 *   matches the phone as stored (text, not a normalized number) — whole value with exact_match,
 *   a part of it without;
 * - rate limits per token in a 2-second window (20 on Essential; search 10), 429 with the
 *   x-ratelimit-* headers and no Retry-After; every answer carries the x-ratelimit-* headers.
 * Switches drop an answer after the write (lost answer) or fail a route; `requests` counts them.
 * @module
 */
import { http, HttpResponse } from 'msw';
import { rollingWindow, routeFaults, tallies } from './faults';

export const PIPEDRIVE_API = 'https://api.pipedrive.com';
export const PIPEDRIVE_TOKEN = '3f5e0c1a9b7d2e4f6a8c0b1d3e5f7a9c0b2d4e6f';

const ERROR_INFO = 'Please check developers.pipedrive.com for more information about Pipedrive API.';
const OUTCOMES = new Set(['connected', 'no_answer', 'left_message', 'left_voicemail', 'wrong_number', 'busy']);
const UTC_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

export interface PipedrivePerson {
  id: number;
  name: string;
  phones: { value: string; primary: boolean; label: string }[];
  owner_id: number;
}

export interface PipedriveCallLog {
  id: string;
  user_id: number;
  activity_id: number;
  subject: string | null;
  duration: string | null;
  outcome: string;
  from_phone_number: string | null;
  to_phone_number: string;
  start_time: string;
  end_time: string;
  person_id: number | null;
  org_id: number | null;
  deal_id: number | null;
  lead_id: string | null;
  note: string | null;
  has_recording: boolean;
  company_id: number;
  /** Bytes of the uploaded recording (fake only; Pipedrive serves it through its own URL). */
  recording?: { name: string; type: string; size: number };
}

export interface PipedriveFakeOptions {
  /** Virtual clock in ms (the 2-second windows). */
  now?: () => number;
  token?: string;
  /** The token's user: call logs are created for and listed of this user. */
  userId?: number;
  /** Requests per 2 seconds per token (Essential 20, Advanced 40, Professional 80, Enterprise 120). */
  perTwoSeconds?: number;
  /** Search requests per 2 seconds (10 on every plan). */
  searchPerTwoSeconds?: number;
}

type Route = 'persons.search' | 'persons.create' | 'callLogs.create' | 'callLogs.list' | 'callLogs.get' | 'recordings.upload';

export function pipedriveFake(options: PipedriveFakeOptions = {}) {
  const now = options.now ?? (() => Date.now());
  const token = options.token ?? PIPEDRIVE_TOKEN;
  const userId = options.userId ?? 1;
  const limit = options.perTwoSeconds ?? 20;
  const searchLimit = options.searchPerTwoSeconds ?? 10;
  const persons: PipedrivePerson[] = [];
  const callLogs: PipedriveCallLog[] = [];
  const requests: { route: Route | 'unknown'; method: string; path: string; query: Record<string, string>; body: unknown; status: number }[] = [];
  const all = rollingWindow(limit, 2_000, now);
  const searches = rollingWindow(searchLimit, 2_000, now);
  const faults = routeFaults<Route>();
  let nextPerson = 301;
  let nextActivity = 9001;
  let nextLog = 1;

  const fail = (status: number, message: string) =>
    HttpResponse.json({ success: false, error: message, error_info: ERROR_INFO, data: null, additional_data: null }, { status });
  const notFound = () => fail(404, 'A resource required for this operation was not found.');
  const ok = (data: unknown, extra: Record<string, unknown> = {}, status = 200) => HttpResponse.json({ success: true, data, ...extra }, { status });
  const logId = () => `${(nextLog++).toString(16).padStart(8, '0')}-ca11-4c0d-9e00-pipedrivelog`.slice(0, 36);

  function personV1(p: PipedrivePerson) {
    return {
      id: p.id,
      name: p.name,
      phone: p.phones,
      owner_id: { id: p.owner_id },
      active_flag: true,
      add_time: new Date(now()).toISOString().slice(0, 19).replace('T', ' '),
    };
  }

  function createPerson(name: unknown, phones: unknown): PipedrivePerson | Response {
    if (typeof name !== 'string' || name.trim() === '') return fail(400, 'Name must be given.');
    const list = Array.isArray(phones) ? phones : phones === undefined ? [] : [phones];
    const normalized = list.map((x, i) =>
      typeof x === 'string'
        ? { value: x, primary: i === 0, label: 'work' }
        : {
            value: String((x as { value?: unknown }).value ?? ''),
            primary: Boolean((x as { primary?: unknown }).primary),
            label: String((x as { label?: unknown }).label ?? 'work'),
          },
    );
    const person: PipedrivePerson = { id: nextPerson++, name, phones: normalized, owner_id: userId };
    persons.push(person);
    return person;
  }

  const routes: Record<Route, (ctx: { query: URLSearchParams; body: Record<string, unknown>; form: FormData | null; id: string | undefined }) => Response> = {
    'persons.search': ({ query }) => {
      const term = query.get('term') ?? '';
      const exact = query.get('exact_match') === 'true';
      if (term.length < (exact ? 1 : 2)) return fail(400, `Term must be at least ${exact ? 1 : 2} characters long`);
      const fields = (query.get('fields') ?? 'custom_fields,email,name,notes,phone').split(',');
      if (fields.some((f) => !['custom_fields', 'email', 'name', 'notes', 'phone'].includes(f))) return fail(400, `Invalid field(s): ${fields.join(',')}`);
      const wanted = term.toLowerCase();
      const hit = (text: string) => (exact ? text.toLowerCase() === wanted : text.toLowerCase().includes(wanted));
      const found = persons.filter((p) => (fields.includes('phone') && p.phones.some((x) => hit(x.value))) || (fields.includes('name') && hit(p.name)));
      const max = Math.min(Number(query.get('limit') ?? 100), 500);
      return ok(
        {
          items: found.slice(0, max).map((p) => ({
            result_score: 1,
            item: {
              id: p.id,
              type: 'person',
              name: p.name,
              phones: p.phones.map((x) => x.value),
              emails: [],
              visible_to: 3,
              owner: { id: p.owner_id },
              organization: null,
              custom_fields: [],
              notes: [],
            },
          })),
        },
        { additional_data: { next_cursor: null } },
      );
    },
    'persons.create': ({ body, id }) => {
      // v1 takes `phone` (a list of {value, primary, label} or strings); v2 takes `phones`.
      const person = createPerson(body.name, id === 'v2' ? body.phones : body.phone);
      if (person instanceof Response) return person;
      return id === 'v2' ? ok({ id: person.id, name: person.name, phones: person.phones, owner_id: person.owner_id }) : ok(personV1(person), {}, 201);
    },
    'callLogs.create': ({ body }) => {
      for (const field of ['outcome', 'to_phone_number', 'start_time', 'end_time']) {
        if (body[field] === undefined || body[field] === null || body[field] === '') return fail(400, `${field} is required`);
      }
      if (!OUTCOMES.has(String(body.outcome))) return fail(400, `outcome must be one of: ${[...OUTCOMES].join(', ')}`);
      for (const field of ['start_time', 'end_time']) {
        if (!UTC_TIME.test(String(body[field]))) return fail(400, `${field} must be in the format YYYY-MM-DD HH:MM:SS`);
      }
      if (String(body.end_time) < String(body.start_time)) return fail(400, 'end_time must not be before start_time');
      if (body.user_id !== undefined && body.user_id !== null && Number(body.user_id) !== userId)
        return fail(403, 'You do not have permission to create call logs for other users.');
      const personId = body.person_id === undefined || body.person_id === null || body.person_id === '' ? null : Number(body.person_id);
      if (personId !== null && !persons.some((p) => p.id === personId)) return notFound();
      const log: PipedriveCallLog = {
        id: logId(),
        user_id: userId,
        activity_id: nextActivity++,
        subject: body.subject == null ? null : String(body.subject),
        duration: body.duration == null || body.duration === '' ? null : String(body.duration),
        outcome: String(body.outcome),
        from_phone_number: body.from_phone_number == null ? null : String(body.from_phone_number),
        to_phone_number: String(body.to_phone_number),
        start_time: String(body.start_time),
        end_time: String(body.end_time),
        person_id: personId,
        org_id: null,
        deal_id: body.deal_id == null ? null : Number(body.deal_id),
        lead_id: null,
        note: body.note == null ? null : String(body.note),
        has_recording: false,
        company_id: 7001,
      };
      callLogs.push(log);
      return ok(withoutBytes(log));
    },
    'callLogs.list': ({ query }) => {
      const start = Number(query.get('start') ?? 0);
      const size = Math.min(Number(query.get('limit') ?? 50) || 50, 50);
      const mine = callLogs.filter((l) => l.user_id === userId);
      const page = mine.slice(start, start + size);
      const more = start + size < mine.length;
      return ok(page.map(withoutBytes), {
        additional_data: { pagination: { start, limit: size, more_items_in_collection: more, ...(more ? { next_start: start + size } : {}) } },
      });
    },
    'callLogs.get': ({ id }) => {
      const log = callLogs.find((l) => l.id === id);
      return log ? ok(withoutBytes(log)) : notFound();
    },
    'recordings.upload': ({ form, id }) => {
      const log = callLogs.find((l) => l.id === id);
      if (!log) return notFound();
      const file = form?.get('file');
      if (!file || typeof file === 'string') return fail(400, 'file is required (multipart/form-data field "file")');
      if (log.has_recording) return fail(409, 'A recording for this call already exists');
      log.has_recording = true;
      log.recording = { name: file.name, type: file.type, size: file.size };
      return ok(null);
    },
  };

  function route(method: string, path: string): { route: Route; id?: string } | null {
    if (method === 'GET' && path === '/api/v2/persons/search') return { route: 'persons.search' };
    if (method === 'POST' && path === '/v1/persons') return { route: 'persons.create', id: 'v1' };
    if (method === 'POST' && path === '/api/v2/persons') return { route: 'persons.create', id: 'v2' };
    if (method === 'POST' && path === '/v1/callLogs') return { route: 'callLogs.create' };
    if (method === 'GET' && path === '/v1/callLogs') return { route: 'callLogs.list' };
    const rec = /^\/v1\/callLogs\/([^/]+)\/recordings$/.exec(path);
    if (method === 'POST' && rec) return { route: 'recordings.upload', id: decodeURIComponent(rec[1] as string) };
    const one = /^\/v1\/callLogs\/([^/]+)$/.exec(path);
    if (method === 'GET' && one) return { route: 'callLogs.get', id: decodeURIComponent(one[1] as string) };
    return null;
  }

  /** Rolling 2-second windows per token; a refused request is not counted. */
  function window(isSearch: boolean): { limited: boolean; headers: Record<string, string> } {
    const limited = !all.fits() || (isSearch && !searches.fits());
    if (!limited) {
      all.admit();
      if (isSearch) searches.admit();
    }
    return {
      limited,
      headers: {
        'x-ratelimit-limit': String(limit),
        'x-ratelimit-remaining': String(all.remaining()),
        'x-ratelimit-reset': String(Math.max(1, Math.ceil((all.resetsAt() - now()) / 1000))),
      },
    };
  }

  const handler = http.all(`${PIPEDRIVE_API}/*`, async ({ request }) => {
    const url = new URL(request.url);
    const contentType = request.headers.get('content-type') ?? '';
    let body: Record<string, unknown> = {};
    let form: FormData | null = null;
    if (contentType.startsWith('multipart/form-data')) form = await request.formData();
    else if (request.method !== 'GET') body = ((await request.json().catch(() => null)) as Record<string, unknown> | null) ?? {};
    const record = {
      route: 'unknown' as Route | 'unknown',
      method: request.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: form ?? body,
      status: 0,
    };
    requests.push(record);
    const answer = respond(request, url, body, form, record);
    record.status = answer.status;
    return answer;
  });

  function respond(request: Request, url: URL, body: Record<string, unknown>, form: FormData | null, record: { route: Route | 'unknown' }): Response {
    const given = request.headers.get('x-api-token') ?? url.searchParams.get('api_token');
    if (given !== token)
      return HttpResponse.json(
        { success: false, error: 'unauthorized access', errorCode: 401, error_info: ERROR_INFO, data: null, additional_data: null },
        { status: 401 },
      );
    const found = route(request.method, url.pathname);
    if (!found) return fail(404, 'Unknown method .');
    record.route = found.route;
    const { limited, headers } = window(found.route === 'persons.search');
    const withHeaders = (r: Response) => {
      for (const [k, v] of Object.entries(headers)) r.headers.set(k, v);
      if (request.method === 'POST' || request.method === 'PUT') r.headers.set('x-daily-requests-left', '9999');
      return r;
    };
    if (limited)
      return withHeaders(
        HttpResponse.json(
          { success: false, error: 'Request over limit', errorCode: 429, error_info: ERROR_INFO, data: null, additional_data: null },
          { status: 429 },
        ),
      );
    const failed = faults.failure(found.route);
    if (failed) return withHeaders(failed);
    const answer = faults.deliver(found.route, routes[found.route]({ query: url.searchParams, body, form, id: found.id }));
    return answer.type === 'error' ? answer : withHeaders(answer);
  }

  return {
    handler,
    persons,
    callLogs,
    requests,
    ...tallies<Route>(requests),
    addPerson(name: string, ...phones: string[]): PipedrivePerson {
      const person = createPerson(name, phones);
      if (person instanceof Response) throw new Error('bad person');
      return person;
    },
    /** A call log of another Pipedrive user: the token's user never sees it in GET /v1/callLogs. */
    addCallLogOf(user: number, fields: Partial<PipedriveCallLog> = {}): PipedriveCallLog {
      const log: PipedriveCallLog = {
        id: logId(),
        user_id: user,
        activity_id: nextActivity++,
        subject: null,
        duration: '60',
        outcome: 'connected',
        from_phone_number: null,
        to_phone_number: '+10000000000',
        start_time: '2026-11-20 06:00:00',
        end_time: '2026-11-20 06:01:00',
        person_id: null,
        org_id: null,
        deal_id: null,
        lead_id: null,
        note: null,
        has_recording: false,
        company_id: 7001,
        ...fields,
      };
      callLogs.push(log);
      return log;
    },
    ...faults.controls,
    /** Use up the 2-second window now. */
    exhaust: all.exhaust,
  };
}

function withoutBytes(log: PipedriveCallLog) {
  const { recording: _recording, ...rest } = log;
  return rest;
}

export type PipedriveFake = ReturnType<typeof pipedriveFake>;
