/**
 * What the ledger needs to know about the deployment, derived once from settings and config.
 * @module
 */
import type { CountryCode } from 'libphonenumber-js/max';
import type { CrmSettings, Settings } from '../config/env';
import type { IntegratorConfig } from '../config/integrator';
import type { NumberRules } from '../domain/phone';
import { conversationSource } from '../pbx/registry';
import { numberRules, parseContext, sourceNumberRules, type ParseContext } from '../pbx/source';

export interface LedgerContext {
  /** The deployment's number rules (default country, extension pattern, lines). */
  rules: NumberRules;
  /** A source's number rules: its own default_country, if it has one, over the deployment's. */
  rulesFor(source: string): NumberRules;
  /** The key space a source's conversations live in (FreePBX's rows are Asterisk CDRs). */
  conversationSource(source: string): string;
  timeZone: string;
  defaultCountry: CountryCode;
  settleSeconds: number;
  crm: Pick<CrmSettings, 'accountId' | 'kind' | 'baseUrl'>;
  /** What parsers need: the time zone and the sources' config. */
  parse: ParseContext;
  /** Sources whose records cannot mark the end of a call: their calls settle after SETTLE_SECONDS of quiet. */
  tentativeFinalSources: ReadonlySet<string>;
}

/**
 * Sources whose records cannot say "this was the last": CDR-based PBXs write one record per
 * bridge segment (Asterisk, FreePBX, Yeastar), and per-leg callbacks arrive in any order (Twilio,
 * FreeSWITCH). Their calls settle after SETTLE_SECONDS of quiet, so a transfer reaches the CRM
 * whole the first time instead of as a note updated later.
 */
const TENTATIVE_FINAL_SOURCES: ReadonlySet<string> = new Set(['asterisk', 'freepbx', 'yeastar', 'twilio', 'freeswitch']);

const cache = new WeakMap<IntegratorConfig, WeakMap<Settings, LedgerContext>>();

export function ledgerContext(settings: Settings, config: IntegratorConfig): LedgerContext {
  let bySettings = cache.get(config);
  if (!bySettings) cache.set(config, (bySettings = new WeakMap()));
  let ctx = bySettings.get(settings);
  if (!ctx) {
    const rules = numberRules(config);
    const bySource = new Map<string, NumberRules>();
    ctx = {
      rules,
      rulesFor: (source) => {
        let r = bySource.get(source);
        if (!r) bySource.set(source, (r = sourceNumberRules(rules, config, source)));
        return r;
      },
      conversationSource,
      timeZone: config.time_zone,
      defaultCountry: config.default_country,
      settleSeconds: settings.settleSeconds,
      crm: settings.crm,
      parse: parseContext(config),
      tentativeFinalSources: TENTATIVE_FINAL_SOURCES,
    };
    bySettings.set(settings, ctx);
  }
  return ctx;
}
