/**
 * An in-memory Bitrix24 portal for msw, written from the REST documentation
 * (apidocs.bitrix24.com / bitrix24/b24restdocs): inbound webhook auth in the path, the telephony
 * methods calltrail uses, the statistics listing and the CRM search — including the unfriendly
 * parts: QUERY_LIMIT_EXCEEDED (503) from a leaky bucket (50 in reserve, 2 a second), error
 * bodies `{error, error_description}` (also with a 200, as some portals answer), re-registration
 * within 30 minutes answering the same CALL_ID, finish of an unknown call refused, attachRecord
 * before finish refused, and switches that drop an answer after the portal acted (lost answer)
 * or fail a method with a status.
 * @module
 */
import { http, HttpResponse } from 'msw';
import { routeFaults } from './faults';

export const BITRIX24_PORTAL = 'https://calltrail-test.bitrix24.ru';
export const BITRIX24_WEBHOOK = `${BITRIX24_PORTAL}/rest/1/k3yw3bh00kc0de/`;

interface Entity {
  type: 'CONTACT' | 'COMPANY' | 'LEAD';
  id: number;
  name: string;
  phones: string[];
}

interface ActiveCall {
  callId: string;
  params: Record<string, unknown>;
  registeredAt: number;
  entity: Entity | null;
  userId: number;
}

export interface StatRow {
  ID: string;
  CALL_ID: string;
  EXTERNAL_CALL_ID: string | null;
  PORTAL_USER_ID: string;
  PHONE_NUMBER: string;
  CALL_TYPE: string;
  CALL_DURATION: string;
  CALL_START_DATE: string;
  CALL_FAILED_CODE: string;
  CALL_FAILED_REASON: string;
  CALL_RECORD_URL: string | null;
  RECORD_FILE_ID: number | null;
  CRM_ENTITY_TYPE: string | null;
  CRM_ENTITY_ID: string | null;
  CRM_ACTIVITY_ID: string | null;
}

export interface Bitrix24FakeOptions {
  /** Virtual clock in ms (re-registration window, leaky bucket). */
  now?: () => number;
  /** Users: id → internal number (USER_PHONE_INNER). */
  users?: Record<number, string>;
  /** Leaky bucket: reserve and drain per second; Infinity turns the limit off. */
  bucket?: { reserve: number; perSecond: number };
}

const digits = (s: string) => s.replace(/\D/g, '').slice(-10);

