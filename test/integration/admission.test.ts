/**
 * Bad input stops at the door (issue 13, item 6), on PGlite and on PostgreSQL: NUL characters and
 * lone surrogates, an answered call without answered_at, durations past max_call_seconds, times a
 * day ahead or before any real call, numbers past int4 — a 400 naming the field, nothing stored —
 * at the webhook and on the ingest paths that bypass it; and admin filters that would have been a
 * 500 are a 400 with a message.
 */
import { describe, expect, it } from 'vitest';
import { inboxDeps } from '../../src/deps';
import { ingestMany, reprocessInbox } from '../../src/ledger/inbox';
import { genericParser } from '../../src/pbx/generic/parse';
import aLeg from '../../src/pbx/freeswitch/fixtures/a-leg-inbound-recorded.json';
import { ADMIN_TOKEN, harness, type Harness } from '#test/app';
import { useTestDb } from '#test/db';
import { callEnded } from '#test/events';
import { counts } from '#test/ledger';

const testDb = useTestDb();

async function refused(res: Response, message: RegExp) {
  expect(res.status).toBe(400);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error.message).toMatch(message);
  return body.error;
}

describe('the generic webhook refuses, naming the field, and stores nothing', () => {
  it.each([
    ['a NUL character in from', { from: '+7495\u00001234567' }, /^from: contains a NUL character \(call "call-1"\)/],
    ['a lone surrogate in call_id', { call_id: 'call-\ud800' }, /call_id: contains a lone UTF-16 surrogate/],
    ['a lone surrogate in extension', { extension: '10\udc001' }, /extension: contains a lone UTF-16 surrogate/],
    ['an answered call without answered_at', { answered_at: null }, /answered_at: is required when disposition is "answered"/],
    [
      'a call of more than a day',
      { ended_at: '2026-11-21T10:00:06+03:00' },
      /ended_at: the leg lasts 86406 s from started_at, more than max_call_seconds \(86400\)/,
    ],
    ['talk seconds past int4', { answered_at: null, talk_seconds: 3_000_000_000 }, /talk_seconds: 3000000000 is more than max_call_seconds/],
    [
      'a call more than a day in the future',
      { started_at: '2026-11-22T10:00:00+03:00', answered_at: null, ended_at: '2026-11-22T10:01:00+03:00', disposition: 'no_answer' },
      /started_at: 2026-11-22T07:00:00.000Z is more than a day in the future/,
    ],
  ])('%s', async (_name, overrides, message) => {
    const h = harness(testDb());
    await refused(await h.post(callEnded(overrides)), message);
    expect(await counts(h.deps.db)).toMatchObject({ inbox: 0, conversations: 0, legs: 0 });
  });

  it('takes an answered call without answered_at when the PBX gives its talk time', async () => {
    const h = harness(testDb());
    expect((await h.post(callEnded({ answered_at: null, talk_seconds: 170 }))).status).toBe(202);
  });

  it('refuses a leg longer than a configured max_call_seconds', async () => {
    const h = harness(testDb(), { config: { max_call_seconds: 600 } });
    await refused(
      await h.post(callEnded({ ended_at: '2026-11-20T10:10:01+03:00' })),
      /ended_at: the leg lasts 601 s from started_at, more than max_call_seconds \(600\)/,
    );
    expect((await h.post(callEnded({ call_id: 'ok', ended_at: '2026-11-20T10:10:00+03:00' }))).status).toBe(202);
  });
});

describe('every source: the same admission', () => {
  it('FreeSWITCH: a NUL in the leg uuid of the query (kept with the body) is a 400', async () => {
    const credentials = 'fs-cdr:S3cr3t-0123456789';
    const h = harness(testDb(), { env: { FREESWITCH_BASIC_AUTH: credentials } });
    const res = await h.app.request('/v1/pbx/freeswitch?uuid=a%00b', {
      method: 'POST',
      body: `cdr=${encodeURIComponent(JSON.stringify(aLeg))}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(credentials).toString('base64')}` },
    });
    await refused(res, /meta\.uuid: contains a NUL character/);
    expect(await counts(h.deps.db)).toMatchObject({ inbox: 0 });
  });
});

