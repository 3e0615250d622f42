import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AmiReader, amiHeader, amiHeaders, decodeAmiText, formatAmiAction, type AmiFrame, type AmiHeader } from './ami-wire';

const bytes = (text: string) => new TextEncoder().encode(text);
const crlf = (lines: string[]) => lines.map((l) => `${l}\r\n`).join('');

/**
 * The example Cdr event of "Asterisk: The Definitive Guide" (5th ed., ch. 21, cdr_manager with
 * `[mappings] rate => Rate, carrier => Carrier`), as cdr_manager.c writes it on the wire: CRLF
 * lines, `Key: ` with an empty value, an empty line at the end.
 */
const BOOK_CDR = crlf([
  'Event: Cdr',
  'Privilege: cdr,all',
  'AccountCode: ',
  'Source: ',
  'Destination: 110',
  'DestinationContext: testing',
  'CallerID: ',
  'Channel: Console/dsp',
  'DestinationChannel: ',
  'LastApplication: Hangup',
  'LastData: ',
  'StartTime: 2010-08-23 08:27:21',
  'AnswerTime: 2010-08-23 08:27:21',
  'EndTime: 2010-08-23 08:27:21',
  'Duration: 0',
  'BillableSeconds: 0',
  'Disposition: ANSWERED',
  'AMAFlags: DOCUMENTATION',
  'UniqueID: 1282570041.3',
  'UserField: ',
  'Rate: 0.02',
  'Carrier: BS&S',
  '',
]);
const BANNER = 'Asterisk Call Manager/5.0.1\r\n';
// Invented: the replies Asterisk's manager.c gives to Login and Ping (their documented form).
const LOGIN_OK = crlf(['Response: Success', 'ActionID: 1', 'Message: Authentication accepted', '']);
const PONG = crlf(['Response: Success', 'ActionID: 2', 'Ping: Pong', 'Timestamp: 1282570041.123456', '']);

const messages = (frames: AmiFrame[]) => frames.flatMap((f) => (f.kind === 'message' ? [f.message] : []));

