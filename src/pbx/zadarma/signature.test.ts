import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidPayloadError } from '../core/parse';
import * as missed from './fixtures/inbound-missed';
import * as cancelled from './fixtures/outbound-cancelled';
import * as transfer from './fixtures/inbound-transfer';
import { decodeForm } from './form';
import { verifyNotification } from './signature';

const SECRET = '8a8e91d214fb728889c7';

/** Zadarma's documented scheme, computed here with node:crypto: base64(hex(HMAC-SHA1(secret, s))). */
const documented = (s: string, secret = SECRET) => Buffer.from(createHmac('sha1', secret).update(s).digest('hex')).toString('base64');
/** The encoding of Zadarma's TypeScript client: base64 of the digest bytes. */
const rawDigest = (s: string, secret = SECRET) => createHmac('sha1', secret).update(s).digest('base64');

const fields = (n: Record<string, string>) => decodeForm(new URLSearchParams(n).toString());
const verify = (header: string | null, n: Record<string, string>) => verifyNotification(header, fields(n), SECRET);

describe('Zadarma notification signature', () => {
  // The signed string of each event, spelled out from the documentation.
  const cases: [string, Record<string, string>, string][] = [
    ['NOTIFY_START', transfer.start, '74951234567' + '74957654321' + '2026-11-20 10:00:00'],
    ['NOTIFY_INTERNAL', transfer.rings100, '74951234567' + '74957654321' + '2026-11-20 10:00:00'],
    ['NOTIFY_ANSWER', transfer.answer205, '74951234567' + '205' + '2026-11-20 10:00:00'],
    ['NOTIFY_END', transfer.end, '74951234567' + '74957654321' + '2026-11-20 10:00:00'],
    ['NOTIFY_OUT_START', cancelled.outStart, '100' + '+380989897908' + '2020-04-03 14:26:47'],
    ['NOTIFY_OUT_END', cancelled.outEnd, '100' + '+380989897908' + '2020-04-03 14:26:47'],
    ['NOTIFY_RECORD', transfer.record100, `${transfer.PBX_CALL_ID}1795158000.1001`],
    ['NOTIFY_IVR', { ...transfer.start, event: 'NOTIFY_IVR' }, '74951234567' + '74957654321' + '2026-11-20 10:00:00'],
  ];

  it.each(cases)('accepts %s signed over its documented fields', async (_event, n, signed) => {
    expect(await verify(documented(signed), n)).toEqual({ ok: true });
    expect(await verify(rawDigest(signed), n)).toEqual({ ok: true });
  });

  it('matches a fixed vector computed outside Node (openssl dgst -sha1 -hmac, hex, then base64)', async () => {
    // printf '%s' '74951234567749576543212026-11-20 10:00:00' | openssl dgst -sha1 -hmac 8a8e91d214fb728889c7 → hex → base64
    const header = 'YmZlM2ZkNjU0NmE3NjA5ZmEzMzBjZmMzYzZkMTY0YzhmNGVhNjYyYQ==';
    expect(documented('74951234567' + '74957654321' + '2026-11-20 10:00:00')).toBe(header);
    expect(await verify(header, transfer.end)).toEqual({ ok: true });
  });

  it('refuses a wrong secret, a changed field and a signature over the wrong fields', async () => {
    const good = documented('74951234567' + '74957654321' + '2026-11-20 10:00:00');
    expect(await verify(documented('74951234567' + '74957654321' + '2026-11-20 10:00:00', 'another-secret'), transfer.end)).toMatchObject({ ok: false });
    expect(await verify(good, { ...transfer.end, call_start: '2026-11-20 10:00:01' })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/does not match/),
    });
    // NOTIFY_ANSWER signs destination, not called_did.
    expect(await verify(good, { ...transfer.answer205, called_did: '74957654321' })).toMatchObject({ ok: false });
    expect(await verify(` ${good} `, transfer.end)).toEqual({ ok: true });
  });

  it('says what is missing', async () => {
    expect(await verify(null, transfer.end)).toEqual({ ok: false, reason: 'missing Signature header' });
    expect(await verify('', missed.end)).toEqual({ ok: false, reason: 'missing Signature header' });
  });

  it('cannot check an event it does not know: 400, not a guess', async () => {
    const attempt = verify('x', { event: 'SMS', caller_id: '1' });
    await expect(attempt).rejects.toBeInstanceOf(InvalidPayloadError);
    await expect(attempt).rejects.toThrow(/event: expected one of NOTIFY_START, .*, got "SMS"/);
    await expect(verify('x', {})).rejects.toThrow('event: is required');
  });
});
