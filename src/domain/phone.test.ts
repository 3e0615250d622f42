import { describe, expect, it } from 'vitest';
import { classifyNumber, maskNumber, type NumberRules } from './phone';

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

  it('keeps what it cannot place as unknown (raw kept, never matched) and withheld numbers as none', () => {
    expect(classifyNumber('123456', RU)).toEqual({ kind: 'unknown', raw: '123456' });
    for (const none of ['', '  ', null, undefined, 'anonymous', 'Unknown', 'PRIVATE']) {
      expect(classifyNumber(none, RU)).toEqual({ kind: 'none' });
    }
  });
});

describe('maskNumber', () => {
  it('keeps only the last 4 digits', () => {
    expect(maskNumber('+7 (495) 123-45-67')).toBe('***4567');
    expect(maskNumber('101')).toBe('***');
  });
  it('treats strings without digits as no number at all, never an outside party', () => {
    expect(classifyNumber('client:alice', RU)).toEqual({ kind: 'none' });
    expect(classifyNumber('sip:operator@pbx.example', RU)).toEqual({ kind: 'none' });
    expect(classifyNumber('abc', RU)).toEqual({ kind: 'none' });
    // …unless the integrator's extension pattern says it is one of ours.
    expect(classifyNumber('alice', { defaultCountry: 'RU', extensionPattern: /^[a-z]+$/ }).kind).toBe('extension');
  });
});
