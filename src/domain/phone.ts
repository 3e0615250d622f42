/**
 * Phone numbers as PBXs send them → E.164, or "this is an extension", or "kept as dialled".
 * Extensions are never used to look up CRM contacts. A number is read the way the world dials it:
 * international forms (`+`, `00`, the default country's own international prefix such as `810`
 * from Russia or `011` from North America) stay foreign; the default country only completes
 * national forms; digits in other scripts (Arabic-Indic, full-width) are digits. What cannot be
 * placed is kept as dialled, with the reason, and matched by its digits — never guessed into
 * another country's number, never taken for a withheld caller.
 * @module
 */
import { parsePhoneNumberFromString, parseIncompletePhoneNumber, type CountryCode } from 'libphonenumber-js/max';

export type PartyNumber =
  | { kind: 'external'; e164: string; raw: string }
  | { kind: 'extension'; extension: string; raw: string }
  /** A number we cannot place: kept as dialled, matched by its digits, shown with why. */
  | { kind: 'unknown'; raw: string; digits: string; why: string }
  /** Nobody we could call back: withheld, empty, or not a number at all (a SIP user name). */
  | { kind: 'none'; why: 'withheld' | 'empty' | 'no digits'; raw?: string };

export interface NumberRules {
  defaultCountry: CountryCode;
  /** Matches internal extensions after separators are stripped (and digits made ASCII). */
  extensionPattern: RegExp;
  /** Per line (our number a call came in on or went out from, digits only): its national numbers' country. */
  lineCountries?: ReadonlyMap<string, CountryCode>;
}

const SEPARATORS = /[\s\-().\u00a0\u2010-\u2015\u2212/]/g;
const ANONYMOUS = /^(anonymous|unknown|private|restricted|unavailable|withheld|none|blocked)$/i;
/** Any decimal digit of any script, and the full-width plus sign. */
const NON_ASCII_DIGIT = /[\uff0b\p{Nd}]/gu;

/** Digits of any script as ASCII digits ("١٠١" → "101", "＋７" → "+7"); everything else unchanged. */
export function asciiDigits(text: string): string {
  return text.replace(NON_ASCII_DIGIT, (ch) => (ch >= '0' && ch <= '9' ? ch : parseIncompletePhoneNumber(ch === '\uff0b' ? '+' : ch) || ch));
}

/** The number's digits only (with a leading + when it has one), for matching numbers we cannot place. */
export function numberDigits(text: string): string {
  const ascii = asciiDigits(text.trim());
  const digits = ascii.replace(/\D/g, '');
  return ascii.startsWith('+') && digits ? `+${digits}` : digits;
}

export function classifyNumber(input: string | null | undefined, rules: NumberRules, country = rules.defaultCountry): PartyNumber {
  const raw = (input ?? '').trim();
  if (raw === '') return { kind: 'none', why: 'empty' };
  if (ANONYMOUS.test(raw)) return { kind: 'none', why: 'withheld', raw };
  const compact = asciiDigits(raw).replace(SEPARATORS, '');
  if (rules.extensionPattern.test(compact)) return { kind: 'extension', extension: compact, raw };
  // No digits at all ("client:alice", a SIP user name): nobody we could call back.
  if (!/\d/.test(compact)) return { kind: 'none', why: 'no digits', raw };
  const e164 = toE164(compact, country);
  if (e164) return { kind: 'external', e164, raw };
  return { kind: 'unknown', raw, digits: numberDigits(raw), why: `not a number of ${country} nor an international one: kept as dialled` };
}

/**
 * International forms first (`+…`, `00…`): possible numbers are accepted (a range newer than the
 * metadata). Otherwise the national reading in the default country (libphonenumber also strips
 * that country's international prefix: 810 in Russia, 011 in North America), then the same
 * digits as an international number without its "+" (Zadarma, Yeastar: "442071234567") — these
 * only when valid, so that a number is never guessed into a country it does not belong to.
 */
export function toE164(compact: string, defaultCountry: CountryCode): string | undefined {
  const plain = /^\+?\d+$/.test(compact);
  if (!plain) {
    // Letters or stray symbols: let libphonenumber strip extensions ("ext 5"), nothing else.
    const parsed = parsePhoneNumberFromString(compact, defaultCountry);
    return parsed?.isValid() ? parsed.number : undefined;
  }
  if (compact.startsWith('+') || compact.startsWith('00')) {
    const parsed = parsePhoneNumberFromString(`+${compact.replace(/^(\+|00)/, '')}`);
    return parsed?.isPossible() ? parsed.number : undefined;
  }
  for (const candidate of [parsePhoneNumberFromString(compact, defaultCountry), parsePhoneNumberFromString(`+${compact}`)]) {
    if (candidate?.isValid()) return candidate.number;
  }
  return undefined;
}

/** The country national numbers of a call on this line belong to. */
export function countryForLine(rules: NumberRules, line: string | null | undefined): CountryCode {
  if (!line || !rules.lineCountries?.size) return rules.defaultCountry;
  const digits = numberDigits(line).replace(/^\+/, '');
  const byDigits = rules.lineCountries.get(digits);
  if (byDigits) return byDigits;
  // The line written another way than in the config ("8495…" for "+7495…"): compare in E.164.
  const e164 = /^\d+$/.test(digits) ? toE164(digits, rules.defaultCountry) : undefined;
  return (e164 && rules.lineCountries.get(e164.slice(1))) || rules.defaultCountry;
}

/** For logs: only the last 4 digits survive. */
export function maskNumber(value: string): string {
  const digits = asciiDigits(value).replace(/\D/g, '');
  return digits.length <= 4 ? '***' : `***${digits.slice(-4)}`;
}
