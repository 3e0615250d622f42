import { describe, expect, it } from 'vitest';
import { formatPhone, phoneCandidates } from './phone-formats';

describe('phone formats', () => {
  it('spell a Russian number the four ways CRMs store it', () => {
    expect(['e164', 'digits', 'national', 'local10'].map((f) => formatPhone('+74951234567', f as never, 'RU'))).toEqual([
      '+74951234567',
      '74951234567',
      '84951234567',
      '4951234567',
    ]);
  });

  it('use the country’s own national form', () => {
    expect(formatPhone('+493012345678', 'national', 'DE')).toBe('03012345678');
  });

  it('try each distinct spelling once, in order', () => {
    expect(phoneCandidates('+74951234567', ['e164', 'e164', 'local10'], 'RU')).toEqual(['+74951234567', '4951234567']);
  });
});
