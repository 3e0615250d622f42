import { http as rest, HttpResponse } from 'msw';
import { strictMswServer } from '#test/msw';
import { describe, expect, it } from 'vitest';
import { CrmError, type CallToLog, type LoggedCall, type LoggedCallsPage } from '../port';
import { NOTE_ENTITY_TYPES, pluralEntity } from './adapter';
import { last10 } from './read';
import { BASE_URL, callToLog, ENTITY_NOT_FOUND, makeAdapter } from './testing';

const server = strictMswServer();

const url = (path: string) => `${BASE_URL}${path}`;

interface AmoCall {
  request_id: string;
  phone: string;
  [key: string]: unknown;
}

type UnknownMode = 'partial' | 'batch_with_ids' | 'batch_bare';

/**
 * POST /api/v4/calls as amoCRM answers it: numbers in `known` are written; unknown numbers are
 * either listed in a 200 (partial) or refuse the whole batch with "Entity not found", with or
 * without request_id. A batch of unknown numbers only is always a 400.
 */
function fakeCalls(known: Set<string>, mode: UnknownMode) {
  const requests: AmoCall[][] = [];
  let noteId = 5000;
  server.use(
    rest.post(url('/api/v4/calls'), async ({ request }) => {
      const body = (await request.json()) as AmoCall[];
      requests.push(body);
      const unknown = body.filter((c) => !known.has(c.phone));
      const notFound = (c: AmoCall, withId: boolean) => ({ ...(withId ? { request_id: c.request_id } : {}), title: 'Entity not found', status: 400 });
      if (unknown.length > 0 && (mode !== 'partial' || unknown.length === body.length)) {
        return HttpResponse.json({ _total_items: 0, errors: unknown.map((c) => notFound(c, mode === 'batch_with_ids')) }, { status: 400 });
      }
      const calls = body
        .filter((c) => known.has(c.phone))
        .map((c) => ({ id: ++noteId, entity_id: Number(last10(c.phone)), entity_type: 'contact', account_id: 1, request_id: c.request_id }));
      return HttpResponse.json({
        _total_items: calls.length,
        _embedded: { calls },
        ...(unknown.length ? { errors: unknown.map((c) => notFound(c, true)) } : {}),
      });
    }),
  );
  return requests;
}

/** Answers the given responses in turn (the last repeats) and records request bodies. */
function answers(method: 'post' | 'patch' | 'get', path: string, list: Array<(body: unknown) => Response>) {
  const requests: { body: unknown; url: URL }[] = [];
  server.use(
    rest[method](url(path), async ({ request }) => {
      const text = await request.text();
      const body: unknown = text ? JSON.parse(text) : undefined;
      requests.push({ body, url: new URL(request.url) });
      const answer = list[Math.min(requests.length, list.length) - 1];
      if (!answer) throw new Error('no answer');
      return answer(body);
    }),
  );
  return requests;
}

const phonesOf = (batch: AmoCall[] | undefined) => (batch ?? []).map((c) => c.request_id);

describe('logCalls: the request', () => {
  it('sends every documented field, in amoCRM’s names', async () => {
    const requests = fakeCalls(new Set(['+74951230001']), 'partial');
    const { adapter } = makeAdapter();
    await adapter.logCalls([callToLog(1)]);
    expect(requests[0]).toEqual([
      {
        uniq: 'ct1-0001',
        direction: 'inbound',
        duration: 185,
        source: 'calltrail',
        phone: '+74951230001',
        link: 'https://pbx.example/r/0001.mp3',
        call_status: 4,
        call_result: 'Разговор состоялся',
        responsible_user_id: 1205,
        created_by: 1205,
        created_at: Math.floor(Date.parse('2026-11-20T07:00:00Z') / 1000),
        request_id: 'd-1',
      },
    ]);
  });

  it('leaves out link, status, result and user when there are none', async () => {
    const requests = fakeCalls(new Set(['+74951230002']), 'partial');
    const { adapter } = makeAdapter();
    await adapter.logCalls([callToLog(2, { link: null, status: null, resultText: null, userId: null, direction: 'outbound', durationSeconds: 0 })]);
    expect(requests[0]).toEqual([
      {
        uniq: 'ct1-0002',
        direction: 'outbound',
        duration: 0,
        source: 'calltrail',
        phone: '+74951230002',
        created_at: 1795158000,
        request_id: 'd-2',
      },
    ]);
  });

  it('created_at is whole unix seconds', async () => {
    const requests = fakeCalls(new Set(['+74951230003']), 'partial');
    const { adapter } = makeAdapter();
    await adapter.logCalls([callToLog(3, { startedAt: new Date('2026-11-20T07:00:00.999Z') })]);
    expect(requests[0]?.[0]?.created_at).toBe(1795158000);
  });
});

