/**
 * Property, for every source's signature check: a valid signature over any bytes verifies, and
 * flipping any bit of what is signed (the body's bytes, or each signed form value's bytes) or of
 * the signature's digest makes it fail. The signatures are made here with node:crypto from each
 * vendor's description, never with the code under test. The Asterisk push endpoint uses the
 * generic scheme (its route calls the same verifySignature).
 */
import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verifyBasicAuth } from '../../src/pbx/freeswitch/signature';
import { verifySignature } from '../../src/pbx/generic/signature';
import { verifyMangoBody } from '../../src/pbx/mango/signature';
import { verifyTwilioRequest } from '../../src/pbx/twilio/signature';
import { verifyYeastarSignature } from '../../src/pbx/yeastar/signature';
import { SIGNED_FIELDS, verifyNotificationBody } from '../../src/pbx/zadarma/signature';

const NOW = 1_795_158_000;
const bytes = fc.uint8Array({ maxLength: 200 });

/** A copy with one bit of one byte flipped. */
function flipped(data: Uint8Array, at: number, bit: number): Uint8Array {
  const copy = Uint8Array.from(data);
  copy[at % copy.length] = (copy[at % copy.length] as number) ^ (1 << (bit % 8));
  return copy;
}
const flip = fc.tuple(fc.nat(), fc.nat({ max: 7 }));
const escaped = (data: Uint8Array) => [...data].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
const enc = (text: string) => new TextEncoder().encode(text);

describe('generic and Asterisk push: HMAC-SHA256 over "<t>." + the body', () => {
  const SECRET = 'generic-secret-0123456789';
  const digest = (body: Uint8Array) => createHmac('sha256', SECRET).update(`${NOW}.`).update(body).digest();
  const header = (d: Buffer | Uint8Array) => `t=${NOW},v1=${Buffer.from(d).toString('hex')}`;

  it('verifies any body; a flipped body bit or digest bit fails', async () => {
    await fc.assert(
      fc.asyncProperty(bytes, flip, flip, async (body, [at, bit], [dAt, dBit]) => {
        expect(await verifySignature(header(digest(body)), body, SECRET, NOW)).toEqual({ ok: true });
        if (body.length) expect((await verifySignature(header(digest(body)), flipped(body, at, bit), SECRET, NOW)).ok).toBe(false);
        expect((await verifySignature(header(flipped(digest(body), dAt, dBit)), body, SECRET, NOW)).ok).toBe(false);
      }),
    );
  });
});

describe('Yeastar: base64 HMAC-SHA256 over the body', () => {
  const SECRET = 'yeastar-secret-0123456789';
  const digest = (body: Uint8Array) => createHmac('sha256', SECRET).update(body).digest();

  it('verifies any body, in each spelling; a flipped body bit or digest bit fails', async () => {
    await fc.assert(
      fc.asyncProperty(bytes, flip, flip, fc.constantFrom('base64', 'hex'), async (body, [at, bit], [dAt, dBit], spelling) => {
        const good = digest(body).toString(spelling);
        expect(await verifyYeastarSignature(good, body, SECRET)).toEqual({ ok: true });
        if (body.length) expect((await verifyYeastarSignature(good, flipped(body, at, bit), SECRET)).ok).toBe(false);
        expect((await verifyYeastarSignature(Buffer.from(flipped(digest(body), dAt, dBit)).toString(spelling), body, SECRET)).ok).toBe(false);
      }),
    );
  });
});

describe('Mango: sha256hex(key + json + salt) over the json value as sent', () => {
  const credentials = { key: 'wu8zgl7mlbpycmdbn8qq7vmcqyq5bcw3', salt: 'lsy4dpvqjm5tql3dk4kfz2fqrcmkqsjh' };
  const sign = (json: Uint8Array) => createHash('sha256').update(credentials.key).update(json).update(credentials.salt).digest();
  const body = (json: Uint8Array, sign: Uint8Array) => enc(`vpbx_api_key=${credentials.key}&sign=${Buffer.from(sign).toString('hex')}&json=${escaped(json)}`);

  it('verifies any json bytes; a flipped json bit or digest bit fails', async () => {
    await fc.assert(
      fc.asyncProperty(bytes, flip, flip, async (json, [at, bit], [dAt, dBit]) => {
        expect(await verifyMangoBody(body(json, sign(json)), credentials)).toEqual({ ok: true });
        if (json.length) expect((await verifyMangoBody(body(flipped(json, at, bit), sign(json)), credentials)).ok).toBe(false);
        expect((await verifyMangoBody(body(json, flipped(sign(json), dAt, dBit)), credentials)).ok).toBe(false);
      }),
    );
  });
});

