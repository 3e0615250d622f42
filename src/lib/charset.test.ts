import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseCharset, decodeBody, isUtf8 } from './charset';
import { parseFormBytes } from './form-bytes';

const utf8 = (text: string) => new TextEncoder().encode(text);

/** Windows-1251 bytes of Cyrillic text: А..я are 0xC0..0xFF, Ё 0xA8, ё 0xB8 (the code page's table). */
function cp1251(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => {
    const code = c.charCodeAt(0);
    if (code < 0x80) return code;
    if (code >= 0x410 && code <= 0x44f) return code - 0x410 + 0xc0;
    if (c === 'Ё') return 0xa8;
    if (c === 'ё') return 0xb8;
    throw new Error(`not in this test's table: ${c}`);
  });
}
const escaped = (bytes: Uint8Array) => [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

const LETTERS = 'АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнопрстуфхцчшщъыьэюя';
/** Letters other than Ё/ё are all UTF-8 lead bytes in cp1251 (0xC0–0xFF) that no letter can continue. */
const withoutYo = fc.string({ unit: fc.constantFrom(...LETTERS.replace(/[Ёё]/g, ''), ' ', '"', '<', '1'), minLength: 1 }).filter((t) => /[А-я]/.test(t));

describe('decodeBody', () => {
  it('reads UTF-8 as UTF-8, and a Windows-1251 caller name as Windows-1251 (auto)', () => {
    expect(decodeBody(utf8('"Иван" <101>'), 'auto', false)).toEqual({ text: '"Иван" <101>', charset: 'utf-8' });
    expect(decodeBody(cp1251('"Иван" <101>'), 'auto', false)).toEqual({ text: '"Иван" <101>', charset: 'windows-1251' });
  });

  it('uses an explicit charset whatever the bytes look like', () => {
    // "Иван" in KOI8-R: é÷áî.
    expect(decodeBody(Uint8Array.of(0xe9, 0xd7, 0xc1, 0xce), 'koi8-r', false).text).toBe('Иван');
    expect(decodeBody(cp1251('Иван'), 'utf-8', false).text).toBe('\ufffd'.repeat(4));
  });

  it('any UTF-8 text comes back as it was (auto)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        expect(decodeBody(utf8(text), 'auto', false).text).toBe(text.replace(/^\ufeff/, ''));
      }),
    );
  });

  it('any text with Cyrillic letters but Ё/ё, in cp1251, comes back as it was (auto)', () => {
    fc.assert(
      fc.property(withoutYo, (text) => {
        expect(decodeBody(cp1251(text), 'auto', false)).toEqual({ text, charset: 'windows-1251' });
      }),
    );
  });

  it('can be fooled by a capital followed by Ё/ё alone (valid UTF-8 by accident): set the charset then', () => {
    expect(decodeBody(cp1251('ИЁ'), 'auto', false).charset).toBe('utf-8');
    expect(decodeBody(cp1251('ИЁ'), 'windows-1251', false).text).toBe('ИЁ');
    expect(decodeBody(cp1251('"ИЁ" <74951234567>,Иван'), 'auto', false).text).toBe('"ИЁ" <74951234567>,Иван');
  });

  it('keeps a form as sent when its values are UTF-8, and writes cp1251 values again as a UTF-8 form', () => {
    const sent = 'CallSid=CA1&CallerName=%D0%98%D0%B2%D0%B0%D0%BD&To=%2B7499';
    expect(decodeBody(utf8(sent), 'auto', true)).toEqual({ text: sent, charset: 'utf-8' });
    const legacy = decodeBody(utf8(`CallSid=CA1&CallerName=${escaped(cp1251('Иван'))}&To=%2B7499`), 'auto', true);
    expect(legacy.charset).toBe('windows-1251');
    expect([...new URLSearchParams(legacy.text)]).toEqual([
      ['CallSid', 'CA1'],
      ['CallerName', 'Иван'],
      ['To', '+7499'],
    ]);
  });

  it('any form of cp1251 values percent-escaped reads back to its values', () => {
    // Ё/ё (0xA8/0xB8) are UTF-8 continuation bytes, so a value such as "ЗЁ" (C7 A8) is also valid UTF-8;
    // that ambiguity is pinned by "can be fooled by a capital followed by Ё/ё" above, and this property draws from the letters without it.
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.stringMatching(/^[a-z_]{1,8}$/), withoutYo), { minLength: 1, maxLength: 5 }), (pairs) => {
        const body = utf8(pairs.map(([k, v]) => `${k}=${escaped(cp1251(v))}`).join('&'));
        expect([...new URLSearchParams(decodeBody(body, 'auto', true).text)]).toEqual(pairs);
      }),
    );
  });
});

describe('chooseCharset', () => {
  it('is UTF-8 only when every part is', () => {
    expect(chooseCharset([utf8('а'), utf8('b')], 'auto')).toBe('utf-8');
    expect(chooseCharset([utf8('а'), cp1251('б')], 'auto')).toBe('windows-1251');
    expect(chooseCharset([cp1251('б')], 'koi8-r')).toBe('koi8-r');
    expect(isUtf8(Uint8Array.of(0xed, 0xa0, 0x80))).toBe(false); // an encoded surrogate is not UTF-8
  });
});

describe('parseFormBytes', () => {
  it('reads what URLSearchParams writes, for any text', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' })), { maxLength: 6 }), (pairs) => {
        const body = utf8(new URLSearchParams(pairs).toString());
        const decoder = new TextDecoder();
        expect(parseFormBytes(body).map(([k, v]) => [decoder.decode(k), decoder.decode(v)])).toEqual(pairs);
      }),
    );
  });

  it('gives back any bytes percent-escaped, and reads "+" as a space and a stray "%" as itself', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        expect(parseFormBytes(utf8(`v=${escaped(bytes)}`))).toEqual([[utf8('v'), bytes]]);
      }),
    );
    expect(parseFormBytes(utf8('a=1+2%&b&&=c%4'))).toEqual([
      [utf8('a'), utf8('1 2%')],
      [utf8('b'), new Uint8Array()],
      [new Uint8Array(), utf8('c%4')],
    ]);
  });
});
