/**
 * An in-memory HubSpot account for msw, written from the CRM API v3 documentation
 * (developers.hubspot.com: the calls engagement guide, CRM search, API usage limits), so the
 * HubSpot preset (presets/hubspot.yaml) can be driven through the generic adapter without a
 * HubSpot account. It keeps the parts that make HubSpot unfriendly to an exactly-once writer:
 *
 * - a private-app token checked on every request (401 with the documented error body);
 * - error bodies `{status: "error", message, correlationId, category}`; validation errors for a
 *   missing hs_timestamp, an unknown property, a bad enum value, a non-HTTPS recording URL and an
 *   association to a record that does not exist — all 400 VALIDATION_ERROR, nothing written;
 * - the 10-second rolling limit (100 per private app by default) and the separate search limit
 *   (5 requests a second), both 429 with the documented RATE_LIMIT body and no Retry-After;
 * - search quirks: at most 5 filter groups, 6 filters a group, 18 in all, `limit` ≤ 200, paging
 *   by an opaque `after` string that ends at 10,000 results, and — optionally — an index lag
 *   (`indexLagMs`): an object written less than that long ago is not found by search yet;
 * - every property value comes back as a string (hs_call_duration "65000"), ids are strings.
 *
 * Calls carry no unique property unless `uniqueCallProperty` names one: whether HubSpot lets a
 * custom Calls property be "unique" is not documented for engagements, so by default a second
 * create with the same calltrail_uniq is simply a second call — what real HubSpot most likely does.
 * Switches drop an answer after the write (lost answer) or fail a route; `requests` counts them.
 * @module
 */
import { http, HttpResponse } from 'msw';
import { rollingWindow, routeFaults, tallies } from './faults';

export const HUBSPOT_API = 'https://api.hubapi.com';
export const HUBSPOT_TOKEN = 'pat-na1-7c0ffee0-0000-4000-8000-calltrail0001';

export interface HubSpotRecord {
  id: string;
  properties: Record<string, string | null>;
  createdAt: number;
  updatedAt: number;
  /** Contact ids this call is associated with (association type 194, call → contact). */
  contactIds: string[];
}

export interface HubSpotFakeOptions {
  /** Virtual clock in ms (rate windows, timestamps, index lag). */
  now?: () => number;
  token?: string;
  /** Requests per rolling 10 seconds: 100 for a private app on Free/Starter, 190 on Professional/Enterprise. */
  tenSecondLimit?: number;
  /** Search requests per second (all search endpoints together). */
  searchPerSecond?: number;
  /** Custom call properties that exist in the account (calltrail_uniq is what the preset needs). */
  customCallProperties?: string[];
  /** A call property that refuses a second record with the same value (409), if any. */
  uniqueCallProperty?: string;
  /** How long a written object stays invisible to search. */
  indexLagMs?: number;
}

const CONTACT_PROPERTIES = new Set(['firstname', 'lastname', 'phone', 'mobilephone', 'email', 'company', 'hubspot_owner_id']);
const CALL_PROPERTIES = new Set([
  'hs_timestamp',
  'hs_call_body',
  'hs_call_callee_object_id',
  'hs_call_callee_object_type',
  'hs_call_direction',
  'hs_call_disposition',
  'hs_call_duration',
  'hs_call_from_number',
  'hs_call_recording_url',
  'hs_call_status',
  'hs_call_title',
  'hs_call_to_number',
  'hubspot_owner_id',
]);
const READ_ONLY = new Set(['hs_object_id', 'hs_createdate', 'hs_lastmodifieddate', 'createdate', 'lastmodifieddate']);
const DATE_PROPERTIES = new Set(['hs_timestamp', 'hs_createdate', 'hs_lastmodifieddate', 'createdate', 'lastmodifieddate']);
const CALL_STATUSES = new Set(['BUSY', 'CALLING_CRM_USER', 'CANCELED', 'COMPLETED', 'CONNECTING', 'FAILED', 'IN_PROGRESS', 'NO_ANSWER', 'QUEUED', 'RINGING']);
const OPERATORS = new Set([
  'EQ',
  'NEQ',
  'LT',
  'LTE',
  'GT',
  'GTE',
  'BETWEEN',
  'IN',
  'NOT_IN',
  'HAS_PROPERTY',
  'NOT_HAS_PROPERTY',
  'CONTAINS_TOKEN',
  'NOT_CONTAINS_TOKEN',
]);

interface Filter {
  propertyName?: unknown;
  operator?: unknown;
  value?: unknown;
  highValue?: unknown;
  values?: unknown;
}

