import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signatureHeader, verifySignature } from './signature';

const secret = 'whsec_0123456789abcdef';
const body = '{"type":"call.ended","call_id":"c1"}';
const now = 1_763_622_000;

/** Computed independently of the code under test, straight from the documented scheme. */
const reference = (t: number, raw = body, key = secret) => createHmac('sha256', key).update(`${t}.${raw}`).digest('hex');

describe('generic webhook signature', () => {
  it('accepts the documented scheme, and produces it', async () => {
    expect(await verifySignature(`t=${now},v1=${reference(now)}`, body, secret, now)).toEqual({ ok: true });
    expect(await signatureHeader(secret, body, now)).toBe(`t=${now},v1=${reference(now)}`);
  });

  it('accepts any of several v1 signatures (secret rotation) and ignores unknown schemes', async () => {
    const header = `t=${now},v0=abc,v1=${reference(now, body, 'old-secret-123456')},v1=${reference(now)}`;
    expect(await verifySignature(header, body, secret, now)).toEqual({ ok: true });
  });

  it('tolerates 300 s of clock skew either way, not more', async () => {
    expect((await verifySignature(`t=${now - 300},v1=${reference(now - 300)}`, body, secret, now)).ok).toBe(true);
    expect((await verifySignature(`t=${now + 300},v1=${reference(now + 300)}`, body, secret, now)).ok).toBe(true);
    expect(await verifySignature(`t=${now - 301},v1=${reference(now - 301)}`, body, secret, now)).toMatchObject({ reason: expect.stringMatching(/stale/) });
  });

  it('refuses a changed body, a wrong secret, and malformed or missing headers', async () => {
    const header = `t=${now},v1=${reference(now)}`;
    expect((await verifySignature(header, `${body} `, secret, now)).ok).toBe(false);
    expect((await verifySignature(header, body, 'another-secret-xyz', now)).ok).toBe(false);
    expect(await verifySignature(undefined, body, secret, now)).toMatchObject({ reason: expect.stringMatching(/missing/) });
    expect(await verifySignature(`v1=${reference(now)}`, body, secret, now)).toMatchObject({ reason: expect.stringMatching(/malformed/) });
    expect(await verifySignature(`t=${now},v1=zz`, body, secret, now)).toMatchObject({ reason: expect.stringMatching(/does not match/) });
    // The timestamp is signed: moving it breaks the signature.
    expect((await verifySignature(`t=${now + 1},v1=${reference(now)}`, body, secret, now)).ok).toBe(false);
  });
});
