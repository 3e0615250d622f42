/**
 * Signatures over the bytes that were sent, and bodies in a legacy charset, through the HTTP app on
 * PGlite and on PostgreSQL (issue 13, item 3). Every signature is computed here with node:crypto
 * over the exact bytes posted. The Cyrillic names are invented for the tests; the byte encodings
 * are the real Windows-1251 and KOI8-R ones (built from the platform's own decoders).
 */
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inboxEvents } from '../../src/db/schema';
import { masterCsvLine, transferChain } from '../../src/pbx/asterisk/testing';
import * as mango from '../../src/pbx/mango/fixtures/inbound-transfer';
import { sourcesConfigSchema } from '../../src/pbx/sources-config';
import { harness, SECRET, type Harness } from '#test/app';
import { useTestDb } from '#test/db';
import { conversationByKey, counts } from '#test/ledger';

const testDb = useTestDb();

/** Text in a single-byte charset, through the inverse of the platform's decoding table. */
function encodeIn(charset: string, text: string): Uint8Array<ArrayBuffer> {
  const decoder = new TextDecoder(charset);
  const table = new Map<string, number>();
  for (let b = 0; b < 256; b++) table.set(decoder.decode(Uint8Array.of(b)), b);
  return Uint8Array.from(text, (c) => {
    const byte = table.get(c);
    if (byte === undefined) throw new Error(`${charset} has no ${c}`);
    return byte;
  });
}

/** Percent-escapes of every byte: how a form carries bytes whatever they are. */
const escaped = (bytes: Uint8Array) => [...bytes].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');

const stdSign = (secret: string, t: number, body: Uint8Array) => `t=${t},v1=${createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex')}`;

async function storedRaw(h: Harness) {
  const rows = await h.deps.db.select().from(inboxEvents);
  return rows.map((r) => ({ raw: r.raw, meta: r.meta, status: r.status }));
}

describe('Asterisk Master.csv in Windows-1251', () => {
  const ASTERISK = 'asterisk-secret-0123456789';
  const cdr = () => transferChain('cp-1763622000')[0] as Parameters<typeof masterCsvLine>[0];
  const post = (h: Harness, body: Uint8Array<ArrayBuffer>, signature?: string) =>
    h.app.request('/v1/pbx/asterisk/cdr', {
      method: 'POST',
      body,
      headers: { 'content-type': 'text/csv', 'x-calltrail-signature': signature ?? stdSign(ASTERISK, Math.floor(h.clock.now.getTime() / 1000), body) },
    });

  it('is accepted, signed over its bytes, and its caller name read in cp1251', async () => {
    const h = harness(testDb(), { env: { ASTERISK_WEBHOOK_SECRET: ASTERISK } });
    const line = masterCsvLine({ ...cdr(), clid: '"Иван Петров" <74951234567>' });
    const res = await post(h, encodeIn('windows-1251', line));
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ status: 'processed', events: 1 });
    const [stored] = await storedRaw(h);
    expect(stored?.raw).toContain('"""Иван Петров"" <74951234567>"');
    expect(stored?.meta).toMatchObject({ charset: 'windows-1251' });
    expect(await conversationByKey(h.deps.db, 'cp-1763622000.1')).toMatchObject({ externalNumber: '+74951234567' });
  });

  it('is read in the charset the source is configured with (koi8-r)', async () => {
    const h = harness(testDb(), {
      env: { ASTERISK_WEBHOOK_SECRET: ASTERISK },
      config: { sources: sourcesConfigSchema.parse({ asterisk: { charset: 'koi8-r' } }) },
    });
    const res = await post(h, encodeIn('koi8-r', masterCsvLine({ ...cdr(), clid: '"Ольга" <74951234567>' })));
    expect(res.status).toBe(202);
    expect((await storedRaw(h))[0]).toMatchObject({ raw: expect.stringContaining('"""Ольга"" <74951234567>"'), meta: { charset: 'koi8-r' } });
  });

  it('is refused (401) when the signature was made over the UTF-8 text rather than the bytes sent', async () => {
    const h = harness(testDb(), { env: { ASTERISK_WEBHOOK_SECRET: ASTERISK } });
    const line = masterCsvLine({ ...cdr(), clid: '"Иван" <74951234567>' });
    const t = Math.floor(h.clock.now.getTime() / 1000);
    const res = await post(h, encodeIn('windows-1251', line), stdSign(ASTERISK, t, new TextEncoder().encode(line)));
    expect(res.status).toBe(401);
    expect(await counts(h.deps.db)).toMatchObject({ inbox: 0 });
  });

  it('is refused (400) with a NUL byte in it, and nothing is stored', async () => {
    const h = harness(testDb(), { env: { ASTERISK_WEBHOOK_SECRET: ASTERISK } });
    const res = await post(h, new TextEncoder().encode(masterCsvLine({ ...cdr(), clid: '"Iv\u0000an" <74951234567>' })));
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatchObject({ code: 'invalid_body', message: expect.stringMatching(/^body: contains a NUL byte/) });
    expect(await counts(h.deps.db)).toMatchObject({ inbox: 0, conversations: 0 });
  });
});