describe('logCalls: partial success (200)', () => {
  it('maps logged, unknown_number and rejected items by request_id, in the order given', async () => {
    answers('post', '/api/v4/calls', [
      () =>
        HttpResponse.json({
          _total_items: 2,
          _embedded: {
            // Answer order differs from ours; request_id decides.
            calls: [
              { id: 902, entity_id: 12, entity_type: 'lead', request_id: 'd-4' },
              { id: 901, entity_id: 11, entity_type: 'contact', request_id: 'd-1' },
            ],
          },
          errors: [
            { request_id: 'd-2', title: 'Entity not found', status: 400 },
            { request_id: 'd-3', title: 'Bad value', detail: 'call_status is out of range', status: 400 },
          ],
        }),
    ]);
    const { adapter } = makeAdapter();
    const results = await adapter.logCalls([1, 2, 3, 4].map((n) => callToLog(n)));
    expect(results).toEqual([
      { status: 'logged', ref: { noteId: 901, entityId: 11, entityType: 'contacts' } },
      { status: 'unknown_number' },
      { status: 'rejected', reason: 'Bad value: call_status is out of range' },
      { status: 'logged', ref: { noteId: 902, entityId: 12, entityType: 'leads' } },
    ]);
  });

  it('reads item errors under _embedded.errors too', async () => {
    answers('post', '/api/v4/calls', [
      () =>
        HttpResponse.json({
          _embedded: {
            calls: [{ id: 1, entity_id: 2, entity_type: 'company', request_id: 'd-1' }],
            errors: [{ request_id: 'd-2', title: 'Entity not found' }],
          },
        }),
    ]);
    const { adapter } = makeAdapter();
    expect(await adapter.logCalls([callToLog(1), callToLog(2)])).toEqual([
      { status: 'logged', ref: { noteId: 1, entityId: 2, entityType: 'companies' } },
      { status: 'unknown_number' },
    ]);
  });

  it('an item the 200 does not mention was not written: unknown_number', async () => {
    const requests = answers('post', '/api/v4/calls', [
      () => HttpResponse.json({ _embedded: { calls: [{ id: 7, entity_id: 8, entity_type: 'contact', request_id: 'd-3' }] } }),
    ]);
    const { adapter } = makeAdapter();
    const results = await adapter.logCalls([callToLog(1), callToLog(2), callToLog(3)]);
    expect(results).toEqual([
      { status: 'unknown_number' },
      { status: 'unknown_number' },
      { status: 'logged', ref: { noteId: 7, entityId: 8, entityType: 'contacts' } },
    ]);
    expect(requests).toHaveLength(1);
  });

  it('an answer without request_ids is matched by order when it lists every item', async () => {
    answers('post', '/api/v4/calls', [
      () =>
        HttpResponse.json({
          _embedded: {
            calls: [
              { id: 31, entity_id: 1, entity_type: 'contact' },
              { id: 32, entity_id: 2, entity_type: 'customer' },
            ],
          },
        }),
    ]);
    const { adapter } = makeAdapter();
    expect(await adapter.logCalls([callToLog(1), callToLog(2)])).toEqual([
      { status: 'logged', ref: { noteId: 31, entityId: 1, entityType: 'contacts' } },
      { status: 'logged', ref: { noteId: 32, entityId: 2, entityType: 'customers' } },
    ]);
  });

  it('a known-only batch against the fake logs every item in one request', async () => {
    const requests = fakeCalls(new Set(['+74951230001', '+74951230002']), 'partial');
    const { adapter } = makeAdapter();
    const results = await adapter.logCalls([callToLog(1), callToLog(2)]);
    expect(results).toEqual([
      { status: 'logged', ref: { noteId: 5001, entityId: 4951230001, entityType: 'contacts' } },
      { status: 'logged', ref: { noteId: 5002, entityId: 4951230002, entityType: 'contacts' } },
    ]);
    expect(requests).toHaveLength(1);
  });

  it('a 200 it cannot make sense of fails every item, outcome unknown', async () => {
    answers('post', '/api/v4/calls', [() => HttpResponse.json([{ weird: true }])]);
    const { adapter } = makeAdapter();
    const results = await adapter.logCalls([callToLog(1), callToLog(2)]);
    for (const r of results) {
      expect(r.status).toBe('failed');
      expect(r.status === 'failed' && r.error.outcomeUnknown).toBe(true);
    }
  });
});

