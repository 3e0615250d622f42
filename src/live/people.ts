/**
 * Who a live call concerns: the rules of the line it rings on, the CRM users to show it to, the
 * extension of a CRM user (to route a caller to the manager responsible for them, to dial from
 * the CRM), and the caller's number as the CRM matches it.
 * @module
 */
import type { CountryCode } from 'libphonenumber-js/max';
import { lineEntry } from '../domain/lines';
import { classifyNumber, type NumberRules } from '../domain/phone';
import { userFor } from '../domain/people';
import type { LineRules, LiveReadConfig } from './deps';

/** The config's rules for this line, or none. */
export function lineRules(config: Pick<LiveReadConfig, 'lines' | 'default_country'>, line: string | null | undefined): LineRules | null {
  return lineEntry(config.lines, config.default_country, line);
}

export function numberRulesOf(config: Pick<LiveReadConfig, 'default_country' | 'extension_pattern'>): NumberRules {
  return { defaultCountry: config.default_country, extensionPattern: new RegExp(config.extension_pattern) };
}

/** The outside party's number as the CRM should match it: E.164, else the digits; null for an extension or none. */
export function outsideNumber(
  config: Pick<LiveReadConfig, 'default_country' | 'extension_pattern' | 'lines'>,
  raw: string | null,
  line: string | null,
): string | null {
  const country: CountryCode = lineRules(config, line)?.default_country ?? config.default_country;
  const party = classifyNumber(raw, numberRulesOf(config), country);
  if (party.kind === 'external') return party.e164;
  if (party.kind === 'unknown') return party.digits;
  return null;
}

/** The extensions a ringing list stands for: ring groups and queues expanded to their members. */
export function ringingExtensions(config: Pick<LiveReadConfig, 'live'>, extensions: readonly string[]): string[] {
  const out: string[] = [];
  for (const e of extensions) for (const member of config.live.pop.ring_groups[e] ?? [e]) if (!out.includes(member)) out.push(member);
  return out;
}

/**
 * The CRM users a ringing call is shown to, each with the extension that rings for them: the
 * line's `pop_users` when it names them, else the users mapped from the ringing extensions.
 * The default user (for unmapped extensions) is not popped: a rep's screen is not a catch-all.
 */
export function popUsers(config: LiveReadConfig, extensions: readonly string[], line: string | null): Map<string, string | null> {
  const users = new Map<string, string | null>();
  const fixed = lineRules(config, line)?.pop_users;
  if (fixed) {
    for (const u of fixed) users.set(String(u), null);
    return users;
  }
  for (const e of ringingExtensions(config, extensions)) {
    const entry = config.extensions[e];
    const user = typeof entry === 'number' ? entry : entry?.user;
    if (user !== undefined && !users.has(String(user))) users.set(String(user), e);
  }
  return users;
}

/** The first extension mapped to this CRM user, or null. */
export function extensionOfUser(config: Pick<LiveReadConfig, 'extensions' | 'default_user'>, user: number | string | null): string | null {
  if (user === null) return null;
  for (const extension of Object.keys(config.extensions)) {
    if (String(userFor({ ...config, default_user: null }, extension).userId) === String(user)) return extension;
  }
  return null;
}
