import { describe, expect, it } from 'vitest';
import { basicCredentials, verifyBasicAuth } from './signature';

const expected = 'fs-cdr:S3cr3t:with-colon';
/** The header curl sends for CURLAUTH_BASIC, built independently. */
const header = (credentials: string) => `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;

describe('freeswitch basic auth', () => {
  it('accepts the configured user:pass, a colon in the password included', async () => {
    expect(basicCredentials(header(expected))).toBe(expected);
    expect(await verifyBasicAuth(header(expected), expected)).toEqual({ ok: true });
    expect(await verifyBasicAuth(header(expected).replace('Basic', 'basic'), expected)).toEqual({ ok: true });
  });

  it('refuses wrong credentials, other schemes and missing headers', async () => {
    expect(await verifyBasicAuth(header('fs-cdr:guess'), expected)).toMatchObject({ ok: false, reason: 'wrong user or password' });
    expect(await verifyBasicAuth(header(`${expected}x`), expected)).toMatchObject({ ok: false });
    expect(await verifyBasicAuth('Bearer abc', expected)).toMatchObject({ reason: expect.stringMatching(/malformed/) });
    expect(await verifyBasicAuth('Basic !!!', expected)).toMatchObject({ reason: expect.stringMatching(/malformed/) });
    expect(await verifyBasicAuth(undefined, expected)).toMatchObject({ reason: expect.stringMatching(/missing Authorization/) });
  });
});