describe('logCalls: whole-batch refusal (400 "Entity not found")', () => {
  it('with request_ids: marks the named items unknown and resends the rest once', async () => {
    const calls = [1, 2, 3, 4].map((n) => callToLog(n));
    const requests = fakeCalls(new Set(['+74951230001', '+74951230003']), 'batch_with_ids');
    const { adapter } = makeAdapter();
    const results = await adapter.logCalls(calls);
    expect(results.map((r) => r.status)).toEqual(['logged', 'unknown_number', 'logged', 'unknown_number']);
    expect(requests).toHaveLength(2);
    expect(phonesOf(requests[1])).toEqual(['d-1', 'd-3']);
  });

  it('without request_ids: bisects until each unknown item stands alone, in few requests', async () => {
    const calls = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => callToLog(n));
    const requests = fakeCalls(new Set(calls.filter((c) => c.requestId !== 'd-6').map((c) => c.phone)), 'batch_bare');
    const { adapter } = makeAdapter();
    const results = await adapter.logCalls(calls);
    expect(results.map((r) => r.status)).toEqual(['logged', 'logged', 'logged', 'logged', 'logged', 'unknown_number', 'logged', 'logged']);
    expect(requests.length).toBeLessThanOrEqual(7);
    // Every known item was written exactly once (a 400 writes nothing, so resends are safe).
    const written = results.flatMap((r) => (r.status === 'logged' ? [r.ref.noteId] : []));
    expect(new Set(written).size).toBe(7);
    // The unknown item was finally sent alone.
    expect(requests.some((r) => r.length === 1 && r[0]?.request_id === 'd-6')).toBe(true);
  });

  it('without request_ids and two unknowns in eight: both found, every known item logged', async () => {
    const calls = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => callToLog(n));
    const unknown = new Set(['d-2', 'd-7']);
    const requests = fakeCalls(new Set(calls.filter((c) => !unknown.has(c.requestId)).map((c) => c.phone)), 'batch_bare');
    const { adapter } = makeAdapter();
    const results = await adapter.logCalls(calls);
    expect(results.map((r) => r.status)).toEqual(calls.map((c) => (unknown.has(c.requestId) ? 'unknown_number' : 'logged')));
    expect(requests.length).toBeLessThanOrEqual(11);
  });

  it('a single call with an unknown number is unknown_number after one request', async () => {
    const requests = fakeCalls(new Set(), 'batch_bare');
    const { adapter } = makeAdapter();
    expect(await adapter.logCalls([callToLog(9)])).toEqual([{ status: 'unknown_number' }]);
    expect(requests).toHaveLength(1);
  });

  it('the documented body for one unknown number (no request_id) means unknown_number', async () => {
    answers('post', '/api/v4/calls', [() => HttpResponse.json(ENTITY_NOT_FOUND, { status: 400 })]);
    const { adapter } = makeAdapter();
    expect(await adapter.logCalls([callToLog(1)])).toEqual([{ status: 'unknown_number' }]);
  });

  it('a 400 that names nothing and is not "Entity not found" rejects a lone item with the reason', async () => {
    answers('post', '/api/v4/calls', [() => HttpResponse.json({ title: 'Bad Request', detail: 'Something is off' }, { status: 400 })]);
    const { adapter } = makeAdapter();
    expect(await adapter.logCalls([callToLog(1)])).toEqual([{ status: 'rejected', reason: 'Bad Request: Something is off' }]);
  });
});

describe('logCalls: validation errors (400)', () => {
  const invalid = (requestId: string) => () =>
    HttpResponse.json(
      {
        'validation-errors': [{ request_id: requestId, errors: [{ code: 'OutOfRange', path: 'call_status', detail: 'This value should be 7 or less.' }] }],
        title: 'Bad Request',
        status: 400,
      },
      { status: 400 },
    );
  const allLogged = (body: unknown) =>
    HttpResponse.json({
      _embedded: { calls: (body as AmoCall[]).map((c, i) => ({ id: 100 + i, entity_id: 1, entity_type: 'contact', request_id: c.request_id })) },
    });

  it('rejects the named item and resends the rest', async () => {
    const requests = answers('post', '/api/v4/calls', [invalid('d-2'), allLogged]);
    const { adapter } = makeAdapter();
    const results = await adapter.logCalls([callToLog(1), callToLog(2), callToLog(3)]);
    expect(results.map((r) => r.status)).toEqual(['logged', 'rejected', 'logged']);
    expect(results[1]).toEqual({ status: 'rejected', reason: 'call_status: This value should be 7 or less.' });
    expect(requests).toHaveLength(2);
    expect((requests[1]?.body as AmoCall[] | undefined)?.map((c) => c.request_id)).toEqual(['d-1', 'd-3']);
  });

  it('understands an item named by its index', async () => {
    const requests = answers('post', '/api/v4/calls', [invalid('2'), allLogged]);
    const { adapter } = makeAdapter();
    const results = await adapter.logCalls([callToLog(1), callToLog(2), callToLog(3)]);
    expect(results.map((r) => r.status)).toEqual(['logged', 'logged', 'rejected']);
    expect(requests).toHaveLength(2);
  });
});

describe('logCalls: failures of the whole request', () => {
  it('504: every item failed as too_large with the outcome unknown, sent once', async () => {
    const requests = answers('post', '/api/v4/calls', [() => new HttpResponse('<html><body><h1>504 Gateway Time-out</h1></body></html>', { status: 504 })]);
    const { adapter } = makeAdapter();
    const results = await adapter.logCalls([callToLog(1), callToLog(2), callToLog(3)]);
    expect(requests).toHaveLength(1);
    for (const r of results) {
      expect(r.status).toBe('failed');
      if (r.status !== 'failed') continue;
      expect(r.error).toBeInstanceOf(CrmError);
      expect(r.error.failure.kind).toBe('too_large');
      expect(r.error.outcomeUnknown).toBe(true);
    }
  });

  it('502: every item failed, outcome unknown, not resent', async () => {
    const requests = answers('post', '/api/v4/calls', [() => new HttpResponse('bad gateway', { status: 502 })]);
    const { adapter } = makeAdapter();
    const results = await adapter.logCalls([callToLog(1), callToLog(2)]);
    expect(requests).toHaveLength(1);
    for (const r of results) {
      expect(r.status === 'failed' && r.error.failure).toMatchObject({ kind: 'unavailable', sent: true, status: 502 });
      expect(r.status === 'failed' && r.error.outcomeUnknown).toBe(true);
    }
  });

  it('403: every item failed as blocked', async () => {
    answers('post', '/api/v4/calls', [() => new HttpResponse('<html>403 Forbidden</html>', { status: 403 })]);
    const { adapter } = makeAdapter();
    const [r] = await adapter.logCalls([callToLog(1)]);
    expect(r?.status === 'failed' && r.error.failure.kind).toBe('blocked');
  });

  it('an empty list sends nothing', async () => {
    const { adapter } = makeAdapter();
    expect(await adapter.logCalls([])).toEqual([]);
  });
});

