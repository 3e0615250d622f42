/**
 * One phone number in every form it may have been written in: E.164, international digits, the
 * national form with its trunk prefix, the national significant number — and, in free text
 * (stored webhook bodies), with any separators between the digits, percent-encoded or not.
 * What erasure searches for and redacts.
 * @module
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { classifyNumber, numberDigits, type NumberRules } from '../domain/phone';

/** What replaces the number in a body that carries other calls too. */
export const REDACTED = '[erased]';

export interface NumberForms {
  /** E.164, or null for a number that cannot be placed (matched by its digits). */
  e164: string | null;
  /** The shortest run of digits every form ends with (the national significant number). */
  core: string;
  /** Every digit-only form: international digits, national with trunk prefix, the core. */
  digitForms: string[];
  /** Digits that may precede the core: country code, trunk prefix ("7", "8", "0"). */
  prefixes: string[];
  last4: string;
}

/** Shortest number erasure accepts: fewer digits would match unrelated text. */
const MIN_DIGITS = 6;

/** The number's forms, or a message saying why it cannot be erased by number. */
export function numberForms(input: string, rules: NumberRules): NumberForms | string {
  const party = classifyNumber(input, rules);
  if (party.kind === 'external') {
    const parsed = parsePhoneNumberFromString(party.e164);
    const core = parsed ? String(parsed.nationalNumber) : party.e164.slice(1);
    const intl = party.e164.slice(1);
    const national = parsed ? parsed.formatNational().replace(/\D/g, '') : core;
    const cc = parsed ? String(parsed.countryCallingCode) : '';
    const trunk = national.endsWith(core) ? national.slice(0, national.length - core.length) : '';
    return {
      e164: party.e164,
      core,
      digitForms: unique([intl, national, core]),
      prefixes: unique([cc, trunk].filter(Boolean)),
      last4: core.slice(-4),
    };
  }
  if (party.kind === 'extension') return `${input.trim()} is an internal extension, not an outside number`;
  const digits = party.kind === 'unknown' ? party.digits.replace(/^\+/, '') : numberDigits(input).replace(/^\+/, '');
  if (digits.length < MIN_DIGITS) return `expected a phone number (at least ${MIN_DIGITS} digits)`;
  return { e164: null, core: digits, digitForms: [digits], prefixes: [], last4: digits.slice(-4) };
}

/** Whether a stored number (as dialled) is this number, read the way the ledger reads numbers. */
export function isSameNumber(forms: NumberForms, value: string | null | undefined, rules: NumberRules): boolean {
  if (!value) return false;
  const digits = numberDigits(value).replace(/^\+/, '');
  if (!digits.endsWith(forms.core)) return false;
  if (forms.digitForms.includes(digits)) return true;
  if (!forms.e164) return false;
  const party = classifyNumber(value, rules);
  if (party.kind === 'external' && party.e164 === forms.e164) return true;
  // "00" or the international prefix of the default country ("810…"): read as written.
  const country = parsePhoneNumberFromString(forms.e164)?.country;
  const own = country ? classifyNumber(value, rules, country) : null;
  return own?.kind === 'external' && own.e164 === forms.e164;
}

/** Between two digits of a number written in text: spaces, dashes, brackets, dots, "+", %-escapes. */
const JS_SEP = '(?:[\\s().\\-/+\\u00a0]|%2[0389BbFf])*';
const PG_SEP = '(?:[[:space:]().+/-]|%2[0389BbFf])*';

const spaced = (digits: string, sep: string) => digits.split('').join(sep);

/** The number anywhere in text, with any prefix ("+7", "8", "%2B7", "007") it was written with. */
export function mentionPattern(forms: NumberForms): RegExp {
  const prefix = forms.prefixes.length ? `(?:(?:\\+|%2[Bb]|00)?(?:${forms.prefixes.join('|')})${JS_SEP})?` : '';
  return new RegExp(`(?<![0-9])${prefix}${spaced(forms.core, JS_SEP)}(?![0-9])`, 'g');
}

/** A PostgreSQL regular expression finding the texts that may mention the number (confirmed in JS). */
export function mentionPgPattern(forms: NumberForms): string {
  return spaced(forms.core, PG_SEP);
}

export function mentions(forms: NumberForms, text: string | null | undefined): boolean {
  if (!text) return false;
  const pattern = mentionPattern(forms);
  return pattern.test(text);
}

/** The text with every mention of the number replaced by REDACTED. */
export function redact(forms: NumberForms, text: string): string {
  return text.replace(mentionPattern(forms), REDACTED);
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