describe('AmiReader', () => {
  it('reads the banner, then responses and events, from one chunk', () => {
    const frames = new AmiReader().push(bytes(BANNER + LOGIN_OK + BOOK_CDR + PONG));
    expect(frames[0]).toEqual({ kind: 'banner', text: 'Asterisk Call Manager/5.0.1' });
    const [login, cdr, pong] = messages(frames);
    expect(login?.headers).toEqual([
      ['Response', 'Success'],
      ['ActionID', '1'],
      ['Message', 'Authentication accepted'],
    ]);
    expect(cdr && amiHeader(cdr, 'event')).toBe('Cdr');
    expect(cdr && amiHeader(cdr, 'UNIQUEID')).toBe('1282570041.3');
    expect(cdr && amiHeader(cdr, 'AccountCode')).toBe('');
    expect(cdr && amiHeader(cdr, 'Carrier')).toBe('BS&S');
    expect(cdr?.headers).toHaveLength(22);
    expect(pong && amiHeader(pong, 'Ping')).toBe('Pong');
    expect(frames).toHaveLength(4);
  });

  it('reads a message split byte by byte, and lines ended by LF alone', () => {
    const reader = new AmiReader();
    const frames = [...bytes(BANNER + BOOK_CDR.replaceAll('\r\n', '\n'))].flatMap((b) => reader.push(Uint8Array.of(b)));
    expect(frames.map((f) => f.kind)).toEqual(['banner', 'message']);
    const [cdr] = messages(frames);
    expect(cdr && amiHeader(cdr, 'StartTime')).toBe('2010-08-23 08:27:21');
    expect(reader.buffered).toBe(0);
  });

  it('keeps every value of a repeated key, in order', () => {
    const reader = new AmiReader({ banner: false });
    const [message] = messages(reader.push(bytes(crlf(['Event: Newchannel', 'ChanVariable: A=1', 'ChanVariable: B=2', 'Channel: PJSIP/100-00000001', '']))));
    expect(message && amiHeaders(message, 'chanvariable')).toEqual(['A=1', 'B=2']);
    expect(message && amiHeader(message, 'ChanVariable')).toBe('A=1');
  });

  it('keeps the value after the first colon whole (times, channel names with colons)', () => {
    const [message] = messages(new AmiReader({ banner: false }).push(bytes('LastData: SIP/trunk/8:00:00,30\r\nEventTime: 2011-02-06 11:05:51\r\n\r\n')));
    expect(message?.headers).toEqual([
      ['LastData', 'SIP/trunk/8:00:00,30'],
      ['EventTime', '2011-02-06 11:05:51'],
    ]);
  });

  it('reads a `Response: Follows` command output up to --END COMMAND--, empty lines included', () => {
    // Invented, in the form Asterisk ≤ 13 answers `Action: Command`.
    const follows = 'Response: Follows\r\nPrivilege: Command\r\nActionID: 3\r\nName/username   Host\n\n100/100   (Unspecified)\n--END COMMAND--\r\n\r\n';
    const frames = new AmiReader({ banner: false }).push(bytes(follows + PONG));
    const [command, pong] = messages(frames);
    expect(command?.headers).toEqual([
      ['Response', 'Follows'],
      ['Privilege', 'Command'],
      ['ActionID', '3'],
    ]);
    expect(command?.output).toEqual(['Name/username   Host', '', '100/100   (Unspecified)']);
    expect(pong && amiHeader(pong, 'ActionID')).toBe('2');
  });

  it('skips stray empty lines between messages', () => {
    const frames = new AmiReader({ banner: false }).push(bytes(`\r\n\r\n${LOGIN_OK}\r\n${PONG}`));
    expect(messages(frames)).toHaveLength(2);
  });

  it('drops a message larger than the limit, counts it, and reads the next one', () => {
    const reader = new AmiReader({ banner: false, maxMessageBytes: 1024 });
    const huge = `Event: Flood\r\nData: ${'x'.repeat(5000)}\r\n\r\n`;
    const frames = [...chunks(bytes(huge + PONG), 100)].flatMap((c) => reader.push(c));
    expect(frames[0]).toEqual({ kind: 'oversized', bytes: huge.length });
    expect(messages(frames).map((m) => amiHeader(m, 'Ping'))).toEqual(['Pong']);
  });

  it('holds no more than the limit while bytes come without an empty line', () => {
    const reader = new AmiReader({ banner: false, maxMessageBytes: 4096 });
    let most = 0;
    for (let i = 0; i < 2000; i++) {
      reader.push(bytes(i % 3 === 0 ? 'Key: value value value\r\n' : 'no line end here, '));
      most = Math.max(most, reader.buffered);
    }
    expect(most).toBeLessThanOrEqual(4096);
    // The flood ends with an empty line: the reader is back in step.
    const frames = reader.push(bytes(`\r\n\r\n${PONG}`));
    expect(frames.map((f) => f.kind)).toEqual(['oversized', 'message']);
  });

  it('does not take a line split right before its LF for an empty line while skipping', () => {
    const reader = new AmiReader({ banner: false, maxMessageBytes: 128 });
    const frames = [
      ...reader.push(bytes(`Data: ${'y'.repeat(200)}`)),
      ...reader.push(bytes('\r')),
      ...reader.push(bytes('\nStill: the flood\r\n')),
      ...reader.push(bytes('\r')),
      ...reader.push(bytes('\n')),
      ...reader.push(bytes(PONG)),
    ];
    expect(frames.map((f) => f.kind)).toEqual(['oversized', 'message']);
  });

  it('decodes UTF-8 names, and Windows-1251 names where the bytes are not UTF-8', () => {
    const win1251 = Uint8Array.from([0x43, 0x61, 0x6c, 0x6c, 0x65, 0x72, 0x49, 0x44, 0x3a, 0x20, 0x22, 0xc8, 0xe2, 0xe0, 0xed, 0x22, 0x0d, 0x0a]); // CallerID: "Иван" in Windows-1251
    const reader = new AmiReader({ banner: false });
    const frames = [...reader.push(win1251), ...reader.push(bytes('CallerIDname: Пётр\r\n\r\n'))];
    expect(messages(frames)[0]?.headers).toEqual([
      ['CallerID', '"Иван"'],
      ['CallerIDname', 'Пётр'],
    ]);
  });

  it('decodes a UTF-8 character split across two chunks', () => {
    const line = bytes('CallerID: "Пётр" <100>\r\n\r\n');
    const reader = new AmiReader({ banner: false });
    // Byte 12 is inside the two-byte "П".
    const frames = [...reader.push(line.subarray(0, 12)), ...reader.push(line.subarray(12))];
    expect(messages(frames)[0]?.headers).toEqual([['CallerID', '"Пётр" <100>']]);
  });

  it('never throws on arbitrary bytes and never holds more than the limit', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 40 }), (parts) => {
        const reader = new AmiReader({ maxMessageBytes: 512 });
        for (const part of parts) {
          reader.push(part);
          expect(reader.buffered).toBeLessThanOrEqual(512);
        }
      }),
    );
  });
});

