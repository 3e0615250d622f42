/**
 * What the ledger needs to know about the deployment and its PBX sources, as values and
 * functions. The ledger never reads the config or the PBX registry itself: the composition
 * (jobs.ts `ledgerContext`, reached through deps.ts) builds this once per settings and config.
 * @module
 */
import type { CountryCode } from 'libphonenumber-js/max';
import type { CrmKind } from '../domain/crm-account';
import type { CallEvent } from '../domain/events';
import type { NumberRules } from '../domain/phone';

/** The CRM account deliveries are created for (crm_accounts is filled on first use). */
export interface LedgerCrmAccount {
  accountId: string;
  kind: CrmKind;
  baseUrl?: string;
}

export interface LedgerContext {
  /** The deployment's number rules (default country, extension pattern, lines). */
  rules: NumberRules;
  /** A source's number rules: its own default_country, if it has one, over the deployment's. */
  rulesFor(source: string): NumberRules;
  /** The key space a source's conversations live in (FreePBX's rows are Asterisk CDRs). */
  conversationSource(source: string): string;
  /**
   * A stored body read again by its source's parser, under the deployment's config (a replay of
   * the inbox). Throws when no source has that name or the body does not parse.
   */
  parseStored(source: string, raw: string, meta: Record<string, string>): CallEvent[];
  /** Admission (domain/admit.ts): a leg longer than this is refused as bad input. */
  maxCallSeconds: number;
  timeZone: string;
  defaultCountry: CountryCode;
  settleSeconds: number;
  crm: LedgerCrmAccount;
  /** Sources whose records cannot mark the end of a call: their calls settle after SETTLE_SECONDS of quiet. */
  tentativeFinalSources: ReadonlySet<string>;
}
