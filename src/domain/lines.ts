/**
 * Per-line rules: the config's `lines:` map, keyed by our number as the integrator wrote it
 * ("+7 495 123-45-67"), matched against the line a PBX reports ("74951234567", "84951234567").
 * @module
 */
import type { CountryCode } from 'libphonenumber-js/max';
import { numberDigits, toE164 } from './phone';

/** The entry for this line (compared by digits, then in E.164), or null. */
export function lineEntry<Rules>(lines: Readonly<Record<string, Rules>>, defaultCountry: CountryCode, line: string | null | undefined): Rules | null {
  if (!line) return null;
  const digits = numberDigits(line).replace(/^\+/, '');
  if (!digits) return null;
  const e164 = /^\d+$/.test(digits) ? toE164(digits, defaultCountry) : undefined;
  for (const [key, rules] of Object.entries(lines)) {
    const keyDigits = numberDigits(key).replace(/^\+/, '');
    if (keyDigits === digits) return rules;
    if (e164 && /^\d+$/.test(keyDigits) && toE164(keyDigits, defaultCountry) === e164) return rules;
  }
  return null;
}
