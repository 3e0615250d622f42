import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeSignature, verifyUrlToken, verifyYeastarSignature, yeastarSignature } from './signature';

const secret = 'ys-webhook-secret-0123456789';
const body = '{"event":"NewCdr","callid":"1571897930.5","callfrom":"1023"}';
/** Independently, with Node's crypto, from the documented scheme. */
const reference = (raw = body, key = secret, encoding: 'base64' | 'hex' = 'base64') => createHmac('sha256', key).update(raw, 'utf8').digest(encoding);

describe('yeastar webhook signature', () => {
  it('is base64 of HMAC-SHA256(secret, raw body)', async () => {
    expect(yeastarSignature(secret, body)).toBe(reference());
    expect(await verifyYeastarSignature(reference(), body, secret)).toEqual({ ok: true });
  });

  it('also takes a hex digest, a "sha256=" prefix and base64url', async () => {
    expect(await verifyYeastarSignature(reference(body, secret, 'hex'), body, secret)).toEqual({ ok: true });
    expect(await verifyYeastarSignature(`sha256=${reference()}`, body, secret)).toEqual({ ok: true });
    const url = reference().replace(/\+/g, '-').replace(/\//g, '_').replace(/=$/, '');
    expect(await verifyYeastarSignature(url, body, secret)).toEqual({ ok: true });
    expect(decodeSignature('zz')).toBeNull();
  });

  it('refuses a changed body, another secret, and missing or malformed headers', async () => {
    expect((await verifyYeastarSignature(reference(), `${body} `, secret)).ok).toBe(false);
    expect((await verifyYeastarSignature(reference(body, 'another-secret'), body, secret)).ok).toBe(false);
    expect(await verifyYeastarSignature(undefined, body, secret)).toMatchObject({ reason: expect.stringMatching(/missing X-Signature/) });
    expect(await verifyYeastarSignature('not-a-signature', body, secret)).toMatchObject({ reason: expect.stringMatching(/malformed/) });
  });

  it('checks a token in the URL against the secret', async () => {
    expect(await verifyUrlToken(secret, secret)).toEqual({ ok: true });
    expect((await verifyUrlToken('guess', secret)).ok).toBe(false);
    expect((await verifyUrlToken(null, secret)).ok).toBe(false);
  });
});