describe('findContacts', () => {
  const contact = (id: number, name: string, fields: unknown) => ({ id, name, custom_fields_values: fields });
  const phoneField = (...values: string[]) => ({ field_id: 1, field_code: 'PHONE', values: values.map((value) => ({ value, enum_code: 'WORK' })) });

  it('searches by the last 10 digits and keeps only contacts whose PHONE field has them', async () => {
    const requests = answers('get', '/api/v4/contacts', [
      () =>
        HttpResponse.json({
          _embedded: {
            contacts: [
              contact(1, 'Ivan', [phoneField('8 (495) 123-45-67')]),
              contact(2, 'Shop 4951234567', [phoneField('+7 999 000-00-00')]),
              contact(3, 'No fields', null),
              contact(4, 'Email only', [{ field_code: 'EMAIL', values: [{ value: '4951234567@example.com' }] }]),
              contact(5, 'Two phones', [phoneField('+7 916 000-11-22', '+7 (495) 123-45-67')]),
              contact(6, 'Longer number', [phoneField('+7 495 123-45-678')]),
            ],
          },
        }),
    ]);
    const { adapter } = makeAdapter();
    const found = await adapter.findContacts('+7 495 123-45-67');
    expect(found).toEqual([
      { id: 1, name: 'Ivan', phones: ['8 (495) 123-45-67'] },
      { id: 5, name: 'Two phones', phones: ['+7 916 000-11-22', '+7 (495) 123-45-67'] },
    ]);
    expect(requests[0]?.url.searchParams.get('query')).toBe('4951234567');
  });

  it('204 is no contact', async () => {
    answers('get', '/api/v4/contacts', [() => new HttpResponse(null, { status: 204 })]);
    const { adapter } = makeAdapter();
    expect(await adapter.findContacts('+74951234567')).toEqual([]);
  });

  it('a number too short to match asks nothing', async () => {
    const requests = answers('get', '/api/v4/contacts', [() => HttpResponse.json({ _embedded: { contacts: [] } })]);
    const { adapter } = makeAdapter();
    expect(await adapter.findContacts('103')).toEqual([]);
    expect(requests).toHaveLength(0);
  });
});

describe('createContacts', () => {
  it('posts name, PHONE and responsible user, and maps ids by request_id', async () => {
    const requests = answers('post', '/api/v4/contacts', [
      () =>
        HttpResponse.json({
          _embedded: {
            contacts: [
              { id: 72, request_id: 'c-2' },
              { id: 71, request_id: 'c-1' },
            ],
          },
        }),
    ]);
    const { adapter } = makeAdapter();
    const created = await adapter.createContacts([
      { requestId: 'c-1', name: 'Caller 1', phone: '+74951230001', userId: 1205 },
      { requestId: 'c-2', name: 'Caller 2', phone: '+74951230002', userId: null },
    ]);
    expect(created).toEqual([
      { id: 71, name: 'Caller 1', phones: ['+74951230001'] },
      { id: 72, name: 'Caller 2', phones: ['+74951230002'] },
    ]);
    expect(requests[0]?.body).toEqual([
      {
        name: 'Caller 1',
        responsible_user_id: 1205,
        created_by: 1205,
        custom_fields_values: [{ field_code: 'PHONE', values: [{ value: '+74951230001', enum_code: 'WORK' }] }],
        request_id: 'c-1',
      },
      { name: 'Caller 2', custom_fields_values: [{ field_code: 'PHONE', values: [{ value: '+74951230002', enum_code: 'WORK' }] }], request_id: 'c-2' },
    ]);
  });

  it('adds the mapped custom fields (one entry per field id) and tags after the PHONE field', async () => {
    const requests = answers('post', '/api/v4/contacts', [() => HttpResponse.json({ _embedded: { contacts: [{ id: 71, request_id: 'c-1' }] } })]);
    const { adapter } = makeAdapter();
    await adapter.createContacts([
      {
        requestId: 'c-1',
        name: 'Caller 1',
        phone: '+74951230001',
        userId: null,
        fields: [
          { fieldId: 501, value: 'PBX' },
          { fieldId: 502, value: 'a@example.com', enumCode: 'WORK' },
          { fieldId: 502, value: 'b@example.com', enumCode: 'PRIV' },
        ],
        tags: ['calltrail', 'ext 205'],
      },
    ]);
    expect(requests[0]?.body).toEqual([
      {
        name: 'Caller 1',
        custom_fields_values: [
          { field_code: 'PHONE', values: [{ value: '+74951230001', enum_code: 'WORK' }] },
          { field_id: 501, values: [{ value: 'PBX' }] },
          {
            field_id: 502,
            values: [
              { value: 'a@example.com', enum_code: 'WORK' },
              { value: 'b@example.com', enum_code: 'PRIV' },
            ],
          },
        ],
        _embedded: { tags: [{ name: 'calltrail' }, { name: 'ext 205' }] },
        request_id: 'c-1',
      },
    ]);
  });

  it('sends at most 100 contacts per request (amoCRM takes 250 per write)', async () => {
    const requests = answers('post', '/api/v4/contacts', [
      (body) => HttpResponse.json({ _embedded: { contacts: (body as { request_id: string }[]).map((c, i) => ({ id: i + 1, request_id: c.request_id })) } }),
    ]);
    const { adapter } = makeAdapter();
    const contacts = Array.from({ length: 101 }, (_, i) => ({
      requestId: `c-${i}`,
      name: `Caller ${i}`,
      phone: `+7495000${String(i).padStart(4, '0')}`,
      userId: null,
    }));
    const created = await adapter.createContacts(contacts);
    expect(requests.map((r) => (r.body as unknown[]).length)).toEqual([100, 1]);
    expect(created).toHaveLength(101);
    expect(created[100]?.phones).toEqual(['+74950000100']);
  });
});