type Route = 'contacts.search' | 'contacts.create' | 'calls.create' | 'calls.update' | 'calls.search';

export function hubspotFake(options: HubSpotFakeOptions = {}) {
  const now = options.now ?? (() => Date.now());
  const token = options.token ?? HUBSPOT_TOKEN;
  const tenSecondLimit = options.tenSecondLimit ?? 100;
  const searchPerSecond = options.searchPerSecond ?? 5;
  const customCall = new Set(options.customCallProperties ?? ['calltrail_uniq']);
  const indexLagMs = options.indexLagMs ?? 0;
  const contacts: HubSpotRecord[] = [];
  const calls: HubSpotRecord[] = [];
  const requests: { route: Route | 'unknown'; method: string; path: string; body: unknown; status: number }[] = [];
  const all = rollingWindow(tenSecondLimit, 10_000, now);
  const searches = rollingWindow(searchPerSecond, 1_000, now);
  const faults = routeFaults<Route>();
  let nextId = 51_001;
  let correlation = 0;

  const correlationId = () => `c0rre1a7-0000-4000-8000-${String(++correlation).padStart(12, '0')}`;
  const error = (status: number, category: string, message: string, extra: Record<string, unknown> = {}) =>
    HttpResponse.json({ status: 'error', message, correlationId: correlationId(), category, ...extra }, { status });
  const iso = (ms: number) => new Date(ms).toISOString();

  function toMs(value: unknown): number | null {
    if (typeof value === 'number') return value;
    if (typeof value !== 'string' || value === '') return null;
    if (/^\d+$/.test(value)) return Number(value);
    const at = Date.parse(value);
    return Number.isNaN(at) ? null : at;
  }

  /** The properties of a write, or a 400 naming what is wrong (HubSpot checks all before writing). */
  function checkProperties(input: unknown, known: (name: string) => boolean): Record<string, string | null> | Response {
    if (!input || typeof input !== 'object' || Array.isArray(input))
      return error(400, 'VALIDATION_ERROR', 'Invalid input JSON on line 1: "properties" must be an object');
    const out: Record<string, string | null> = {};
    const invalid: { isValid: false; message: string; error: string; name: string }[] = [];
    for (const [name, value] of Object.entries(input)) {
      if (READ_ONLY.has(name))
        invalid.push({ isValid: false, message: `"${name}" is a read only property; its value cannot be set.`, error: 'READ_ONLY_VALUE', name });
      else if (!known(name)) invalid.push({ isValid: false, message: `Property "${name}" does not exist`, error: 'PROPERTY_DOESNT_EXIST', name });
      else if (value !== null && typeof value === 'object')
        invalid.push({ isValid: false, message: `${JSON.stringify(value)} is not a valid value for ${name}`, error: 'INVALID_OPTION', name });
      else out[name] = value === null || value === '' ? null : String(value);
    }
    if (invalid.length) return propertyErrors(invalid);
    return out;
  }

  function propertyErrors(invalid: { isValid: false; message: string; error: string; name: string }[]) {
    return error(400, 'VALIDATION_ERROR', `Property values were not valid: ${JSON.stringify(invalid)}`, {
      errors: invalid.map((i) => ({ message: i.message, code: i.error, context: { propertyName: [i.name] } })),
    });
  }

  function checkCall(p: Record<string, string | null>): Response | null {
    const invalid: { isValid: false; message: string; error: string; name: string }[] = [];
    const bad = (name: string, message: string, code = 'INVALID_OPTION') => invalid.push({ isValid: false, message, error: code, name });
    if ('hs_timestamp' in p && toMs(p.hs_timestamp) === null) bad('hs_timestamp', `${p.hs_timestamp} was not a valid long or ISO 8601 date`, 'INVALID_DATE');
    if (p.hs_call_direction != null && !['INBOUND', 'OUTBOUND'].includes(p.hs_call_direction))
      bad('hs_call_direction', `${p.hs_call_direction} was not one of the allowed options: [INBOUND, OUTBOUND]`);
    if (p.hs_call_status != null && !CALL_STATUSES.has(p.hs_call_status)) bad('hs_call_status', `${p.hs_call_status} was not one of the allowed options`);
    if (p.hs_call_duration != null && !/^\d+$/.test(p.hs_call_duration))
      bad('hs_call_duration', `${p.hs_call_duration} was not a valid number`, 'INVALID_INTEGER');
    if (p.hs_call_recording_url != null && !/^https:\/\//.test(p.hs_call_recording_url))
      bad('hs_call_recording_url', 'Only HTTPS, secure URLs are accepted', 'INVALID_URL');
    return invalid.length ? propertyErrors(invalid) : null;
  }

  function view(record: HubSpotRecord, wanted: string[] | null, defaults: string[]) {
    const names = wanted ?? defaults;
    const properties: Record<string, string | null> = {};
    for (const name of new Set([...names, 'hs_object_id', 'hs_createdate', 'hs_lastmodifieddate'])) properties[name] = record.properties[name] ?? null;
    return { id: record.id, properties, createdAt: iso(record.createdAt), updatedAt: iso(record.updatedAt), archived: false };
  }

  function stamp(record: HubSpotRecord) {
    record.properties.hs_object_id = record.id;
    record.properties.hs_createdate = iso(record.createdAt);
    record.properties.hs_lastmodifieddate = iso(record.updatedAt);
    record.properties.createdate = iso(record.createdAt);
    record.properties.lastmodifieddate = iso(record.updatedAt);
  }

  function matches(record: HubSpotRecord, f: Filter): boolean {
    const name = String(f.propertyName);
    const have = record.properties[name] ?? null;
    const op = String(f.operator);
    if (op === 'HAS_PROPERTY') return have !== null;
    if (op === 'NOT_HAS_PROPERTY') return have === null;
    if (have === null) return op === 'NEQ' || op === 'NOT_IN';
    const date = DATE_PROPERTIES.has(name);
    const num = (v: unknown) => (date ? toMs(v) : Number(v));
    const eq = (v: unknown) => (date ? toMs(v) === toMs(have) : String(v).toLowerCase() === have.toLowerCase());
    switch (op) {
      case 'EQ':
        return eq(f.value);
      case 'NEQ':
        return !eq(f.value);
      case 'IN':
        return Array.isArray(f.values) && f.values.some(eq);
      case 'NOT_IN':
        return Array.isArray(f.values) && !f.values.some(eq);
      case 'CONTAINS_TOKEN':
        return have.toLowerCase().includes(String(f.value).replace(/\*/g, '').toLowerCase());
      case 'NOT_CONTAINS_TOKEN':
        return !have.toLowerCase().includes(String(f.value).replace(/\*/g, '').toLowerCase());
      case 'BETWEEN': {
        const x = num(have) as number;
        return x >= (num(f.value) as number) && x <= (num(f.highValue) as number);
      }
      default: {
        const x = num(have) as number;
        const y = num(f.value) as number;
        return op === 'LT' ? x < y : op === 'LTE' ? x <= y : op === 'GT' ? x > y : x >= y;
      }
    }
  }

  function search(store: HubSpotRecord[], body: Record<string, unknown>, known: (name: string) => boolean, defaults: string[]): Response {
    const groups = Array.isArray(body.filterGroups) ? (body.filterGroups as { filters?: Filter[] }[]) : [];
    const total = groups.reduce((n, g) => n + (g.filters?.length ?? 0), 0);
    if (groups.length > 5 || groups.some((g) => (g.filters?.length ?? 0) > 6) || total > 18) {
      return error(400, 'VALIDATION_ERROR', 'Invalid search: at most 5 filterGroups with at most 6 filters each, and at most 18 filters in all');
    }
    for (const f of groups.flatMap((g) => g.filters ?? [])) {
      if (!OPERATORS.has(String(f.operator))) return error(400, 'VALIDATION_ERROR', `Unknown operator ${String(f.operator)}`);
      if (!known(String(f.propertyName)))
        return error(400, 'VALIDATION_ERROR', `There was a problem with the request. Property "${String(f.propertyName)}" does not exist`);
      if (f.operator === 'BETWEEN' && (f.value === undefined || f.highValue === undefined))
        return error(400, 'VALIDATION_ERROR', 'BETWEEN needs value and highValue');
    }
    const limit = body.limit === undefined ? 10 : Number(body.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 200) return error(400, 'VALIDATION_ERROR', 'limit must be between 1 and 200');
    const after = body.after === undefined || body.after === null || body.after === '' ? 0 : Number(body.after);
    if (!Number.isInteger(after) || after < 0) return error(400, 'VALIDATION_ERROR', `Invalid after: ${String(body.after)}`);
    if (after + limit > 10_000) return error(400, 'VALIDATION_ERROR', 'Search results are limited to 10,000 records; narrow the filters');
    const visible = store.filter((r) => r.updatedAt + indexLagMs <= now());
    let hits = groups.length === 0 ? visible : visible.filter((r) => groups.some((g) => (g.filters ?? []).every((f) => matches(r, f))));
    const sorts = Array.isArray(body.sorts) ? (body.sorts as ({ propertyName: string; direction?: string } | string)[]) : [];
    const sort = sorts[0];
    const sortName = typeof sort === 'string' ? sort.replace(/^-/, '') : (sort?.propertyName ?? 'hs_object_id');
    const desc = typeof sort === 'string' ? sort.startsWith('-') : sort?.direction === 'DESCENDING';
    const key = (r: HubSpotRecord) => (sortName === 'hs_object_id' ? Number(r.id) : (toMs(r.properties[sortName]) ?? 0));
    hits = [...hits].sort((a, b) => (key(a) - key(b)) * (desc ? -1 : 1));
    const page = hits.slice(after, after + limit);
    const wanted = Array.isArray(body.properties) ? (body.properties as string[]) : null;
    const more = after + limit < hits.length;
    return HttpResponse.json({
      total: hits.length,
      results: page.map((r) => view(r, wanted, defaults)),
      ...(more ? { paging: { next: { after: String(after + limit), link: `${HUBSPOT_API}/crm/v3/objects?after=${after + limit}` } } } : {}),
    });
  }

  const routes: Record<Route, (body: Record<string, unknown>, id?: string) => Response> = {
    'contacts.search': (body) =>
      search(contacts, body, (n) => CONTACT_PROPERTIES.has(n) || READ_ONLY.has(n), ['firstname', 'lastname', 'email', 'createdate', 'lastmodifieddate']),
    'contacts.create': (body) => {
      const props = checkProperties(body.properties, (n) => CONTACT_PROPERTIES.has(n));
      if (props instanceof Response) return props;
      const t = now();
      const contact: HubSpotRecord = { id: String(nextId++), properties: props, createdAt: t, updatedAt: t, contactIds: [] };
      stamp(contact);
      contacts.push(contact);
      return HttpResponse.json(view(contact, Object.keys(props), []), { status: 201 });
    },
    'calls.create': (body) => {
      const props = checkProperties(body.properties, (n) => CALL_PROPERTIES.has(n) || customCall.has(n));
      if (props instanceof Response) return props;
      if (props.hs_timestamp == null)
        return propertyErrors([{ isValid: false, message: 'hs_timestamp is required', error: 'REQUIRED_PROPERTY', name: 'hs_timestamp' }]);
      const invalid = checkCall(props);
      if (invalid) return invalid;
      const contactIds: string[] = [];
      for (const a of Array.isArray(body.associations)
        ? (body.associations as { to?: { id?: unknown }; types?: { associationCategory?: string; associationTypeId?: number }[] }[])
        : []) {
        const to = String(a.to?.id ?? '');
        const type = a.types?.[0];
        if (type?.associationCategory !== 'HUBSPOT_DEFINED' || type.associationTypeId !== 194) {
          return error(400, 'VALIDATION_ERROR', `association type ${JSON.stringify(a.types)} is not valid from calls to contacts`);
        }
        if (!contacts.some((c) => c.id === to))
          return error(400, 'VALIDATION_ERROR', `One or more associations are invalid: contact ${to} was not found`, {
            subCategory: 'crm.associations.INVALID_OBJECT_IDS',
          });
        contactIds.push(to);
      }
      const unique = options.uniqueCallProperty;
      if (unique && props[unique] != null) {
        const clash = calls.find((c) => c.properties[unique] === props[unique]);
        if (clash) return error(409, 'CONFLICT', `A call with ${unique} ${props[unique]} already exists; existing ID: ${clash.id}`);
      }
      const ts = toMs(props.hs_timestamp) as number;
      props.hs_timestamp = iso(ts);
      const t = now();
      const call: HubSpotRecord = { id: String(nextId++), properties: props, createdAt: t, updatedAt: t, contactIds };
      stamp(call);
      calls.push(call);
      return HttpResponse.json(view(call, Object.keys(props), []), { status: 201 });
    },
    'calls.update': (body, id) => {
      const call = calls.find((c) => c.id === id);
      if (!call) return error(404, 'OBJECT_NOT_FOUND', 'resource not found');
      const props = checkProperties(body.properties, (n) => CALL_PROPERTIES.has(n) || customCall.has(n));
      if (props instanceof Response) return props;
      const invalid = checkCall(props);
      if (invalid) return invalid;
      Object.assign(call.properties, props);
      call.updatedAt = now();
      stamp(call);
      return HttpResponse.json(view(call, Object.keys(props), []));
    },
    'calls.search': (body) =>
      search(calls, body, (n) => CALL_PROPERTIES.has(n) || customCall.has(n) || READ_ONLY.has(n), ['hs_timestamp', 'hs_createdate', 'hs_lastmodifieddate']),
  };

  function route(method: string, path: string): { route: Route; id?: string } | null {
    if (method === 'POST' && path === '/crm/v3/objects/contacts/search') return { route: 'contacts.search' };
    if (method === 'POST' && path === '/crm/v3/objects/contacts') return { route: 'contacts.create' };
    if (method === 'POST' && path === '/crm/v3/objects/calls/search') return { route: 'calls.search' };
    if (method === 'POST' && path === '/crm/v3/objects/calls') return { route: 'calls.create' };
    const m = /^\/crm\/v3\/objects\/calls\/(\d+)$/.exec(path);
    if (method === 'PATCH' && m) return { route: 'calls.update', id: m[1] };
    return null;
  }

  /** The rolling windows; a request over either limit is refused and not counted. */
  function throttled(isSearch: boolean): Response | null {
    const body = (message: string, policyName: string) =>
      HttpResponse.json(
        { status: 'error', message, errorType: 'RATE_LIMIT', correlationId: correlationId(), policyName, requestId: `req-${correlation}` },
        { status: 429 },
      );
    if (!all.fits()) return body('You have reached your ten_secondly_rolling limit.', 'TEN_SECONDLY_ROLLING');
    if (isSearch && !searches.fits()) return body('You have reached your secondly limit.', 'SECONDLY');
    all.admit();
    if (isSearch) searches.admit();
    return null;
  }

  const handler = http.all(`${HUBSPOT_API}/*`, async ({ request }) => {
    const url = new URL(request.url);
    const body = (await request.json().catch(() => null)) as Record<string, unknown> | null;
    const record = { route: 'unknown' as Route | 'unknown', method: request.method, path: url.pathname, body, status: 0 };
    requests.push(record);
    const answer = await respond(request, url, body, record);
    record.status = answer.status;
    return answer;
  });

  async function respond(request: Request, url: URL, body: Record<string, unknown> | null, record: { route: Route | 'unknown' }): Promise<Response> {
    if (request.headers.get('authorization') !== `Bearer ${token}`) {
      return error(
        401,
        'INVALID_AUTHENTICATION',
        'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
      );
    }
    const found = route(request.method, url.pathname);
    if (!found) return error(404, 'OBJECT_NOT_FOUND', `No route for ${request.method} ${url.pathname}`);
    record.route = found.route;
    const limited = throttled(found.route.endsWith('.search'));
    if (limited) return limited;
    if (body === null && request.method !== 'GET') return error(400, 'VALIDATION_ERROR', 'Invalid input JSON on line 1, column 1: no content to map');
    const failed = faults.failure(found.route);
    if (failed) return failed;
    const answer = faults.deliver(found.route, routes[found.route](body ?? {}, found.id));
    if (answer.type !== 'error' && !found.route.endsWith('.search')) {
      answer.headers.set('X-HubSpot-RateLimit-Interval-Milliseconds', '10000');
      answer.headers.set('X-HubSpot-RateLimit-Max', String(tenSecondLimit));
      answer.headers.set('X-HubSpot-RateLimit-Remaining', String(all.remaining()));
    }
    return answer;
  }

  return {
    handler,
    contacts,
    calls,
    requests,
    ...tallies<Route>(requests),
    addContact(properties: Record<string, string>): HubSpotRecord {
      const t = now() - indexLagMs;
      const contact: HubSpotRecord = { id: String(nextId++), properties: { ...properties }, createdAt: t, updatedAt: t, contactIds: [] };
      stamp(contact);
      contacts.push(contact);
      return contact;
    },
    /** A call logged by someone else (a rep, another integration), already indexed. */
    addCall(properties: Record<string, string>, at = now()): HubSpotRecord {
      const t = Math.min(at, now() - indexLagMs);
      const call: HubSpotRecord = { id: String(nextId++), properties: { ...properties }, createdAt: t, updatedAt: t, contactIds: [] };
      stamp(call);
      calls.push(call);
      return call;
    },
    ...faults.controls,
    /** Use up the 10-second window now: the next requests get 429 until it rolls on. */
    exhaust: all.exhaust,
  };
}

export type HubSpotFake = ReturnType<typeof hubspotFake>;
