/**
 * The spellings of one number a CRM might have stored: CRMs search phone fields as text, so
 * "+74951234567", "74951234567", "84951234567" and "4951234567" are four different searches.
 * find_contact tries the configured formats in order and stops at the first that finds someone.
 * @module
 */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import type { PhoneFormat } from './config';

/** The number in this format; null when it cannot be written so (a national form of a bad number). */
export function formatPhone(phone: string, format: PhoneFormat, country: CountryCode): string | null {
  const parsed = parsePhoneNumberFromString(phone, country);
  const digits = (parsed?.number ?? phone).replace(/\D/g, '');
  if (digits === '') return null;
  switch (format) {
    case 'e164':
      return parsed ? parsed.number : phone.trim().startsWith('+') ? `+${digits}` : null;
    case 'digits':
      return digits;
    case 'national':
      return parsed ? parsed.formatNational().replace(/\D/g, '') || null : null;
    case 'local10':
      return digits.length >= 10 ? digits.slice(-10) : null;
  }
}

/** Each distinct spelling once, in the configured order. */
export function phoneCandidates(phone: string, formats: readonly PhoneFormat[], country: CountryCode): string[] {
  const out: string[] = [];
  for (const format of formats) {
    const value = formatPhone(phone, format, country);
    if (value !== null && !out.includes(value)) out.push(value);
  }
  return out;
}
