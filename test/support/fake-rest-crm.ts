/**
 * A small REST CRM for the generic adapter's tests: contacts, calls and tasks in memory behind a
 * Hono app, with the knobs real CRMs differ in — the kind of credentials, the pagination style,
 * whether a call has an external-id field, a request rate past which it answers 429 with
 * Retry-After, and a fault switch that performs a write and then drops the answer (a 504 after
 * the fact), as a proxy timing out would.
 *
 * Routes: POST /oauth/token · GET|POST /contacts · GET|POST /calls · PATCH|DELETE /calls/:id ·
 * POST /calls/:id/recording (multipart, a second upload is 409) · GET|POST /tasks.
 */
import { Hono, type Context } from 'hono';

export type FakeAuth =
  | { type: 'none' }
  | { type: 'bearer'; token: string }
  | { type: 'basic'; username: string; password: string }
  | { type: 'header'; name: string; value: string }
  | { type: 'oauth2'; clientId: string; clientSecret: string; ttlSeconds?: number };

export interface FakeCrmOptions {
  auth?: FakeAuth;
  pagination?: 'page' | 'offset' | 'cursor';
  /** Most items a listing page holds, whatever the client asks for. */
  maxPageSize?: number;
  /** Calls keep an external id (calltrail's uniq); false: the CRM has no such field. */
  externalId?: boolean;
  /** More than this many requests within windowMs → 429. */
  rate?: { requests: number; windowMs: number; retryAfterSeconds: number };
  now?: () => Date;
}

export interface FakeContact {
  id: number;
  name: string;
  phone: string;
}
export interface FakeCall {
  id: number;
  contact_id: number;
  external_id?: string;
  direction: string;
  duration: number;
  recording_url: string | null;
  started_at: string;
  updated_at: string;
  note: string;
  recording_bytes?: number;
}
export interface FakeTask {
  id: number;
  text: string;
  contact_id: number;
  due_at: string;
}

type Operation = 'create_contact' | 'log_call' | 'update_call' | 'upload' | 'create_task';

export interface FakeRestCrm {
  app: Hono;
  fetch: typeof fetch;
  contacts: FakeContact[];
  calls: FakeCall[];
  tasks: FakeTask[];
  /** Every request as it arrived: method, path with query, status answered. */
  requests: { method: string; url: string; status: number }[];
  /** The next `times` writes of this kind are performed, and their answers dropped (504). */
  dropAnswer(operation: Operation, times?: number): void;
  /** Revokes every OAuth token issued so far (the next request gets a 401). */
  revokeTokens(): void;
  tokensIssued: number;
}

