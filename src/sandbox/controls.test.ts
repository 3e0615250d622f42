import { describe, expect, it } from 'vitest';
import { createAmoSandbox } from './index';
import { call, callItem, TEST_TOKEN, testSandbox } from './testing';

describe('sandbox controls and account', () => {
  it('seeds the demo account', async () => {
    const { sb } = testSandbox({ seed: 'demo' });
    const users = await call(sb, 'GET', '/api/v4/users');
    expect(users.json._embedded.users.map((u: { id: number; name: string }) => [u.id, u.name])).toEqual([
      [1000, 'Admin'],
      [1001, 'Anna (101)'],
      [1002, 'Boris (102)'],
    ]);
    const [ivan, olga, romashka] = sb.store.contacts();
    expect(ivan).toMatchObject({ name: 'Ivan Petrov', phones: [{ value: '+7 495 123-45-67', enum_code: 'WORK' }], lead_ids: [], customer_ids: [] });
    expect(olga).toMatchObject({ name: 'Olga Smirnova', phones: [{ value: '8 (916) 555-12-34', enum_code: 'MOB' }] });
    expect(olga?.lead_ids).toHaveLength(1);
    expect(romashka?.customer_ids).toHaveLength(1);
  });

  it('describes the account', async () => {
    const { sb } = testSandbox({ subdomain: 'acme' });
    const res = await call(sb, 'GET', '/api/v4/account');
    expect(res.json).toMatchObject({ id: sb.store.accountId, subdomain: 'acme', current_user_id: 1000 });
  });

  it('loses a call note, or its recording link, on request (for reconciliation demos and tests)', async () => {
    const { sb } = testSandbox({ seed: 'demo' });
    await call(sb, 'POST', '/api/v4/calls', [
      callItem('+74951234567', { uniq: 'lose-1', link: 'https://pbx.example/1.mp3' }),
      callItem('+74951234567', { uniq: 'keep-1', link: 'https://pbx.example/2.mp3' }),
    ]);
    expect(sb.store.notesByUniq('lose-1')).toHaveLength(1);
    const unlinked = await sb.app.request('/__sandbox/notes/keep-1/link', { method: 'DELETE' });
    expect(await unlinked.json()).toEqual({ unlinked: 1 });
    expect(sb.store.notesByUniq('keep-1')[0]?.params.link).toBeUndefined();
    const deleted = await sb.app.request('/__sandbox/notes/lose-1', { method: 'DELETE' });
    expect(await deleted.json()).toEqual({ deleted: 1 });
    expect(sb.store.notesByUniq('lose-1')).toEqual([]);
    expect(sb.store.notesByUniq('keep-1')).toHaveLength(1);
    expect((await sb.app.request('/__sandbox/notes/lose-1', { method: 'DELETE' })).status).toBe(404);
  });

  it('exposes state and stats, and adds contacts over HTTP', async () => {
    const { sb } = testSandbox();
    const added = await sb.app.request('/__sandbox/contacts', {
      method: 'POST',
      body: JSON.stringify({ name: 'Demo', phones: ['+7 999 000-00-01'], leads: 1 }),
    });
    expect(added.status).toBe(201);
    await call(sb, 'POST', '/api/v4/calls', [callItem('+79990000001', { uniq: 'x' })]);
    await call(sb, 'GET', '/api/v4/contacts/1000001');
    await call(sb, 'GET', '/api/v4/nope');

    const state = (await (await sb.app.request('/__sandbox/state')).json()) as Record<string, unknown[]>;
    expect(state.contacts).toHaveLength(1);
    expect(state.leads).toHaveLength(1);
    expect(state.notes).toEqual([expect.objectContaining({ entity_type: 'leads', note_type: 'call_in' })]);

    const stats = await (await sb.app.request('/__sandbox/stats')).json();
    expect(stats).toEqual({
      requests: 3,
      byRoute: { 'POST /api/v4/calls': 1, 'GET /api/v4/contacts/{id}': 1, 'GET /api/v4/nope': 1 },
      byStatus: { 200: 2, 404: 1 },
      rateLimited: 0,
      blocked: false,
      blockedRequests: 0,
      refreshes: 0,
      faultsInjected: 0,
      notesWritten: 1,
    });
    expect(sb.stats()).toEqual(stats);
  });

  it('answers unknown API paths with 404 problem json (after auth)', async () => {
    const { sb } = testSandbox();
    const res = await call(sb, 'GET', '/api/v4/leads/pipelines/x');
    expect(res.status).toBe(404);
    expect(res.contentType).toContain('application/problem+json');
    expect((await call(sb, 'GET', '/api/v4/leads/pipelines/x', undefined, null)).status).toBe(401);
  });

  it('delays API requests by latencyMs and serves through fetch()', async () => {
    const sb = createAmoSandbox({ latencyMs: 60, longLivedTokens: [TEST_TOKEN] });
    const started = performance.now();
    const res = await sb.fetch(new Request('http://crm.test/api/v4/account', { headers: { authorization: `Bearer ${TEST_TOKEN}` } }));
    expect(res.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(50);
  });

  it('is deterministic: the same options give the same ids, tokens and uids', async () => {
    const run = async () => {
      const client = { id: 'c', secret: 's', redirectUri: 'https://x.example/cb' };
      const { sb } = testSandbox({ seed: 'demo', oauthClients: [client] });
      const code = sb.store.issueAuthorizationCode('c');
      const res = await call(sb, 'POST', '/api/v4/leads/unsorted/sip', [
        { source_uid: 's', source_name: 'PBX', metadata: { uniq: 'u', from: 'x', phone: '1', called_at: 0, duration: 0, service_code: 'pbx' } },
      ]);
      return { code, uid: res.json._embedded.unsorted[0].uid, contacts: sb.store.contacts().map((c) => c.id) };
    };
    expect(await run()).toEqual(await run());
  });
});
