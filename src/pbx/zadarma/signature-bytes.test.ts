/**
 * Zadarma notifications checked over their bytes as sent: a signed field in Windows-1251
 * (invented for the test: Zadarma's own fields are numbers and dates, but a relay or an IVR
 * name may carry text), in a urlencoded body and in a multipart one.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyNotificationBody } from './signature';

const SECRET = '8a8e91d214fb728889c7';
/** "Иван" in Windows-1251. */
const IVAN = Buffer.from([0xc8, 0xe2, 0xe0, 0xed]);
const documented = (...signed: Buffer[]) => Buffer.from(createHmac('sha1', SECRET).update(Buffer.concat(signed)).digest('hex')).toString('base64');

describe('Zadarma notification signature over the bytes sent', () => {
  const fields = [Buffer.from('74951234567'), IVAN, Buffer.from('2026-11-20 10:00:00')];

  it('checks a urlencoded body by its percent-decoded bytes', async () => {
    const body = Buffer.from('event=NOTIFY_START&caller_id=74951234567&called_did=%C8%E2%E0%ED&call_start=2026-11-20+10%3A00%3A00&pbx_call_id=in_1');
    expect(await verifyNotificationBody(documented(...fields), body, SECRET)).toEqual({ ok: true });
    // The same value signed as the UTF-8 text it stands for is another message.
    expect((await verifyNotificationBody(documented(fields[0]!, Buffer.from('Иван'), fields[2]!), body, SECRET)).ok).toBe(false);
  });

  it('checks a multipart body by its bytes too', async () => {
    const part = (name: string, value: Buffer) =>
      Buffer.concat([Buffer.from(`--b0undary\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n`), value, Buffer.from('\r\n')]);
    const body = Buffer.concat([
      part('event', Buffer.from('NOTIFY_START')),
      part('caller_id', fields[0]!),
      part('called_did', IVAN),
      part('call_start', fields[2]!),
      Buffer.from('--b0undary--\r\n'),
    ]);
    expect(await verifyNotificationBody(documented(...fields), body, SECRET)).toEqual({ ok: true });
  });
});
