import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyMangoRequest } from './signature';

const credentials = { key: 'wu8zgl7mlbpycmdbn8qq7vmcqyq5bcw3', salt: 'lsy4dpvqjm5tql3dk4kfz2fqrcmkqsjh' };
const json = '{"entry_id":"MjA1NzgwNzY2NjM6MTAx","call_direction":1,"from":{"number":"74955404444"}}';

/** Mango's documented scheme, computed here with node:crypto: sha256hex(key + json + salt). */
const sign = (j = json, key = credentials.key, salt = credentials.salt) =>
  createHash('sha256')
    .update(key + j + salt)
    .digest('hex');

const form = (fields: Record<string, string>) => new URLSearchParams(new URLSearchParams(fields).toString());

describe('Mango request signature', () => {
  it('accepts the documented signature over the json field as sent', async () => {
    expect(await verifyMangoRequest(form({ vpbx_api_key: credentials.key, sign: sign(), json }), credentials)).toEqual({ ok: true });
    expect(await verifyMangoRequest(form({ vpbx_api_key: credentials.key, sign: sign().toUpperCase(), json }), credentials)).toEqual({ ok: true });
  });

  it('signs the json text byte for byte: spacing and key order matter', async () => {
    const spaced = '{ "entry_id": "MjA1NzgwNzY2NjM6MTAx", "call_direction": 1 }';
    expect(await verifyMangoRequest(form({ vpbx_api_key: credentials.key, sign: sign(spaced), json: spaced }), credentials)).toEqual({ ok: true });
    expect(
      await verifyMangoRequest(form({ vpbx_api_key: credentials.key, sign: sign(spaced), json: JSON.stringify(JSON.parse(spaced)) }), credentials),
    ).toMatchObject({
      ok: false,
      reason: 'sign does not match the json field (check MANGO_API_SALT)',
    });
  });

  it('matches a fixed vector computed outside Node (sha256sum)', async () => {
    // printf '%s' 'k{"a":1}s' | sha256sum
    const vector = '9eefb34c92e0fa5473558ca3806ab7cac11cace9255d5fddee556a2d720b5939';
    expect(sign('{"a":1}', 'k', 's')).toBe(vector);
    expect(await verifyMangoRequest(form({ vpbx_api_key: 'k', sign: vector, json: '{"a":1}' }), { key: 'k', salt: 's' })).toEqual({ ok: true });
  });

  it('refuses another account, another salt, a changed body and missing fields', async () => {
    expect(await verifyMangoRequest(form({ vpbx_api_key: 'someone-else', sign: sign(json, 'someone-else'), json }), credentials)).toEqual({
      ok: false,
      reason: 'vpbx_api_key is not the configured account (MANGO_API_KEY)',
    });
    expect(await verifyMangoRequest(form({ vpbx_api_key: credentials.key, sign: sign(json, credentials.key, 'other-salt'), json }), credentials)).toMatchObject(
      { ok: false },
    );
    expect(await verifyMangoRequest(form({ vpbx_api_key: credentials.key, sign: sign(), json: json.replace('1', '2') }), credentials)).toMatchObject({
      ok: false,
    });
    expect(await verifyMangoRequest(form({ sign: sign(), json }), credentials)).toEqual({ ok: false, reason: 'missing vpbx_api_key' });
    expect(await verifyMangoRequest(form({ vpbx_api_key: credentials.key, json }), credentials)).toEqual({ ok: false, reason: 'missing sign' });
  });
});
