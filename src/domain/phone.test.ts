import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { classifyNumber, maskNumber, numberDigits, type NumberRules } from './phone';

/** E.164 numbers of many countries and kinds (mobile, fixed, toll-free). */
const SAMPLES = [
  '+79161234567',
  '+74951234567',
  '+78123456789',
  '+442071234567',
  '+12025550123',
  '+380441234567',
  '+4930123456',
  '+77011234567',
  '+375291234567',
  '+8613812345678',
  '+971501234567',
  '+33612345678',
];

const RU: NumberRules = { defaultCountry: 'RU', extensionPattern: /^\d{2,5}$/ };
const e164 = (input: string, rules = RU) => {
  const n = classifyNumber(input, rules);
  return n.kind === 'external' ? n.e164 : n.kind;
};

describe('classifyNumber', () => {
  it.each([
    ['84951234567', '+74951234567'],
    ['74951234567', '+74951234567'],
    ['+7 (495) 123-45-67', '+74951234567'],
    ['8 (495) 123-45-67', '+74951234567'],
    ['8-916-123-45-67', '+79161234567'],
    ['7 916 123 45 67', '+79161234567'],
    ['+7(916)1234567', '+79161234567'],
    ['4951234567', '+74951234567'],
    ['9161234567', '+79161234567'],
  ])('reads the Russian number %s as %s', (input, expected) => {
    expect(e164(input)).toBe(expected);
  });

  it('tells the area code 812 from the trunk prefix 8', () => {
    expect(e164('88123456789')).toBe('+78123456789'); // trunk 8 + St Petersburg 812
    expect(e164('8123456789')).toBe('+78123456789'); // St Petersburg without trunk prefix
    expect(e164('8 800 555 35 35')).toBe('+78005553535'); // toll-free
  });

  it('reads foreign numbers written without "+" (Zadarma, Yeastar) or with 00', () => {
    expect(e164('442071234567')).toBe('+442071234567');
    expect(e164('12025550123')).toBe('+12025550123');
    expect(e164('380441234567')).toBe('+380441234567');
    expect(e164('0044 20 7123 4567')).toBe('+442071234567');
    expect(e164('+44 20 7123 4567')).toBe('+442071234567');
  });

  it('uses the configured default country for national formats', () => {
    const GB: NumberRules = { defaultCountry: 'GB', extensionPattern: /^\d{2,5}$/ };
    expect(e164('020 7123 4567', GB)).toBe('+442071234567');
    expect(e164('84951234567', GB)).not.toBe('+74951234567');
  });

  it('treats 2–5 digit numbers as extensions, never as phone numbers', () => {
    for (const ext of ['10', '101', '2050', '99999']) {
      expect(classifyNumber(ext, RU)).toEqual({ kind: 'extension', extension: ext, raw: ext });
    }
    expect(classifyNumber(' 1-01 ', RU)).toMatchObject({ kind: 'extension', extension: '101' });
  });

  it('follows a custom extension pattern', () => {
    const rules: NumberRules = { defaultCountry: 'RU', extensionPattern: /^(1\d{3}|SIP\/\w+)$/ };
    expect(classifyNumber('1234', rules).kind).toBe('extension');
    expect(classifyNumber('234', rules).kind).toBe('unknown');
  });

  it('keeps what it cannot place as dialled, with its digits and why; withheld numbers are none', () => {
    expect(classifyNumber('21-49-43', RU)).toEqual({
      kind: 'unknown',
      raw: '21-49-43',
      digits: '214943',
      why: 'not a number of RU nor an international one: kept as dialled',
    });
    for (const none of ['', '  ', null, undefined]) expect(classifyNumber(none, RU)).toEqual({ kind: 'none', why: 'empty' });
    for (const withheld of ['anonymous', 'Unknown', 'PRIVATE']) expect(classifyNumber(withheld, RU)).toEqual({ kind: 'none', why: 'withheld', raw: withheld });
  });

  it('keeps international forms foreign: +, 00, and the country’s own international prefix (810, 011)', () => {
    expect(e164('81079246516548')).toBe('+79246516548'); // 8-10 from Russia, then +7 924 …
    expect(e164('8 10 49 30 1234567')).toBe('+49301234567');
    expect(e164('81049301234567')).toBe('+49301234567');
    const US: NumberRules = { defaultCountry: 'US', extensionPattern: /^\d{2,5}$/ };
    expect(e164('011 44 20 7123 4567', US)).toBe('+442071234567');
    expect(e164('0049 30 1234567', US)).toBe('+49301234567');
    // Never guessed into the default country: a foreign national number stays as dialled.
    const DE: NumberRules = { defaultCountry: 'DE', extensionPattern: /^\d{2,5}$/ };
    expect(e164('79246516548', DE)).toBe('+79246516548');
    expect(e164('0501234567')).toBe('unknown');
  });

  it('reads digits of other scripts as digits', () => {
    expect(e164('٨٩١٦١٢٣٤٥٦٧')).toBe('+79161234567'); // Arabic-Indic
    expect(e164('۸۹۱۶۱۲۳۴۵۶۷')).toBe('+79161234567'); // Extended Arabic-Indic (Persian)
    expect(e164('＋７ (９１６) １２３-４５-６７')).toBe('+79161234567'); // full-width
    expect(classifyNumber('١٠١', RU)).toMatchObject({ kind: 'extension', extension: '101' });
    expect(maskNumber('٨٩١٦١٢٣٤٥٦٧')).toBe('***4567');
  });

  it('round-trips: an E.164 number reads as itself, in any of its forms (property)', () => {
    fc.assert(
      // Bare digits are read nationally first (4930123456 is a valid Russian number too): only the
      // explicit international forms are unambiguous.
      fc.property(fc.constantFrom(...SAMPLES), fc.constantFrom('+', '00', '+ ', '00 '), (e164Number, prefix) => {
        const digits = e164Number.slice(1);
        expect(e164(`${prefix}${digits}`)).toBe(e164Number);
        const n = classifyNumber(e164Number, RU);
        expect(n.kind === 'external' && classifyNumber(n.e164, RU)).toEqual(n);
      }),
    );
  });

  it('never throws and never invents: any text is a number it can place, an extension, kept as dialled, or none (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        fc.constantFrom<NumberRules['defaultCountry']>('RU', 'US', 'DE', 'KZ', 'GB'),
        (text, country) => {
          const n = classifyNumber(text, { defaultCountry: country, extensionPattern: /^\d{2,5}$/ });
          if (n.kind === 'external') {
            expect(n.e164).toMatch(/^\+\d{6,15}$/);
            // The same digits always give the same number: reading is a function of the digits.
            expect(classifyNumber(numberDigits(text), { defaultCountry: country, extensionPattern: /^\d{2,5}$/ })).toMatchObject({
              kind: 'external',
              e164: n.e164,
            });
          }
          if (n.kind === 'unknown') expect(n.digits).toBe(numberDigits(text));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('maskNumber', () => {
  it('keeps only the last 4 digits', () => {
    expect(maskNumber('+7 (495) 123-45-67')).toBe('***4567');
    expect(maskNumber('101')).toBe('***');
  });
  it('treats strings without digits as no number at all (not as withheld), never an outside party', () => {
    expect(classifyNumber('client:alice', RU)).toEqual({ kind: 'none', why: 'no digits', raw: 'client:alice' });
    expect(classifyNumber('sip:operator@pbx.example', RU)).toMatchObject({ kind: 'none', why: 'no digits' });
    expect(classifyNumber('abc', RU)).toMatchObject({ kind: 'none', why: 'no digits' });
    // …unless the integrator's extension pattern says it is one of ours.
    expect(classifyNumber('alice', { defaultCountry: 'RU', extensionPattern: /^[a-z]+$/ }).kind).toBe('extension');
  });
});