describe('createUnknownCallerLeads', () => {
  const created = (body: unknown) =>
    HttpResponse.json({
      _total_items: (body as unknown[]).length,
      _embedded: {
        unsorted: (body as { request_id: string; source_uid: string }[]).map((item, i) => ({
          uid: `uid-${item.source_uid}`,
          request_id: item.request_id,
          _embedded: { leads: [{ id: 300 + i }], contacts: [{ id: 400 + i }] },
        })),
      },
    });

  // Encodes the adapter as written: inbound from = caller, phone = our extension. Unconfirmed:
  // amoCRM's own example (phone: the customer's number, from: "onlinePBX") and the sandbox
  // (contact phone = metadata.phone) read the two fields the other way round.
  it('posts an unsorted SIP item per call: phone is the client’s number, from is our side (as in amoCRM’s example)', async () => {
    const requests = answers('post', '/api/v4/leads/unsorted/sip', [created]);
    const { adapter } = makeAdapter();
    const results = await adapter.createUnknownCallerLeads([callToLog(1), callToLog(2, { direction: 'outbound', extension: null, link: null })]);
    expect(results).toEqual([
      { status: 'created', uid: 'uid-ct1-0001', leadId: 300, contactId: 400 },
      { status: 'created', uid: 'uid-ct1-0002', leadId: 301, contactId: 401 },
    ]);
    const called = 1795158000;
    expect(requests[0]?.body).toEqual([
      {
        source_uid: 'ct1-0001',
        source_name: 'calltrail',
        pipeline_id: 77,
        created_at: called,
        request_id: 'd-1',
        metadata: {
          uniq: 'ct1-0001',
          from: 'calltrail 205',
          phone: '+74951230001',
          called_at: called,
          duration: 185,
          link: 'https://pbx.example/r/0001.mp3',
          service_code: 'ct_sip',
          is_call_event_needed: true,
        },
        _embedded: {
          leads: [{ name: 'Call 0001' }],
          contacts: [{ name: 'Caller 0001', custom_fields_values: [{ field_code: 'PHONE', values: [{ value: '+74951230001', enum_code: 'WORK' }] }] }],
        },
      },
      {
        source_uid: 'ct1-0002',
        source_name: 'calltrail',
        pipeline_id: 77,
        created_at: called,
        request_id: 'd-2',
        metadata: {
          uniq: 'ct1-0002',
          // With no extension, the source alone stands for us.
          from: 'calltrail',
          phone: '+74951230002',
          called_at: called,
          duration: 185,
          service_code: 'ct_sip',
          is_call_event_needed: true,
        },
        _embedded: {
          leads: [{ name: 'Call 0002' }],
          contacts: [{ name: 'Caller 0002', custom_fields_values: [{ field_code: 'PHONE', values: [{ value: '+74951230002', enum_code: 'WORK' }] }] }],
        },
      },
    ]);
  });

  it('puts the mapped fields, tags and status on the lead and the contact; the mapped pipeline when unsorted names none', async () => {
    const requests = answers('post', '/api/v4/leads/unsorted/sip', [created]);
    const { adapter } = makeAdapter({ unsorted: { pipelineId: null, serviceCode: 'x' } });
    const mapping = {
      contact: { fields: [{ fieldId: 501, value: 'PBX' }], tags: ['caller'] },
      lead: { fields: [{ fieldId: 601, value: '2026-11-20 10:00' }], tags: ['missed', 'ext 205'], pipelineId: 88, statusId: 142 },
    };
    await adapter.createUnknownCallerLeads([callToLog(1, { mapping })]);
    const [item] = (requests[0]?.body as Record<string, unknown>[] | undefined) ?? [];
    expect(item).toMatchObject({ pipeline_id: 88 });
    expect(item?._embedded).toEqual({
      leads: [
        {
          name: 'Call 0001',
          status_id: 142,
          custom_fields_values: [{ field_id: 601, values: [{ value: '2026-11-20 10:00' }] }],
          _embedded: { tags: [{ name: 'missed' }, { name: 'ext 205' }] },
        },
      ],
      contacts: [
        {
          name: 'Caller 0001',
          custom_fields_values: [
            { field_code: 'PHONE', values: [{ value: '+74951230001', enum_code: 'WORK' }] },
            { field_id: 501, values: [{ value: 'PBX' }] },
          ],
          _embedded: { tags: [{ name: 'caller' }] },
        },
      ],
    });
  });

  it('keeps crm.unsorted.pipeline_id over the mapped pipeline', async () => {
    const requests = answers('post', '/api/v4/leads/unsorted/sip', [created]);
    const { adapter } = makeAdapter();
    const mapping = { contact: { fields: [], tags: [] }, lead: { fields: [], tags: [], pipelineId: 88, statusId: null } };
    await adapter.createUnknownCallerLeads([callToLog(1, { mapping })]);
    expect(requests[0]?.body).toEqual([expect.objectContaining({ pipeline_id: 77 })]);
  });

  it('leaves pipeline_id out for the main pipeline', async () => {
    const requests = answers('post', '/api/v4/leads/unsorted/sip', [created]);
    const { adapter } = makeAdapter({ unsorted: { pipelineId: null, serviceCode: 'x' } });
    await adapter.createUnknownCallerLeads([callToLog(1)]);
    expect(requests[0]?.body).toEqual([expect.not.objectContaining({ pipeline_id: expect.anything() })]);
  });

  it('a duplicate uniq is `duplicate` for that item; the others are resent and created', async () => {
    const requests = answers('post', '/api/v4/leads/unsorted/sip', [
      () =>
        HttpResponse.json(
          {
            'validation-errors': [
              { request_id: 'd-2', errors: [{ code: 'Duplicate', path: 'metadata.uniq', detail: 'Unsorted with uniq ct1-0002 already exists' }] },
            ],
            title: 'Bad Request',
            status: 400,
          },
          { status: 400 },
        ),
      created,
    ]);
    const { adapter } = makeAdapter();
    const results = await adapter.createUnknownCallerLeads([callToLog(1), callToLog(2), callToLog(3)]);
    expect(results.map((r) => r.status)).toEqual(['created', 'duplicate', 'created']);
    expect(requests).toHaveLength(2);
    expect((requests[1]?.body as { request_id: string }[] | undefined)?.map((i) => i.request_id)).toEqual(['d-1', 'd-3']);
  });

  it('other validation errors reject that item with the reason', async () => {
    answers('post', '/api/v4/leads/unsorted/sip', [
      () =>
        HttpResponse.json(
          { 'validation-errors': [{ request_id: '0', errors: [{ code: 'NotBlank', path: 'metadata.phone', detail: 'This value should not be blank.' }] }] },
          { status: 400 },
        ),
      created,
    ]);
    const { adapter } = makeAdapter();
    const results = await adapter.createUnknownCallerLeads([callToLog(1), callToLog(2)]);
    expect(results[0]).toEqual({ status: 'rejected', reason: 'metadata.phone: This value should not be blank.' });
    expect(results[1]?.status).toBe('created');
  });

  it('a 400 naming no item rejects them all, without a resend', async () => {
    const requests = answers('post', '/api/v4/leads/unsorted/sip', [
      () => HttpResponse.json({ title: 'Bad Request', detail: 'Unknown pipeline' }, { status: 400 }),
    ]);
    const { adapter } = makeAdapter();
    const results = await adapter.createUnknownCallerLeads([callToLog(1), callToLog(2)]);
    expect(results).toEqual([
      { status: 'rejected', reason: 'Bad Request: Unknown pipeline' },
      { status: 'rejected', reason: 'Bad Request: Unknown pipeline' },
    ]);
    expect(requests).toHaveLength(1);
  });
});