export function createFakeRestCrm(options: FakeCrmOptions = {}): FakeRestCrm {
  const now = options.now ?? (() => new Date());
  const auth = options.auth ?? { type: 'none' };
  const pageSize = options.maxPageSize ?? 50;
  const contacts: FakeContact[] = [];
  const calls: FakeCall[] = [];
  const tasks: FakeTask[] = [];
  const requests: FakeRestCrm['requests'] = [];
  const drops = new Map<Operation, number>();
  const tokens = new Set<string>();
  const recent: number[] = [];
  let nextId = 1000;
  const crm = { tokensIssued: 0 };

  const app = new Hono();
  app.use('*', async (c, next) => {
    const entry = { method: c.req.method, url: c.req.url.replace(/^https?:\/\/[^/]+/, ''), status: 0 };
    requests.push(entry);
    await next();
    entry.status = c.res.status;
  });
  app.use('*', async (c, next) => {
    if (options.rate) {
      const t = Date.now();
      while (recent.length && (recent[0] as number) <= t - options.rate.windowMs) recent.shift();
      if (recent.length >= options.rate.requests) {
        return c.json({ error: 'too many requests' }, 429, { 'retry-after': String(options.rate.retryAfterSeconds) });
      }
      recent.push(t);
    }
    if (c.req.path === '/oauth/token') return next();
    return authorized(c) ? next() : c.json({ error: 'unauthorized' }, 401);
  });

  function authorized(c: Context): boolean {
    const header = c.req.header('authorization') ?? '';
    switch (auth.type) {
      case 'none':
        return true;
      case 'bearer':
        return header === `Bearer ${auth.token}`;
      case 'basic':
        return header === `Basic ${btoa(`${auth.username}:${auth.password}`)}`;
      case 'header':
        return c.req.header(auth.name) === auth.value;
      case 'oauth2':
        return tokens.has(header.replace(/^Bearer /, ''));
    }
  }

  /** Performs the write; answers it unless the fault switch says to drop the answer. */
  function answer<T>(c: Context, operation: Operation, status: 200 | 201, body: T) {
    const left = drops.get(operation) ?? 0;
    if (left > 0) {
      drops.set(operation, left - 1);
      return c.text('upstream timed out', 504);
    }
    return c.json(body as object, status);
  }

  app.post('/oauth/token', async (c) => {
    if (auth.type !== 'oauth2') return c.json({ error: 'unsupported' }, 400);
    const form = await c.req.parseBody();
    if (form.grant_type !== 'client_credentials' || form.client_id !== auth.clientId || form.client_secret !== auth.clientSecret) {
      return c.json({ error: 'invalid_client' }, 401);
    }
    const token = `tok-${++crm.tokensIssued}`;
    tokens.add(token);
    return c.json({ access_token: token, token_type: 'bearer', expires_in: auth.ttlSeconds ?? 3600 });
  });

  app.get('/contacts', (c) => {
    const phone = c.req.query('phone') ?? '';
    return c.json({ data: contacts.filter((x) => x.phone === phone) });
  });
  app.post('/contacts', async (c) => {
    const body = (await c.req.json()) as { name?: string; phone?: string };
    if (!body.name || !body.phone) return c.json({ error: 'name and phone are required' }, 422);
    const contact = { id: ++nextId, name: body.name, phone: body.phone };
    contacts.push(contact);
    return answer(c, 'create_contact', 201, { data: { id: contact.id } });
  });

  app.post('/calls', async (c) => {
    const body = (await c.req.json()) as Record<string, unknown>;
    if (!contacts.some((x) => x.id === body.contact_id)) return c.json({ error: 'unknown contact_id' }, 422);
    const stamp = now().toISOString();
    const call: FakeCall = {
      id: ++nextId,
      contact_id: body.contact_id as number,
      ...(options.externalId !== false && typeof body.external_id === 'string' ? { external_id: body.external_id } : {}),
      direction: String(body.direction ?? ''),
      duration: Number(body.duration ?? 0),
      recording_url: typeof body.recording_url === 'string' ? body.recording_url : null,
      started_at: String(body.started_at ?? ''),
      updated_at: stamp,
      note: String(body.note ?? ''),
    };
    calls.push(call);
    return answer(c, 'log_call', 201, { data: { id: call.id } });
  });
  app.patch('/calls/:id', async (c) => {
    const call = calls.find((x) => x.id === Number(c.req.param('id')));
    if (!call) return c.json({ error: 'not found' }, 404);
    const body = (await c.req.json()) as Record<string, unknown>;
    if (typeof body.recording_url === 'string') call.recording_url = body.recording_url;
    if (typeof body.duration === 'number') call.duration = body.duration;
    call.updated_at = now().toISOString();
    return answer(c, 'update_call', 200, { data: { id: call.id } });
  });
  app.delete('/calls/:id', (c) => {
    const i = calls.findIndex((x) => x.id === Number(c.req.param('id')));
    if (i >= 0) calls.splice(i, 1);
    return c.body(null, 204);
  });
  app.post('/calls/:id/recording', async (c) => {
    const call = calls.find((x) => x.id === Number(c.req.param('id')));
    if (!call) return c.json({ error: 'not found' }, 404);
    if (call.recording_bytes !== undefined) return c.json({ error: 'recording already attached' }, 409);
    const form = await c.req.parseBody();
    const file = form.file;
    if (!(file instanceof File)) return c.json({ error: 'file is required' }, 422);
    call.recording_bytes = file.size;
    call.updated_at = now().toISOString();
    return answer(c, 'upload', 201, { data: { id: call.id } });
  });
  app.get('/calls', (c) => {
    const from = c.req.query('updated_from') ?? '';
    const to = c.req.query('updated_to') ?? '\uffff';
    const all = calls.filter((x) => x.updated_at >= from && x.updated_at <= to).sort((a, b) => a.id - b.id);
    const style = options.pagination ?? 'page';
    let start: number;
    let size: number;
    if (style === 'page') {
      size = Math.min(Number(c.req.query('per_page') ?? pageSize), pageSize);
      start = (Number(c.req.query('page') ?? 1) - 1) * size;
    } else if (style === 'offset') {
      size = Math.min(Number(c.req.query('limit') ?? pageSize), pageSize);
      start = Number(c.req.query('offset') ?? 0);
    } else {
      size = pageSize;
      start = c.req.query('cursor') ? Number(atob(c.req.query('cursor') as string)) : 0;
    }
    const data = all.slice(start, start + size);
    const more = start + size < all.length;
    return c.json({ data, meta: { next_cursor: style === 'cursor' && more ? btoa(String(start + size)) : null } });
  });

  app.post('/tasks', async (c) => {
    const body = (await c.req.json()) as { text?: string; contact_id?: number; due_at?: string };
    const task = { id: ++nextId, text: String(body.text ?? ''), contact_id: Number(body.contact_id), due_at: String(body.due_at ?? '') };
    tasks.push(task);
    return answer(c, 'create_task', 201, { data: { id: task.id } });
  });
  app.get('/tasks', (c) => c.json({ data: tasks.filter((t) => String(t.contact_id) === c.req.query('contact_id')) }));

  return {
    app,
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) => app.fetch(new Request(input, init))) as typeof fetch,
    contacts,
    calls,
    tasks,
    requests,
    dropAnswer(operation, times = 1) {
      drops.set(operation, times);
    },
    revokeTokens() {
      tokens.clear();
    },
    get tokensIssued() {
      return crm.tokensIssued;
    },
  };
}