describe('the generic webhook', () => {
  it('reads a body that is not UTF-8 as Windows-1251, its signature checked over the bytes', async () => {
    const h = harness(testDb());
    const text = JSON.stringify({
      type: 'call.ended',
      call_id: 'звонок-1',
      from: '+74951234567',
      to: '101',
      started_at: 1795158000,
      ended_at: 1795158030,
      disposition: 'no_answer',
    });
    const body = encodeIn('windows-1251', text);
    const res = await h.app.request('/v1/pbx/generic/events', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-calltrail-signature': stdSign(SECRET, Math.floor(h.clock.now.getTime() / 1000), body) },
    });
    expect(res.status).toBe(202);
    expect(await conversationByKey(h.deps.db, 'звонок-1')).toMatchObject({ outcome: 'missed' });
  });
});

describe('Yeastar', () => {
  it('checks X-Signature over the raw bytes of a cp1251 body', async () => {
    const YEASTAR = 'yeastar-secret-0123456789';
    const h = harness(testDb(), { env: { YEASTAR_WEBHOOK_SECRET: YEASTAR } });
    const text = JSON.stringify({
      event: 'NewCdr',
      callid: '1795158000.77',
      callfrom: '84951234567',
      srctrunkname: 'МТС-SIP',
      type: 'Inbound',
      didnumber: '74993334455',
      timestart: '2026-11-20 10:00:00',
      callto: '103',
      callduraction: '5',
      talkduraction: '0',
      status: 'NO ANSWER',
      recording: '',
    });
    const body = encodeIn('windows-1251', text);
    const res = await h.app.request('/v1/pbx/yeastar', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-signature': createHmac('sha256', YEASTAR).update(body).digest('base64') },
    });
    expect(res.status).toBe(200);
    expect((await storedRaw(h))[0]?.raw).toContain('"srctrunkname":"МТС-SIP"');
  });
});

describe('Mango', () => {
  const KEY = 'wu8zgl7mlbpycmdbn8qq7vmcqyq5bcw3';
  const SALT = 'lsy4dpvqjm5tql3dk4kfz2fqrcmkqsjh';

  it('checks sign over the json value as sent in cp1251 percent-escapes, and stores it read in cp1251', async () => {
    const h = harness(testDb(), { env: { MANGO_API_KEY: KEY, MANGO_API_SALT: SALT } });
    const json = encodeIn('windows-1251', JSON.stringify({ ...mango.summary, entry_id: 'cp-entry-1', caller_name: 'Иван' }));
    const sign = createHash('sha256').update(KEY).update(json).update(SALT).digest('hex');
    const body = `vpbx_api_key=${KEY}&sign=${sign}&json=${escaped(json)}`;
    const res = await h.app.request('/v1/pbx/mango/events/summary', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(200);
    const [stored] = await storedRaw(h);
    expect(new URLSearchParams(stored?.raw).get('json')).toContain('"caller_name":"Иван"');
    expect(stored?.meta).toMatchObject({ event: 'summary', charset: 'windows-1251' });
  });
});

describe('Twilio', () => {
  const TOKEN = '9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c';
  const params = {
    AccountSid: 'AC0123456789abcdef0123456789abcdef',
    CallSid: 'CA0123456789abcdef0123456789abcde1',
    From: '+74951234567',
    To: '+74993334455',
    CallStatus: 'no-answer',
    Direction: 'inbound',
    Timestamp: 'Fri, 20 Nov 2026 07:00:30 +0000',
    CallDuration: '0',
  };
  const sign = (url: string, data: string | Buffer) => createHmac('sha1', TOKEN).update(url).update(data).digest('base64');
  const sorted = (p: Record<string, string>) =>
    Object.keys(p)
      .sort()
      .map((k) => k + p[k])
      .join('');

  it('validates against PUBLIC_URL as written, upper-case host included', async () => {
    const publicUrl = 'https://Calltrail.Example.COM';
    const h = harness(testDb(), { env: { TWILIO_AUTH_TOKEN: TOKEN, PUBLIC_URL: publicUrl } });
    const res = await h.app.request('/v1/pbx/twilio/status', {
      method: 'POST',
      body: new URLSearchParams(params).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': sign(`${publicUrl}/v1/pbx/twilio/status`, sorted(params)) },
    });
    expect(res.status).toBe(204);
  });

  it('checks parameters over their percent-decoded bytes, and reads bytes that are not UTF-8 as cp1251', async () => {
    const h = harness(testDb(), { env: { TWILIO_AUTH_TOKEN: TOKEN, PUBLIC_URL: 'https://calltrail.example' } });
    const name = encodeIn('windows-1251', 'Иван');
    const withName = { ...params, CallSid: 'CA0123456789abcdef0123456789abcde2' };
    // Signed data: every name and value in name order, CallerName's value being its bytes as sent.
    const before = sorted(Object.fromEntries(Object.entries(withName).filter(([k]) => k < 'CallerName')));
    const after = sorted(Object.fromEntries(Object.entries(withName).filter(([k]) => k > 'CallerName')));
    const data = Buffer.concat([Buffer.from(before), Buffer.from('CallerName'), Buffer.from(name), Buffer.from(after)]);
    const res = await h.app.request('/v1/pbx/twilio/status', {
      method: 'POST',
      body: `${new URLSearchParams(withName).toString()}&CallerName=${escaped(name)}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': sign('https://calltrail.example/v1/pbx/twilio/status', data) },
    });
    expect(res.status).toBe(204);
    expect(new URLSearchParams((await storedRaw(h))[0]?.raw).get('CallerName')).toBe('Иван');
  });
});