describe('listLoggedCalls', () => {
  const window = { from: new Date('2026-11-20T00:00:00.500Z'), to: new Date('2026-11-20T06:00:00.500Z') };
  const note = (id: number, params: Record<string, unknown> | null, over: Record<string, unknown> = {}) => ({
    id,
    entity_id: id * 10,
    note_type: 'call_in',
    updated_at: 1795132800 + id,
    params,
    ...over,
  });
  const full = (from: number) => Array.from({ length: 250 }, (_, i) => note(from + i, { uniq: `u-${from + i}`, duration: 5 }));

  async function collect(iterable: AsyncIterable<LoggedCallsPage>) {
    const pages: LoggedCall[][] = [];
    for await (const page of iterable) {
      pages.push(page.calls);
      if (pages.length > 20) throw new Error('listLoggedCalls does not stop');
    }
    return pages;
  }

  it('walks every entity type, follows full pages with a next link, stops on 204 and short pages', async () => {
    const asked: { type: string; query: URLSearchParams }[] = [];
    server.use(
      rest.get(url('/api/v4/:type/notes'), ({ request, params }) => {
        const query = new URL(request.url).searchParams;
        const type = String(params.type);
        asked.push({ type, query });
        const page = Number(query.get('page'));
        const next = { next: { href: `${BASE_URL}/api/v4/${type}/notes?page=${page + 1}` } };
        if (type === 'leads' && page === 1) return HttpResponse.json({ _page: 1, _links: next, _embedded: { notes: full(1) } });
        if (type === 'leads' && page === 2) return HttpResponse.json({ _page: 2, _links: next, _embedded: { notes: full(251) } });
        if (type === 'leads' && page === 3) return new HttpResponse(null, { status: 204 });
        if (type === 'contacts' && page === 1) return new HttpResponse(null, { status: 204 });
        // A full page without a next link is the last one.
        if (type === 'companies' && page === 1) return HttpResponse.json({ _page: 1, _links: {}, _embedded: { notes: full(1001) } });
        // A short page is the last one, whatever its links say.
        if (type === 'customers' && page === 1) return HttpResponse.json({ _page: 1, _links: next, _embedded: { notes: full(2001).slice(0, 3) } });
        return HttpResponse.json({ title: `unexpected ${type} page ${page}` }, { status: 404 });
      }),
    );
    const { adapter } = makeAdapter();
    const pages = await collect(adapter.listLoggedCalls(window));
    expect(asked.map((a) => `${a.type}:${a.query.get('page')}`).sort()).toEqual(
      ['companies:1', 'contacts:1', 'customers:1', 'leads:1', 'leads:2', 'leads:3'].sort(),
    );
    expect([...NOTE_ENTITY_TYPES].sort()).toEqual(['companies', 'contacts', 'customers', 'leads']);
    // Empty answers (204) come as empty pages, so a resumed listing knows they were read.
    expect(pages.map((p) => p.length).sort((a, b) => a - b)).toEqual([0, 0, 3, 250, 250, 250]);
    expect(pages.flat().filter((c) => c.entityType === 'leads')).toHaveLength(500);
    for (const { query } of asked) {
      expect(query.getAll('filter[note_type][]')).toEqual(['call_in', 'call_out']);
      expect(query.get('filter[updated_at][from]')).toBe(String(Math.floor(window.from.getTime() / 1000)));
      expect(query.get('filter[updated_at][to]')).toBe(String(Math.ceil(window.to.getTime() / 1000)));
      expect(query.get('limit')).toBe('250');
      // By id: a note changed during the listing keeps its place in it.
      expect(query.get('order[id]')).toBe('asc');
      expect(query.get('order[updated_at]')).toBeNull();
    }
  });

  it('turns call notes into logged calls and skips notes without a uniq', async () => {
    server.use(
      rest.get(url('/api/v4/:type/notes'), ({ params }) =>
        params.type !== 'contacts'
          ? new HttpResponse(null, { status: 204 })
          : HttpResponse.json({
              _embedded: {
                notes: [
                  note(1, { uniq: 'ct1-a', duration: '42', link: 'https://pbx.example/a.mp3', phone: '+74951230001', source: 'calltrail' }),
                  note(2, { duration: 10, phone: '+74951230002' }),
                  note(3, null),
                  note(4, { uniq: '', duration: 1 }),
                  note(5, { uniq: 'ct1-b', duration: null, link: null }, { note_type: 'call_out' }),
                  note(6, { uniq: 'ct1-c', duration: 'n/a' }),
                ],
              },
            }),
      ),
    );
    const { adapter } = makeAdapter();
    const calls = (await collect(adapter.listLoggedCalls(window))).flat();
    expect(calls).toEqual([
      {
        noteId: 1,
        entityId: 10,
        entityType: 'contacts',
        uniq: 'ct1-a',
        link: 'https://pbx.example/a.mp3',
        phone: '+74951230001',
        durationSeconds: 42,
        updatedAt: new Date((1795132800 + 1) * 1000),
      },
      {
        noteId: 5,
        entityId: 50,
        entityType: 'contacts',
        uniq: 'ct1-b',
        link: null,
        phone: null,
        durationSeconds: null,
        updatedAt: new Date((1795132800 + 5) * 1000),
      },
      {
        noteId: 6,
        entityId: 60,
        entityType: 'contacts',
        uniq: 'ct1-c',
        link: null,
        phone: null,
        durationSeconds: null,
        updatedAt: new Date((1795132800 + 6) * 1000),
      },
    ]);
  });

  it('resumes from a position: that entity type from that page, then the types after it', async () => {
    const asked: string[] = [];
    server.use(
      rest.get(url('/api/v4/:type/notes'), ({ request, params }) => {
        const page = Number(new URL(request.url).searchParams.get('page'));
        asked.push(`${String(params.type)}:${page}`);
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const { adapter } = makeAdapter();
    const positions: string[] = [];
    for await (const p of adapter.listLoggedCalls(window, { entityType: 'contacts', page: 7 })) positions.push(`${p.position.entityType}:${p.position.page}`);
    expect(asked).toEqual(['contacts:7', 'leads:1', 'companies:1', 'customers:1']);
    expect(positions).toEqual(['contacts:7', 'leads:1', 'companies:1', 'customers:1']);
  });

  it('gives each page its position and where the listing goes on from it', async () => {
    server.use(
      rest.get(url('/api/v4/:type/notes'), ({ request, params }) => {
        const page = Number(new URL(request.url).searchParams.get('page'));
        if (params.type === 'leads' && page === 1) return HttpResponse.json({ _links: { next: { href: 'x' } }, _embedded: { notes: full(1) } });
        if (params.type === 'leads' && page === 2) return HttpResponse.json({ _embedded: { notes: full(251).slice(0, 2) } });
        if (params.type === 'customers' && page === 1) return HttpResponse.json({ _embedded: { notes: full(501).slice(0, 1) } });
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const { adapter } = makeAdapter();
    const positions = [];
    for await (const p of adapter.listLoggedCalls(window)) positions.push({ at: p.position, next: p.next, notes: p.calls.length });
    expect(positions).toEqual([
      { at: { entityType: 'contacts', page: 1 }, next: { entityType: 'leads', page: 1 }, notes: 0 },
      { at: { entityType: 'leads', page: 1 }, next: { entityType: 'leads', page: 2 }, notes: 250 },
      { at: { entityType: 'leads', page: 2 }, next: { entityType: 'companies', page: 1 }, notes: 2 },
      { at: { entityType: 'companies', page: 1 }, next: { entityType: 'customers', page: 1 }, notes: 0 },
      { at: { entityType: 'customers', page: 1 }, next: null, notes: 1 },
    ]);
  });

  it('an answer of the wrong shape fails as unavailable', async () => {
    server.use(rest.get(url('/api/v4/:type/notes'), () => HttpResponse.json({ notes: [] })));
    const { adapter } = makeAdapter();
    const error = await collect(adapter.listLoggedCalls(window)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CrmError);
    expect((error as CrmError).failure.kind).toBe('unavailable');
  });
});

describe('updateLoggedCalls', () => {
  it('PATCHes the notes of each entity type, with the call’s params', async () => {
    const patches: { type: string; body: unknown }[] = [];
    server.use(
      rest.patch(url('/api/v4/:type/notes'), async ({ request, params }) => {
        patches.push({ type: String(params.type), body: await request.json() });
        return HttpResponse.json({ _embedded: { notes: [] } });
      }),
    );
    const { adapter } = makeAdapter();
    const call = (n: number, over: Partial<CallToLog> = {}) => callToLog(n, over);
    await adapter.updateLoggedCalls([
      { ref: { noteId: 11, entityId: 101, entityType: 'leads' }, call: call(1) },
      { ref: { noteId: '12', entityId: '102', entityType: 'contacts' }, call: call(2, { direction: 'outbound', link: null, resultText: null }) },
      { ref: { noteId: 13, entityId: 103, entityType: 'leads' }, call: call(3) },
    ]);
    expect(patches.map((p) => p.type).sort()).toEqual(['contacts', 'leads']);
    const leads = patches.find((p) => p.type === 'leads')?.body as { id: number; params: Record<string, unknown> }[];
    expect(leads.map((n) => n.id)).toEqual([11, 13]);
    expect(leads[0]).toEqual({
      id: 11,
      entity_id: 101,
      note_type: 'call_in',
      params: {
        uniq: 'ct1-0001',
        duration: 185,
        source: 'calltrail',
        phone: '+74951230001',
        link: 'https://pbx.example/r/0001.mp3',
        call_status: 4,
        call_result: 'Разговор состоялся',
      },
    });
    expect(patches.find((p) => p.type === 'contacts')?.body).toEqual([
      {
        id: 12,
        entity_id: 102,
        note_type: 'call_out',
        params: { uniq: 'ct1-0002', duration: 185, source: 'calltrail', phone: '+74951230002', link: null, call_status: 4 },
      },
    ]);
  });

  it('sends nothing for no updates', async () => {
    const { adapter } = makeAdapter();
    await adapter.updateLoggedCalls([]);
  });
});

describe('tasks', () => {
  it('addTasks posts text, unix complete_till, task type and entity, and maps ids', async () => {
    const requests = answers('post', '/api/v4/tasks', [
      () =>
        HttpResponse.json({
          _embedded: {
            tasks: [
              { id: 9002, request_id: 't-2' },
              { id: 9001, request_id: 't-1' },
            ],
          },
        }),
    ]);
    const { adapter } = makeAdapter({ taskTypeId: 3 });
    const due = new Date('2026-11-20T08:45:30.700Z');
    const tasks = await adapter.addTasks([
      { requestId: 't-1', text: 'Call back', dueAt: due, entity: { entityId: '55', entityType: 'leads' }, userId: 1205 },
      { requestId: 't-2', text: 'Call back too', dueAt: due, entity: { entityId: 56, entityType: 'contacts' }, userId: null },
    ]);
    expect(tasks).toEqual([
      { id: 9001, text: 'Call back', dueAt: due },
      { id: 9002, text: 'Call back too', dueAt: due },
    ]);
    expect(requests[0]?.body).toEqual([
      {
        text: 'Call back',
        complete_till: Math.floor(due.getTime() / 1000),
        entity_id: 55,
        entity_type: 'leads',
        task_type_id: 3,
        responsible_user_id: 1205,
        request_id: 't-1',
      },
      { text: 'Call back too', complete_till: Math.floor(due.getTime() / 1000), entity_id: 56, entity_type: 'contacts', task_type_id: 3, request_id: 't-2' },
    ]);
  });

  it('findTasks filters by entity and time and reads complete_till', async () => {
    const requests = answers('get', '/api/v4/tasks', [
      () => HttpResponse.json({ _embedded: { tasks: [{ id: 1, text: 'Call back', complete_till: 1795160000 }] } }),
      () => new HttpResponse(null, { status: 204 }),
    ]);
    const { adapter } = makeAdapter();
    const since = new Date('2026-11-20T07:00:00.900Z');
    expect(await adapter.findTasks({ entityId: 55, entityType: 'leads' }, since)).toEqual([{ id: 1, text: 'Call back', dueAt: new Date(1795160000 * 1000) }]);
    const query = requests[0]?.url.searchParams;
    expect(query?.get('filter[entity_type]')).toBe('leads');
    expect(query?.getAll('filter[entity_id][]')).toEqual(['55']);
    expect(query?.get('filter[updated_at][from]')).toBe('1795158000');
    expect(await adapter.findTasks({ entityId: 55, entityType: 'leads' }, since)).toEqual([]);
  });
});

describe('helpers', () => {
  it('pluralEntity maps amoCRM’s singular entity types and keeps the rest', () => {
    expect(['contact', 'lead', 'company', 'customer', 'leads'].map(pluralEntity)).toEqual(['contacts', 'leads', 'companies', 'customers', 'leads']);
  });

  it('last10 keeps the last ten digits', () => {
    expect(last10('+7 (495) 123-45-67')).toBe('4951234567');
    expect(last10('8 495 123 45 67')).toBe('4951234567');
    expect(last10('103')).toBe('103');
  });
});
