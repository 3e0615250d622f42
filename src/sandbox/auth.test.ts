import { describe, expect, it } from 'vitest';
import { call, testSandbox } from './testing';

const client = { id: 'client-1', secret: 's3cret', redirectUri: 'https://calltrail.example/oauth/callback' };

function oauthSandbox() {
  return testSandbox({ oauthClients: [client], longLivedTokens: [] });
}

async function token(sb: ReturnType<typeof oauthSandbox>['sb'], fields: Record<string, string>, form = false) {
  const body = { client_id: client.id, client_secret: client.secret, redirect_uri: client.redirectUri, ...fields };
  const res = await sb.app.request('/oauth2/access_token', {
    method: 'POST',
    headers: { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' },
    body: form ? new URLSearchParams(body).toString() : JSON.stringify(body),
  });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', json: (await res.json()) as Record<string, unknown> };
}

describe('API auth', () => {
  it('answers 401 problem json without a token or with a wrong one', async () => {
    const { sb } = testSandbox();
    for (const t of [null, 'wrong']) {
      const res = await call(sb, 'GET', '/api/v4/account', undefined, t);
      expect(res.status).toBe(401);
      expect(res.contentType).toContain('application/problem+json');
      expect(res.json).toMatchObject({ title: 'Unauthorized', type: 'https://httpstatus.es/401', status: 401, detail: expect.any(String) });
    }
    expect((await call(sb, 'GET', '/api/v4/account')).status).toBe(200);
  });

  it('exchanges a code from the consent redirect for tokens that open the API', async () => {
    const { sb } = oauthSandbox();
    const consent = await sb.app.request(`/oauth?client_id=${client.id}&state=xyz&mode=post_message`);
    expect(consent.status).toBe(302);
    const location = new URL(consent.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(client.redirectUri);
    expect(location.searchParams.get('state')).toBe('xyz');
    expect(location.searchParams.get('referer')).toBe('sandbox.amocrm.ru');
    expect(location.searchParams.get('client_id')).toBe(client.id);
    const code = location.searchParams.get('code') ?? '';

    const pair = await token(sb, { grant_type: 'authorization_code', code }, true);
    expect(pair.status).toBe(200);
    expect(pair.json).toMatchObject({ token_type: 'Bearer', expires_in: 86400, access_token: expect.any(String), refresh_token: expect.any(String) });
    expect((await call(sb, 'GET', '/api/v4/account', undefined, String(pair.json.access_token))).status).toBe(200);

    const reused = await token(sb, { grant_type: 'authorization_code', code });
    expect(reused.status).toBe(400);
    expect(reused.json.hint).toBe('Authorization code has been revoked');
  });

  it('refuses expired codes, wrong secrets and wrong redirect URIs', async () => {
    const { sb, clock } = oauthSandbox();
    const late = sb.store.issueAuthorizationCode(client.id);
    clock.advance(20 * 60_000 + 1000);
    expect((await token(sb, { grant_type: 'authorization_code', code: late })).json.hint).toBe('Authorization code has expired');
    const code = sb.store.issueAuthorizationCode(client.id);
    expect((await token(sb, { grant_type: 'authorization_code', code, client_secret: 'nope' })).status).toBe(401);
    expect((await token(sb, { grant_type: 'authorization_code', code, redirect_uri: 'https://evil.example/' })).status).toBe(401);
    expect((await token(sb, { grant_type: 'password', code })).status).toBe(400);
    expect((await token(sb, { grant_type: 'authorization_code', code })).status).toBe(200);
  });

  it('lets a refresh token work once; the second use is 401 "Token has been revoked"', async () => {
    const { sb } = oauthSandbox();
    const first = await token(sb, { grant_type: 'authorization_code', code: sb.store.issueAuthorizationCode(client.id) });
    const refresh = String(first.json.refresh_token);
    const second = await token(sb, { grant_type: 'refresh_token', refresh_token: refresh });
    expect(second.status).toBe(200);
    expect(second.json.access_token).not.toBe(first.json.access_token);
    expect(second.json.refresh_token).not.toBe(refresh);

    const again = await token(sb, { grant_type: 'refresh_token', refresh_token: refresh });
    expect(again.status).toBe(401);
    expect(again.contentType).toContain('application/problem+json');
    expect(again.json).toEqual({
      title: 'Unauthorized',
      type: 'https://httpstatus.es/401',
      status: 401,
      detail: 'Token has been revoked',
      hint: 'Token has been revoked',
    });

    // The old access token lives on until it expires; the new refresh token works.
    expect((await call(sb, 'GET', '/api/v4/account', undefined, String(first.json.access_token))).status).toBe(200);
    expect((await token(sb, { grant_type: 'refresh_token', refresh_token: String(second.json.refresh_token) })).status).toBe(200);
    expect(sb.stats().refreshes).toBe(2);
  });

  it('rejects an access token once it has expired', async () => {
    const { sb, clock } = testSandbox({ oauthClients: [client], accessTokenTtlSeconds: 600 });
    const pair = await token(sb, { grant_type: 'authorization_code', code: sb.store.issueAuthorizationCode(client.id) });
    expect(pair.json.expires_in).toBe(600);
    const access = String(pair.json.access_token);
    clock.advance(599_000);
    expect((await call(sb, 'GET', '/api/v4/account', undefined, access)).status).toBe(200);
    clock.advance(1000);
    const expired = await call(sb, 'GET', '/api/v4/account', undefined, access);
    expect(expired.status).toBe(401);
    expect(expired.json.detail).toBe('Token has expired');
  });

  it('revokeAllTokens stops every token, long-lived ones included', async () => {
    const { sb } = testSandbox({ oauthClients: [client] });
    const pair = await token(sb, { grant_type: 'authorization_code', code: sb.store.issueAuthorizationCode(client.id) });
    sb.store.revokeAllTokens();
    expect((await call(sb, 'GET', '/api/v4/account')).status).toBe(401);
    expect((await call(sb, 'GET', '/api/v4/account', undefined, String(pair.json.access_token))).status).toBe(401);
    expect((await token(sb, { grant_type: 'refresh_token', refresh_token: String(pair.json.refresh_token) })).json.hint).toBe('Token has been revoked');
  });
});
