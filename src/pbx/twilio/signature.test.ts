import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { candidateUrls, signedPayload, twilioSignature, verifyTwilioSignature } from './signature';

const token = '9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c';
const params: [string, string][] = [
  ['To', '+74993334455'],
  ['CallSid', 'CA6b1f0c8c2f0a4e8d9b3e2d1c0b9a8f7e'],
  ['From', '+74951234567'],
  ['CallStatus', 'completed'],
  ['Timestamp', 'Fri, 20 Nov 2026 07:03:15 +0000'],
];

/** Straight from Twilio's description, with Node's crypto: URL, then sorted name+value pairs. */
function reference(url: string, ps: [string, string][], key = token) {
  const data =
    url +
    [...ps]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => k + v)
      .join('');
  return createHmac('sha1', key).update(data, 'utf8').digest('base64');
}

describe('twilio request signature', () => {
  it("reproduces the example in Twilio's security documentation", () => {
    const example: [string, string][] = [
      ['CallSid', 'CA1234567890ABCDE'],
      ['Caller', '+12349013030'],
      ['Digits', '1234'],
      ['From', '+12349013030'],
      ['To', '+18005551212'],
    ];
    expect(twilioSignature('12345', 'https://mycompany.com/myapp.php?foo=1&bar=2', example)).toBe('0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
  });

  it('agrees with an independent computation, whatever order the parameters came in', () => {
    const url = 'https://calltrail.example/v1/pbx/twilio/status?tenant=7';
    expect(twilioSignature(token, url, params)).toBe(reference(url, params));
    expect(twilioSignature(token, url, [...params].reverse())).toBe(reference(url, params));
    expect(
      signedPayload('u', [
        ['b', '2'],
        ['a', '1'],
        ['B', '0'],
      ]),
    ).toBe('uB0a1b2');
  });

  it('counts each distinct value of a repeated parameter once, values sorted', () => {
    expect(
      signedPayload('u', [
        ['x', 'b'],
        ['x', 'a'],
        ['x', 'b'],
      ]),
    ).toBe('uxaxb');
  });

  it('accepts the URL with and without its port, and an unescaped apostrophe', async () => {
    const url = new URL('https://calltrail.example/v1/pbx/twilio/status?note=o%27neil');
    expect(candidateUrls(url)).toEqual(
      expect.arrayContaining([
        'https://calltrail.example/v1/pbx/twilio/status?note=o%27neil',
        "https://calltrail.example/v1/pbx/twilio/status?note=o'neil",
        'https://calltrail.example:443/v1/pbx/twilio/status?note=o%27neil',
      ]),
    );
    for (const signed of ['https://calltrail.example:443/v1/pbx/twilio/status?note=o%27neil', "https://calltrail.example/v1/pbx/twilio/status?note=o'neil"]) {
      expect(await verifyTwilioSignature(reference(signed, params), url, params, token)).toEqual({ ok: true });
    }
    const custom = new URL('http://calltrail.example:8080/v1/pbx/twilio/status');
    expect(await verifyTwilioSignature(reference('http://calltrail.example/v1/pbx/twilio/status', params), custom, params, token)).toEqual({ ok: true });
    expect(await verifyTwilioSignature(reference(custom.href, params), custom, params, token)).toEqual({ ok: true });
  });

  it('accepts either of two comma-separated tokens (rotation)', async () => {
    const url = new URL('https://calltrail.example/v1/pbx/twilio/status');
    const header = reference(url.href, params, 'secondary-token-0123456789abcdef');
    expect(await verifyTwilioSignature(header, url, params, `${token}, secondary-token-0123456789abcdef`)).toEqual({ ok: true });
  });

  it('refuses a changed parameter, another URL, another token, and missing or malformed headers', async () => {
    const url = new URL('https://calltrail.example/v1/pbx/twilio/status');
    const header = reference(url.href, params);
    const changed = params.map(([k, v]): [string, string] => (k === 'CallStatus' ? [k, 'busy'] : [k, v]));
    expect((await verifyTwilioSignature(header, url, changed, token)).ok).toBe(false);
    expect((await verifyTwilioSignature(header, new URL('https://calltrail.example/v1/pbx/twilio/recording'), params, token)).ok).toBe(false);
    expect((await verifyTwilioSignature(header, url, params, 'another-token')).ok).toBe(false);
    expect(await verifyTwilioSignature(undefined, url, params, token)).toMatchObject({ reason: expect.stringMatching(/missing/) });
    expect(await verifyTwilioSignature('sha1=abc', url, params, token)).toMatchObject({ reason: expect.stringMatching(/malformed/) });
  });
});
