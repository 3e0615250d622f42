/**
 * The generic and Bitrix24 adapters are chosen by the integrator config (`crm.adapter`), while the CRM
 * settings come from the environment: this joins the two once, where each runtime entry has both
 * (Node: the process environment; Workers: the bindings). The result names the account
 * `generic:<host>` and carries the values of the environment variables the config names as
 * secrets — only those, so nothing else of the environment travels with the settings.
 * @module
 */
import type { Settings } from './env';
import { ConfigError } from '../config/errors';
import type { IntegratorConfig } from './integrator';
import { resolveWebhookUrl, type Bitrix24Config } from '../crm/bitrix24/config';
import { secretReferences } from '../crm/generic/config';

export function withConfiguredCrm(settings: Settings, config: IntegratorConfig, env: Record<string, unknown>): Settings {
  if (config.crm.adapter === 'bitrix24' && config.crm.bitrix24) return withBitrix24(settings, config.crm.bitrix24, env);
  const generic = config.crm.adapter === 'generic' ? config.crm.generic : undefined;
  if (!generic) return settings;
  const problems: string[] = [];
  if (settings.crm.kind === 'amocrm') problems.push('AMOCRM_BASE_URL: is set, but the config says crm.adapter: generic; unset one of them');
  const secrets: Record<string, string> = {};
  for (const { name, path } of secretReferences(generic)) {
    const value = env[name];
    if (typeof value === 'string' && value !== '') secrets[name] = value;
    else problems.push(`${name}: is required by ${path} (crm.adapter: generic)`);
  }
  if (problems.length) throw new ConfigError('environment', problems);
  const { requests, per_seconds } = generic.rate_limit;
  return {
    ...settings,
    crm: { kind: 'generic', accountId: genericAccountId(generic.base_url), baseUrl: generic.base_url, rps: requests / per_seconds, secrets },
    sandboxMode: false,
  };
}

/** Bitrix24: the webhook URL (its secret is in the path) from the file or the variable it names. */
function withBitrix24(settings: Settings, section: Bitrix24Config, env: Record<string, unknown>): Settings {
  const problems: string[] = [];
  if (settings.crm.kind === 'amocrm') problems.push('AMOCRM_BASE_URL: is set, but the config says crm.adapter: bitrix24; unset one of them');
  const secrets: Record<string, string> = {};
  let url: string | undefined;
  try {
    url = resolveWebhookUrl(section, (name) => {
      const value = env[name];
      if (typeof value === 'string' && value !== '') secrets[name] = value;
      return typeof value === 'string' ? value : undefined;
    });
  } catch (error) {
    problems.push((error as Error).message);
  }
  if (problems.length || !url) throw new ConfigError('environment', problems);
  const host = new URL(url).host;
  return {
    ...settings,
    // The account is the portal; the webhook's code never leaves the secrets.
    crm: { kind: 'bitrix24', accountId: `bitrix24:${host}`, baseUrl: `https://${host}`, rps: section.rps, secrets },
    sandboxMode: false,
  };
}

export function genericAccountId(baseUrl: string): string {
  return `generic:${new URL(baseUrl).host}`;
}