describe('ingest paths that bypass the door (import, FreePBX poller, reconciliation)', () => {
  it('refuse a bad body with its message and store nothing, while the good bodies of the batch go in', async () => {
    const h = harness(testDb());
    const deps = inboxDeps(h.deps);
    const input = (event: Record<string, unknown>) => {
      const raw = JSON.stringify(event);
      return { source: 'generic', raw, events: genericParser.parse(raw, {}, deps.ctx.parse) };
    };
    const results = await ingestMany(deps, [
      input(callEnded({ call_id: 'good-1' })),
      input(callEnded({ call_id: 'bad-1', to: '10\u00001' })),
      { ...input(callEnded({ call_id: 'good-2' })), meta: { first_line: '7' } },
      { ...input(callEnded({ call_id: 'bad-2' })), meta: { columns: 'x\u0000' } },
    ]);
    expect(results.map((r) => r.status)).toEqual(['processed', 'refused', 'processed', 'refused']);
    expect(results[1]).toMatchObject({ inboxId: null, error: expect.stringMatching(/^to: contains a NUL character/) });
    expect(results[3]).toMatchObject({ error: 'meta.columns: contains a NUL character' });
    expect(await counts(h.deps.db)).toMatchObject({ inbox: 2, conversations: 2 });
    expect(await reprocessInbox(deps, { allFailed: true })).toEqual({ processed: [], failed: [] });
  });

  it('use the configured max_call_seconds too', async () => {
    const h = harness(testDb(), { config: { max_call_seconds: 120 } });
    const deps = inboxDeps(h.deps);
    const raw = JSON.stringify(callEnded());
    const [result] = await ingestMany(deps, [{ source: 'generic', raw, events: genericParser.parse(raw, {}, deps.ctx.parse) }]);
    expect(result).toMatchObject({ status: 'refused', error: expect.stringMatching(/more than max_call_seconds \(120\)/) });
  });
});

describe('admin filters', () => {
  const api = (h: Harness, query: string) => h.admin(`/v1/calls?${query}`);

  it.each([
    ['phone=%00', /^phone: contains a NUL character/],
    ['extension=1%000', /^extension: contains a NUL character/],
    ['cursor=%00', /^cursor: contains a NUL character/],
    // A cursor in the API's own format, but at a time PostgreSQL cannot hold.
    [
      `cursor=${Buffer.from('-271821-04-20T00:00:00.000Z|00000000-0000-4000-8000-000000000000').toString('base64url')}`,
      /^cursor: not a cursor this API returned/,
    ],
  ])('GET /v1/calls?%s is a 400 with a message', async (query, message) => {
    const h = harness(testDb());
    const error = await refused(await api(h, query), message);
    expect(error.code).toBe('invalid_query');
  });

  it('the console search answers 400 with the message on the page', async () => {
    const h = harness(testDb());
    const login = await h.app.request('/admin/login', {
      method: 'POST',
      headers: { origin: 'http://localhost', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: ADMIN_TOKEN, next: '/admin' }).toString(),
    });
    const cookie = /^(calltrail_admin=[^;]+)/.exec(login.headers.get('set-cookie') ?? '')?.[1] ?? '';
    for (const [query, message] of [
      ['phone=%2B7%00495', 'phone: contains a NUL character'],
      ['extension=%00', 'extension: contains a NUL character'],
      [
        `cursor=${Buffer.from('+275760-09-13T00:00:00.000Z|00000000-0000-4000-8000-000000000000').toString('base64url')}`,
        'that page link is not valid any more',
      ],
    ] as const) {
      const res = await h.app.request(`/admin/calls?${query}`, { headers: { cookie } });
      expect(res.status, query).toBe(400);
      expect(await res.text(), query).toContain(message);
    }
  });
});