export function bitrix24Fake(options: Bitrix24FakeOptions = {}) {
  const now = options.now ?? (() => Date.now());
  const users = new Map<number, string>(Object.entries(options.users ?? { 1: '100', 7: '205' }).map(([k, v]) => [Number(k), v]));
  const bucket = options.bucket ?? { reserve: 50, perSecond: 2 };
  const entities: Entity[] = [];
  const active = new Map<string, ActiveCall>();
  const stats: StatRow[] = [];
  const requests: { method: string; params: Record<string, unknown> }[] = [];
  // Methods are case-insensitive: told and looked up in lower case.
  const faults = routeFaults<string>((method) => method.toLowerCase());
  let level = 0;
  let levelAt = now();
  let nextId = 100;
  let nextCall = 1;
  let fileId = 9000;

  const error = (status: number, code: string, description: string) => HttpResponse.json({ error: code, error_description: description }, { status });
  const ok = (result: unknown, extra: Record<string, unknown> = {}) =>
    HttpResponse.json({ result, ...extra, time: { start: now() / 1000, finish: now() / 1000, duration: 0.01, processing: 0, operating: 0 } });

  const find = (phone: string) => entities.filter((e) => e.phones.some((p) => digits(p) === digits(phone)));

  function userOf(params: Record<string, unknown>): number | Response {
    if (params.USER_ID !== undefined) {
      const id = Number(params.USER_ID);
      return users.has(id) ? id : error(400, 'ERROR_CORE', 'User is not found or is not active');
    }
    if (params.USER_PHONE_INNER !== undefined) {
      const hit = [...users].find(([, inner]) => inner === String(params.USER_PHONE_INNER));
      return hit ? hit[0] : error(400, 'ERROR_CORE', 'User is not found or is not active');
    }
    return error(400, 'ERROR_CORE', 'USER_ID or USER_PHONE_INNER should be set');
  }

  const methods: Record<string, (p: Record<string, unknown>) => Response> = {
    'telephony.externalcall.register': (p) => {
      const user = userOf(p);
      if (user instanceof Response) return user;
      const type = Number(p.TYPE);
      if (!(type >= 1 && type <= 5)) return error(400, 'ERROR_CORE', 'Unknown TYPE');
      const phone = String(p.PHONE_NUMBER ?? '');
      if (digits(phone).length < 5) return error(400, 'ERROR_CORE', 'Unsupported phone number format');
      if (p.CALL_START_DATE !== undefined && Number.isNaN(Date.parse(String(p.CALL_START_DATE))))
        return error(400, 'ERROR_CORE', 'CALL_START_DATE should be in the ISO-8601 format');
      // Same technical parameters, unfinished, within 30 minutes → the same CALL_ID.
      const same = [...active.values()].find(
        (c) =>
          now() - c.registeredAt < 30 * 60_000 &&
          c.params.PHONE_NUMBER === p.PHONE_NUMBER &&
          Number(c.params.TYPE) === type &&
          c.userId === user &&
          c.params.LINE_NUMBER === p.LINE_NUMBER &&
          c.params.EXTERNAL_CALL_ID === p.EXTERNAL_CALL_ID,
      );
      if (same)
        return ok({
          CALL_ID: same.callId,
          CRM_CREATED_LEAD: null,
          CRM_CREATED_ENTITIES: [],
          CRM_ENTITY_TYPE: same.entity?.type ?? null,
          CRM_ENTITY_ID: same.entity?.id ?? null,
        });
      let entity: Entity | null = null;
      let created: Entity | null = null;
      if (p.CRM_ENTITY_TYPE && p.CRM_ENTITY_ID) entity = entities.find((e) => e.type === p.CRM_ENTITY_TYPE && e.id === Number(p.CRM_ENTITY_ID)) ?? null;
      else entity = find(phone).sort((a, b) => ['CONTACT', 'COMPANY', 'LEAD'].indexOf(a.type) - ['CONTACT', 'COMPANY', 'LEAD'].indexOf(b.type))[0] ?? null;
      if (!entity && Number(p.CRM_CREATE) === 1) {
        created = { type: 'LEAD', id: nextId++, name: `Lead ${phone}`, phones: [phone] };
        entities.push(created);
        entity = created;
      }
      const callId = `externalCall.${(nextCall++).toString(16).padStart(32, '0')}.${Math.floor(now() / 1000)}`;
      active.set(callId, { callId, params: p, registeredAt: now(), entity, userId: user });
      return ok({
        CALL_ID: callId,
        CRM_CREATED_LEAD: created?.id ?? null,
        CRM_CREATED_ENTITIES: created ? [{ ENTITY_TYPE: 'LEAD', ENTITY_ID: created.id }] : [],
        CRM_ENTITY_TYPE: entity?.type ?? null,
        CRM_ENTITY_ID: entity?.id ?? null,
      });
    },
    'telephony.externalcall.finish': (p) => {
      if (typeof p.CALL_ID !== 'string') return error(400, 'INVALID_ARGUMENT', 'CALL_ID must be a string');
      const user = userOf(p);
      if (user instanceof Response) return user;
      const call = active.get(p.CALL_ID);
      if (!call) return error(400, 'ERROR_CORE', 'Call is not found (call should be registered prior to finishing)');
      active.delete(p.CALL_ID);
      const duration = Number(p.DURATION ?? 0);
      const row: StatRow = {
        ID: String(stats.length + 1),
        CALL_ID: call.callId,
        EXTERNAL_CALL_ID: (call.params.EXTERNAL_CALL_ID as string | undefined) ?? null,
        PORTAL_USER_ID: String(user),
        PHONE_NUMBER: String(call.params.PHONE_NUMBER),
        CALL_TYPE: String(call.params.TYPE),
        CALL_DURATION: String(duration),
        CALL_START_DATE: new Date(Date.parse(String(call.params.CALL_START_DATE ?? new Date(now()).toISOString())))
          .toISOString()
          .replace(/\.\d{3}Z$/, '+00:00'),
        CALL_FAILED_CODE: String(p.STATUS_CODE ?? (duration > 0 ? '200' : '304')),
        CALL_FAILED_REASON: String(p.FAILED_REASON ?? ''),
        CALL_RECORD_URL: null,
        RECORD_FILE_ID: null,
        CRM_ENTITY_TYPE: call.entity?.type ?? null,
        CRM_ENTITY_ID: call.entity ? String(call.entity.id) : null,
        CRM_ACTIVITY_ID: call.entity ? String(7000 + stats.length) : null,
      };
      stats.push(row);
      return ok({ ...row, ID: Number(row.ID), CALL_DURATION: duration, CALL_STATUS: duration > 0 ? 1 : 0, CRM_ENTITY_ID: call.entity?.id ?? null });
    },
    'telephony.externalcall.attachrecord': (p) => {
      if (!p.RECORD_URL && !p.FILENAME) return error(400, '', 'Required parameters are not set. Request should contain either URL or FILENAME parameter');
      const row = stats.find((r) => r.CALL_ID === p.CALL_ID);
      if (!row) return error(400, '', 'Call is not found in the statistic table. It looks like it is not finished yet.');
      const name = String(p.FILENAME ?? new URL(String(p.RECORD_URL)).pathname.split('/').pop() ?? '');
      if (!/\.(mp3|wav)$/i.test(name)) return error(400, 'ERROR_CORE', 'Wrong file extension. Only wav and mp3 are allowed');
      if (!p.RECORD_URL) return ok({ uploadUrl: `${BITRIX24_PORTAL}/rest/upload.json?token=x`, fieldName: 'file' });
      const host = new URL(String(p.RECORD_URL)).hostname;
      if (/^(127\.|10\.|192\.168\.|localhost$)/.test(host)) return error(400, '', 'Record URL resolves to a non-public address and was blocked.');
      row.CALL_RECORD_URL = String(p.RECORD_URL);
      row.RECORD_FILE_ID = ++fileId;
      return ok({ FILE_ID: row.RECORD_FILE_ID });
    },
    'telephony.externalcall.searchcrmentities': (p) => {
      if (!p.PHONE_NUMBER) return error(400, 'ERROR_CORE', 'PHONE_NUMBER is empty');
      return ok(
        find(String(p.PHONE_NUMBER)).map((e) => ({ CRM_ENTITY_TYPE: e.type, CRM_ENTITY_ID: e.id, ASSIGNED_BY_ID: 1, NAME: e.name, ASSIGNED_BY: { ID: '1' } })),
      );
    },
    'voximplant.statistic.get': (p) => {
      const filter = (p.FILTER ?? {}) as Record<string, unknown>;
      let rows = stats.filter((r) =>
        Object.entries(filter).every(([key, want]) => {
          const m = /^(>=|<=|>|<|!)?(.+)$/.exec(key);
          const op = m?.[1] ?? '';
          const field = (m?.[2] ?? key) as keyof StatRow;
          const have = r[field];
          if (field === 'CALL_START_DATE') {
            const a = Date.parse(String(have));
            const b = Date.parse(String(want));
            return op === '>=' ? a >= b : op === '<=' ? a <= b : op === '>' ? a > b : op === '<' ? a < b : a === b;
          }
          const match = Array.isArray(want) ? want.map(String).includes(String(have)) : String(have) === String(want);
          return op === '!' ? !match : match;
        }),
      );
      if (p.SORT === 'ID') rows = rows.sort((a, b) => (Number(a.ID) - Number(b.ID)) * (p.ORDER === 'DESC' ? -1 : 1));
      const start = Number(p.start ?? 0);
      const page = rows.slice(start, start + 50);
      return ok(page, { total: rows.length, ...(start + 50 < rows.length ? { next: start + 50 } : {}) });
    },
    'crm.contact.add': (p) => {
      const fields = (p.fields ?? {}) as { NAME?: string; PHONE?: { VALUE: string }[] };
      if (!fields.NAME && !fields.PHONE?.length) return error(400, '', 'Required fields are not set');
      const contact: Entity = { type: 'CONTACT', id: nextId++, name: fields.NAME ?? '', phones: (fields.PHONE ?? []).map((x) => x.VALUE) };
      entities.push(contact);
      return ok(contact.id);
    },
  };

  const handler = http.post(`${BITRIX24_PORTAL}/rest/:user/:code/:method`, async ({ params, request }) => {
    if (params.user !== '1' || params.code !== 'k3yw3bh00kc0de') return error(401, 'INVALID_CREDENTIALS', 'Invalid request credentials');
    const method = String(params.method).replace(/\.json$/, '');
    const key = method.toLowerCase();
    const body = (await request.json().catch(() => ({}))) as Record<string, unknown>;
    requests.push({ method, params: body });
    // Leaky bucket: the counter drains perSecond a second; above the reserve, 503.
    const t = now();
    level = Math.max(0, level - ((t - levelAt) / 1000) * bucket.perSecond);
    levelAt = t;
    if (level + 1 > bucket.reserve) return error(503, 'QUERY_LIMIT_EXCEEDED', 'Too many requests');
    level += 1;
    const failed = faults.failure(key);
    if (failed) return failed;
    const run = methods[key];
    if (!run) return error(404, 'ERROR_METHOD_NOT_FOUND', 'Method not found!');
    return faults.deliver(key, run(body));
  });

  return {
    handler,
    requests,
    stats,
    active,
    entities,
    /** Methods called, in order, lower case. */
    calls: () => requests.map((r) => r.method.toLowerCase()),
    addEntity(type: Entity['type'], name: string, phone: string): Entity {
      const e = { type, id: nextId++, name, phones: [phone] };
      entities.push(e);
      return e;
    },
    ...faults.controls,
    /** Fill the bucket: the next request over the reserve gets QUERY_LIMIT_EXCEEDED. */
    exhaust() {
      level = bucket.reserve;
      levelAt = now();
    },
  };
}

export type Bitrix24Fake = ReturnType<typeof bitrix24Fake>;