describe("Zadarma: base64(hex(HMAC-SHA1)) over the event's signed fields", () => {
  const SECRET = '8a8e91d214fb728889c7';
  const events = Object.keys(SIGNED_FIELDS) as (keyof typeof SIGNED_FIELDS)[];
  const digest = (signed: Uint8Array[]) => {
    const mac = createHmac('sha1', SECRET);
    for (const s of signed) mac.update(s);
    return mac.digest();
  };
  const header = (d: Uint8Array) => Buffer.from(Buffer.from(d).toString('hex')).toString('base64');

  it('verifies any values of the signed fields; a flipped bit in one of them or in the digest fails', async () => {
    const values = fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { minLength: 3, maxLength: 3 });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...events), values, flip, flip, fc.nat(), async (event, vals, [at, bit], [dAt, dBit], which) => {
        const names = SIGNED_FIELDS[event];
        const form = (vs: Uint8Array[]) => enc(`event=${event}&${names.map((n, i) => `${n}=${escaped(vs[i] as Uint8Array)}`).join('&')}&extra=%FF`);
        const signed = vals.slice(0, names.length);
        const good = header(digest(signed));
        expect(await verifyNotificationBody(good, form(vals), SECRET)).toEqual({ ok: true });
        const changed = vals.map((v, i) => (i === which % names.length ? flipped(v, at, bit) : v));
        expect((await verifyNotificationBody(good, form(changed), SECRET)).ok).toBe(false);
        expect((await verifyNotificationBody(header(flipped(digest(signed), dAt, dBit)), form(vals), SECRET)).ok).toBe(false);
      }),
    );
  });
});

describe('Twilio: base64 HMAC-SHA1 over the URL and the sorted parameters', () => {
  const TOKEN = '9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c';
  const URL_TEXT = 'https://Calltrail.example/v1/pbx/twilio/status?tenant=7';
  const params = fc.uniqueArray(fc.tuple(fc.stringMatching(/^[A-Za-z]{1,12}$/), fc.uint8Array({ maxLength: 30 })), {
    selector: ([n]) => n,
    minLength: 1,
    maxLength: 6,
  });
  const digest = (ps: [string, Uint8Array][]) => {
    const mac = createHmac('sha1', TOKEN).update(URL_TEXT);
    for (const [name, value] of [...ps].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) mac.update(name).update(value);
    return mac.digest();
  };
  const form = (ps: [string, Uint8Array][]) => enc(ps.map(([n, v]) => `${n}=${escaped(v)}`).join('&'));

  it('verifies any parameter bytes; a flipped bit in a value or in the digest fails', async () => {
    await fc.assert(
      fc.asyncProperty(params, flip, flip, fc.nat(), async (ps, [at, bit], [dAt, dBit], which) => {
        const good = digest(ps).toString('base64');
        expect(await verifyTwilioRequest(good, URL_TEXT, form(ps), TOKEN)).toEqual({ ok: true });
        const target = which % ps.length;
        const changed = ps.map(([n, v], i): [string, Uint8Array] => [n, i === target && v.length ? flipped(v, at, bit) : v]);
        if ((ps[target]?.[1].length ?? 0) > 0) expect((await verifyTwilioRequest(good, URL_TEXT, form(changed), TOKEN)).ok).toBe(false);
        expect((await verifyTwilioRequest(Buffer.from(flipped(digest(ps), dAt, dBit)).toString('base64'), URL_TEXT, form(ps), TOKEN)).ok).toBe(false);
      }),
    );
  });

  it('verifies a JSON body by its bodySHA256; a flipped body bit fails', async () => {
    await fc.assert(
      fc.asyncProperty(bytes, flip, async (body, [at, bit]) => {
        const url = `${URL_TEXT}&bodySHA256=${createHash('sha256').update(body).digest('hex')}`;
        const good = createHmac('sha1', TOKEN).update(url).digest('base64');
        expect(await verifyTwilioRequest(good, url, body, TOKEN)).toEqual({ ok: true });
        if (body.length) expect((await verifyTwilioRequest(good, url, flipped(body, at, bit), TOKEN)).ok).toBe(false);
      }),
    );
  });
});

describe('FreeSWITCH: HTTP Basic credentials', () => {
  it('accepts any user:pass sent as configured; a flipped bit in them fails', async () => {
    const credentials = fc
      .tuple(fc.stringMatching(/^[\x21-\x39\x3b-\x7e]{1,16}$/), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 16 }))
      .map(([u, p]) => `${u}:${p}`);
    await fc.assert(
      fc.asyncProperty(credentials, flip, async (expected, [at, bit]) => {
        const basic = (data: Uint8Array) => `Basic ${Buffer.from(data).toString('base64')}`;
        expect(await verifyBasicAuth(basic(enc(expected)), expected)).toEqual({ ok: true });
        expect((await verifyBasicAuth(basic(flipped(enc(expected), at, bit)), expected)).ok).toBe(false);
      }),
    );
  });
});