describe('a stream cut anywhere', () => {
  const key = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,15}$/);
  // Values as Asterisk writes them: no line breaks, no blanks at the ends (they are trimmed).
  const value = fc
    .string({ unit: fc.constantFrom('a', 'Z', '0', '9', ' ', ':', '/', '-', '"', '<', '>', 'И', 'ё', '€', '😀'), maxLength: 30 })
    .map((s) => s.trim());
  const message = fc.array(fc.tuple(key, value), { minLength: 1, maxLength: 8 });
  const stream = fc.record({ messages: fc.array(message, { maxLength: 6 }), lf: fc.boolean() });

  it('reads the same messages as the stream whole', () => {
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 20 }), ({ messages: sent, lf }, cuts) => {
        const eol = lf ? '\n' : '\r\n';
        const text = `Asterisk Call Manager/2.10.4${eol}${sent.map((m) => m.map(([k, v]) => `${k}: ${v}${eol}`).join('') + eol).join('')}`;
        const whole = bytes(text);
        const frames = new AmiReader().push(whole);
        const reader = new AmiReader();
        const bounds = [0, ...cuts.map((c) => c % (whole.length + 1)).sort((a, b) => a - b), whole.length];
        const split = bounds.slice(1).flatMap((end, i) => reader.push(whole.subarray(bounds[i], end)));
        expect(split).toEqual(frames);
        expect(messages(frames).map((m) => m.headers)).toEqual(sent as AmiHeader[][]);
      }),
    );
  });
});

describe('formatAmiAction', () => {
  it('writes Key: Value lines and the empty line', () => {
    expect(
      formatAmiAction([
        ['Action', 'Login'],
        ['Username', 'calltrail'],
        ['Secret', 's3cr:et'],
      ]),
    ).toBe('Action: Login\r\nUsername: calltrail\r\nSecret: s3cr:et\r\n\r\n');
  });

  it('refuses a line break in a value (it would inject headers)', () => {
    expect(() => formatAmiAction([['Secret', 'x\r\nAction: Originate']])).toThrow(/Secret must not contain a line break/);
    expect(() => formatAmiAction([['Bad Key', 'x']])).toThrow(/not a plain token/);
  });
});

describe('decodeAmiText', () => {
  it('is UTF-8 for UTF-8 and Windows-1251 otherwise', () => {
    expect(decodeAmiText(bytes('Пётр'))).toBe('Пётр');
    expect(decodeAmiText(Uint8Array.from([0xcf, 0xb8, 0xf2, 0xf0]))).toBe('Пётр');
  });
});

function* chunks(all: Uint8Array, size: number) {
  for (let i = 0; i < all.length; i += size) yield all.subarray(i, i + size);
}
