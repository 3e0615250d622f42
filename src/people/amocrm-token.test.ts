/**
 * amoCRM's one-time tokens (JWT, HS256 with the integration's secret): tokens are signed here with
 * WebCrypto, independently of the verifier, with the claims amoCRM documents; each way a token can
 * be wrong is refused with its own reason, and the good one yields its user, id, expiry and subdomain.
 */
import { describe, expect, it } from 'vitest';
import { TOKEN_LEEWAY_SECONDS, type TokenExpectations, verifyAmoToken } from './amocrm-token';

const SECRET = 'integration-secret-key-0123456789';
const NOW = new Date('2026-11-20T08:00:00Z');
const T = NOW.getTime() / 1000;
const EXPECT: TokenExpectations = { secret: SECRET, issuerHost: 'example.amocrm.ru', audienceOrigin: 'https://calltrail.example.com', now: NOW };

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const part = (value: unknown) => b64url(new TextEncoder().encode(JSON.stringify(value)));

async function hs256(secret: string, input: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return b64url(new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(input))));
}

const CLAIMS = {
  iss: 'https://example.amocrm.ru',
  aud: 'https://calltrail.example.com',
  jti: '1c1f2b1e-7a0d-4f0e-9a51-3d5b2d6f9e10',
  iat: T - 5,
  nbf: T - 5,
  exp: T + 55,
  account_id: 31000001,
  subdomain: 'example',
  client_uuid: '6a2d4741-0000-4000-8000-92277723dcea',
  user_id: 1001,
};

async function token(claims: Record<string, unknown> = {}, options: { header?: Record<string, unknown>; secret?: string; drop?: string[] } = {}) {
  const body: Record<string, unknown> = { ...CLAIMS, ...claims };
  for (const key of options.drop ?? []) delete body[key];
  const input = `${part(options.header ?? { alg: 'HS256', typ: 'JWT' })}.${part(body)}`;
  return `${input}.${await hs256(options.secret ?? SECRET, input)}`;
}

const reason = async (value: string, expect: TokenExpectations = EXPECT) => {
  const checked = await verifyAmoToken(value, expect);
  return checked.ok ? 'ok' : checked.reason;
};

describe('verifyAmoToken', () => {
  it('takes a token amoCRM signed for this integration: its user, id, expiry and subdomain', async () => {
    expect(await verifyAmoToken(await token(), EXPECT)).toEqual({
      ok: true,
      token: { userId: 1001, jti: CLAIMS.jti, exp: CLAIMS.exp, subdomain: 'example' },
    });
    // The base address with a trailing slash is the same origin.
    expect(await reason(await token({ aud: 'https://calltrail.example.com/' }))).toBe('ok');
  });

  it('refuses a wrong signature: another secret, a changed payload, a cut signature', async () => {
    expect(await reason(await token({}, { secret: 'another-secret' }))).toBe('bad_signature');
    const good = await token();
    const [header, , signature] = good.split('.');
    expect(await reason(`${header}.${part({ ...CLAIMS, user_id: 1 })}.${signature}`)).toBe('bad_signature');
    expect(await reason(`${header}.${good.split('.')[1]}.${signature?.slice(0, 20)}`)).toBe('bad_signature');
  });

  it('refuses alg none and every algorithm but HS256, whatever the signature', async () => {
    const unsigned = `${part({ alg: 'none', typ: 'JWT' })}.${part(CLAIMS)}.`;
    expect(await reason(unsigned)).toBe('unsupported_alg');
    expect(await reason(await token({}, { header: { alg: 'none' } }))).toBe('unsupported_alg');
    expect(await reason(await token({}, { header: { alg: 'HS512' } }))).toBe('unsupported_alg');
    expect(await reason(await token({}, { header: { typ: 'JWT' } }))).toBe('unsupported_alg');
  });

  it('refuses an expired token, with a minute of leeway for clocks', async () => {
    expect(await reason(await token({ exp: T - TOKEN_LEEWAY_SECONDS - 1 }))).toBe('expired');
    expect(await reason(await token({ exp: T - TOKEN_LEEWAY_SECONDS + 1 }))).toBe('ok');
    expect(await reason(await token({}, { drop: ['exp'] }))).toBe('expired');
  });

  it('refuses a token not valid yet (nbf in the future beyond the leeway)', async () => {
    expect(await reason(await token({ nbf: T + TOKEN_LEEWAY_SECONDS + 5, iat: T + TOKEN_LEEWAY_SECONDS + 5 }))).toBe('not_yet_valid');
    expect(await reason(await token({ nbf: T + 30 }))).toBe('ok');
  });

  it('refuses a token from another amoCRM account (iss)', async () => {
    expect(await reason(await token({ iss: 'https://other.amocrm.ru' }))).toBe('wrong_issuer');
    expect(await reason(await token({}, { drop: ['iss'] }))).toBe('wrong_issuer');
    expect(await reason(await token({ iss: 'not a url' }))).toBe('wrong_issuer');
  });

  it("refuses a token for another integration's site (aud)", async () => {
    expect(await reason(await token({ aud: 'https://evil.example.com' }))).toBe('wrong_audience');
    expect(await reason(await token({ aud: 'http://calltrail.example.com' }))).toBe('wrong_audience');
    expect(await reason(await token({}, { drop: ['aud'] }))).toBe('wrong_audience');
  });

  it('refuses a token without a user (missing, zero, not a number) or without an id', async () => {
    expect(await reason(await token({}, { drop: ['user_id'] }))).toBe('no_user');
    expect(await reason(await token({ user_id: 0 }))).toBe('no_user');
    expect(await reason(await token({ user_id: 'anna' }))).toBe('no_user');
    expect(await reason(await token({ user_id: 1.5 }))).toBe('no_user');
    expect(await reason(await token({}, { drop: ['jti'] }))).toBe('no_jti');
  });

  it('refuses what is not a JWT', async () => {
    for (const value of ['', 'abc', 'a.b', 'a.b.c.d', `%%%.${part(CLAIMS)}.x`, `${part([1])}.${part(CLAIMS)}.x`, 'x'.repeat(5000)])
      expect(await reason(value), value.slice(0, 20)).toBe('malformed');
  });

  it('leaves iss and aud unchecked when nothing is expected of them (the sandbox)', async () => {
    const sandbox = { secret: SECRET, now: NOW };
    expect(await reason(await token({ iss: 'https://sandbox.amocrm.ru', aud: 'http://127.0.0.1:3000' }), sandbox)).toBe('ok');
    expect(await reason(await token({ exp: T - 120 }), sandbox)).toBe('expired');
  });
});
