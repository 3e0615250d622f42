import { describe, expect, it } from 'vitest';
import type { NumberRules } from '../domain/phone';
import { isSameNumber, mentions, numberForms, redact, type NumberForms } from './numbers';

const rules: NumberRules = { defaultCountry: 'RU', extensionPattern: /^\d{2,5}$/ };
const ivan = numberForms('8 (495) 123-45-67', rules) as NumberForms;

describe('numberForms', () => {
  it('gives E.164, the international and national digits and the prefixes', () => {
    expect(ivan).toEqual({
      e164: '+74951234567',
      core: '4951234567',
      digitForms: ['74951234567', '84951234567', '4951234567'],
      prefixes: ['7', '8'],
      last4: '4567',
    });
    expect(numberForms('+44 20 7123 4567', rules)).toMatchObject({ e164: '+442071234567', core: '2071234567', prefixes: ['44', '0'] });
  });

  it('refuses extensions and what has too few digits', () => {
    expect(numberForms('101', rules)).toMatch(/extension/);
    expect(numberForms('abc', rules)).toMatch(/at least 6 digits/);
  });
});

describe('isSameNumber', () => {
  it('matches the number however it was dialled, and nothing else', () => {
    for (const v of ['+74951234567', '84951234567', '8 495 123 45 67', '007 495 1234567', '74951234567']) expect(isSameNumber(ivan, v, rules), v).toBe(true);
    for (const v of ['+14951234567', '+74951234568', '101', null]) expect(isSameNumber(ivan, v, rules), String(v)).toBe(false);
  });
});

describe('mentions and redact', () => {
  it('finds the number in text with any separators or prefix, percent-encoded too', () => {
    const texts = ['{"from":"+7 (495) 123-45-67","to":"101"}', 'From=%2B74951234567&To=101', 'caller 8-495-123-45-67 rang', '"src":"4951234567"'];
    for (const t of texts) {
      expect(mentions(ivan, t), t).toBe(true);
      expect(redact(ivan, t)).not.toMatch(/495/);
      expect(redact(ivan, t)).toContain('[erased]');
    }
    expect(redact(ivan, '{"from":"+7 (495) 123-45-67","to":"101"}')).toBe('{"from":"[erased]","to":"101"}');
    expect(mentions(ivan, '149512345678')).toBe(false);
    expect(mentions(ivan, '{"from":"+78125551234"}')).toBe(false);
  });
});
