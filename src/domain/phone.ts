/**
 * Phone numbers as PBXs send them → E.164, or "this is an extension", or "cannot tell".
 * Extensions are never used to look up CRM contacts.
 * @module
 */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

export type PartyNumber =
  | { kind: 'external'; e164: string; raw: string }
  | { kind: 'extension'; extension: string; raw: string }
  /** Something that is neither an extension nor a number we can place (kept raw, never matched). */
  | { kind: 'unknown'; raw: string }
  | { kind: 'none' };

export interface NumberRules {
  defaultCountry: CountryCode;
  /** Matches internal extensions after separators are stripped. */
  extensionPattern: RegExp;
}

const SEPARATORS = /[\s\-().\u00a0\u2010-\u2015/]/g;
const ANONYMOUS = /^(anonymous|unknown|private|restricted|unavailable|withheld|none)$/i;

export function classifyNumber(input: string | null | undefined, rules: NumberRules): PartyNumber {
  const raw = (input ?? '').trim();
  if (raw === '' || ANONYMOUS.test(raw)) return { kind: 'none' };
  const compact = raw.replace(SEPARATORS, '');
  if (rules.extensionPattern.test(compact)) return { kind: 'extension', extension: compact, raw };
  // No digits at all ("client:alice", a SIP user name): nobody we could call back.
  if (!/\d/.test(raw)) return { kind: 'none' };
  const e164 = toE164(compact, rules.defaultCountry);
  return e164 ? { kind: 'external', e164, raw } : { kind: 'unknown', raw };
}

/**
 * Tries, in order: the number as written (with the default country for national formats),
 * then international formats PBXs emit without a "+" (Zadarma, Yeastar: "442071234567") or with
 * "00". A number libphonenumber calls possible but not valid (a new range) is still accepted from
 * the first reading, because dropping a real caller is worse than an odd-looking number.
 */
export function toE164(compact: string, defaultCountry: CountryCode): string | undefined {
  if (!/^\+?\d+$/.test(compact.replace(/^00/, '+'))) {
    // Letters or stray symbols: let libphonenumber strip extensions ("ext 5"), nothing else.
    const parsed = parsePhoneNumberFromString(compact, defaultCountry);
    return parsed?.isValid() ? parsed.number : undefined;
  }
  const candidates: string[] = [];
  if (compact.startsWith('+')) candidates.push(compact);
  else if (compact.startsWith('00')) candidates.push(`+${compact.slice(2)}`);
  else candidates.push(compact, `+${compact}`);

  const parsed = candidates.map((c) => parsePhoneNumberFromString(c, defaultCountry));
  const valid = parsed.find((p) => p?.isValid());
  if (valid) return valid.number;
  const first = parsed[0];
  return first?.isPossible() ? first.number : undefined;
}

/** For logs: only the last 4 digits survive. */
export function maskNumber(value: string): string {
  const digits = value.replace(/\D/g, '');
  return digits.length <= 4 ? '***' : `***${digits.slice(-4)}`;
}