/** A `crm.generic` section that fits the fake CRM at `baseUrl` (tests adjust what they need). */
export function fakeCrmConfig(baseUrl: string, pagination: 'page' | 'offset' | 'cursor' = 'page', pageSize = 50) {
  const paging = {
    page: { type: 'page', param: 'page', start: 1, size_param: 'per_page', size: pageSize },
    offset: { type: 'offset', param: 'offset', size_param: 'limit', size: pageSize },
    cursor: { type: 'cursor', param: 'cursor', next: 'meta.next_cursor' },
  }[pagination];
  return {
    base_url: baseUrl,
    auth: { type: 'none' },
    rate_limit: { requests: 50, per_seconds: 1 },
    find_contact: { request: { method: 'GET', path: '/contacts', query: { phone: '{{ phone }}' } }, ids: 'data[].id', phone_formats: ['e164', 'national'] },
    create_contact: { request: { path: '/contacts', body: { name: '{{ name }}', phone: '{{ phone }}' } }, id: 'data.id' },
    log_call: {
      request: {
        path: '/calls',
        body: {
          contact_id: '{{ contact_id }}',
          external_id: '{{ uniq }}',
          direction: '{{ direction }}',
          duration: '{{ duration }}',
          started_at: '{{ started_at }}',
          recording_url: '{{ recording_url }}',
          note: 'Call {{ direction }} with {{ phone }} ({{ duration | mmss }})',
        },
      },
      id: 'data.id',
    },
    update_call: { request: { path: '/calls/{{ crm_call_id }}', body: { recording_url: '{{ recording_url }}', duration: '{{ duration }}' } } },
    list_calls: {
      request: { path: '/calls', query: { updated_from: '{{ from }}', updated_to: '{{ to }}' } },
      items: 'data',
      id: 'id',
      uniq: 'external_id',
      link: 'recording_url',
      duration: 'duration',
      contact_id: 'contact_id',
      updated_at: 'updated_at',
      pagination: paging,
    },
  };
}
