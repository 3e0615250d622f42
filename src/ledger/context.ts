/**
 * What the ledger needs to know about the deployment, derived once from settings and config.
 * @module
 */
import type { CountryCode } from 'libphonenumber-js/max';
import type { CrmSettings, Settings } from '../config/env';
import type { IntegratorConfig } from '../config/integrator';
import type { NumberRules } from '../domain/phone';

export interface LedgerContext {
  rules: NumberRules;
  timeZone: string;
  defaultCountry: CountryCode;
  settleSeconds: number;
  crm: Pick<CrmSettings, 'accountId' | 'kind' | 'baseUrl'>;
}

const cache = new WeakMap<IntegratorConfig, WeakMap<Settings, LedgerContext>>();

export function ledgerContext(settings: Settings, config: IntegratorConfig): LedgerContext {
  let bySettings = cache.get(config);
  if (!bySettings) cache.set(config, (bySettings = new WeakMap()));
  let ctx = bySettings.get(settings);
  if (!ctx) {
    ctx = {
      rules: { defaultCountry: config.default_country, extensionPattern: new RegExp(config.extension_pattern) },
      timeZone: config.time_zone,
      defaultCountry: config.default_country,
      settleSeconds: settings.settleSeconds,
      crm: settings.crm,
    };
    bySettings.set(settings, ctx);
  }
  return ctx;
}
