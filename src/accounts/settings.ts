/**
 * An added account's settings: the instance's (database, storage, keys, timings, the owner's
 * ADMIN_TOKEN) with the account's own parts put in their place — its CRM, its PBX sources'
 * secrets, its lookup, click-to-call and metrics tokens, its integrator config — and its own public URL
 * (PUBLIC_URL/a/<slug>) and data folder (DATA_DIR/accounts/<slug>). What account 1 holds for
 * itself (its LOOKUP_TOKEN, its recording link keys, its AMI) never reaches another account.
 * @module
 */
import { ConfigError } from '../config/errors';
import { withConfiguredCrm } from '../settings/crm-account';
import { envSchema, parseEnv, type Settings } from '../settings/env';
import { integratorConfigSchema, type IntegratorConfig } from '../settings/integrator';
import { describeConfigIssues } from '../config/issues';

/** The variables an account sets for itself: its CRM, its PBX sources, its tokens. */
export const ACCOUNT_VARIABLES = [
  'AMOCRM_BASE_URL',
  'AMOCRM_LONG_LIVED_TOKEN',
  'AMOCRM_CLIENT_ID',
  'AMOCRM_CLIENT_SECRET',
  'AMOCRM_REDIRECT_URI',
  'AMOCRM_RPS',
  'LOOKUP_TOKEN',
  'ORIGINATE_TOKEN',
  'METRICS_TOKEN',
  'BITRIX24_APP_TOKEN',
  'GENERIC_WEBHOOK_SECRET',
  'ASTERISK_WEBHOOK_SECRET',
  'ASTERISK_AMI_URL',
  'FREESWITCH_ESL',
  'FREESWITCH_BASIC_AUTH',
  'ZADARMA_API_KEY',
  'ZADARMA_API_SECRET',
  'TWILIO_AUTH_TOKEN',
  'MANGO_API_KEY',
  'MANGO_API_SALT',
  'YEASTAR_WEBHOOK_SECRET',
] as const;

const OWN = new Set<string>(ACCOUNT_VARIABLES);
const NAME = /^[A-Z][A-Z0-9_]{0,63}$/;

/**
 * Problems of a set of account variables: a name that is not one, an instance variable
 * (DATABASE_URL, SECRETS_KEYS … belong to the instance), an empty or oversized value. Other
 * names are allowed: a generic or Bitrix24 config names its secrets (`{env: NAME}`).
 */
export function variableProblems(variables: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(variables)) {
    if (!NAME.test(name)) problems.push(`${name}: not a variable name (upper-case letters, digits and _)`);
    else if (!OWN.has(name) && name in envSchema.shape) problems.push(`${name}: is the instance's, set in its environment, not an account's`);
    else if (typeof value !== 'string' || value === '') problems.push(`${name}: expected a non-empty string`);
    else if (value.length > 4096) problems.push(`${name}: longer than 4096 characters`);
  }
  return problems;
}

/** Validates an account's integrator config (an object, as stored); throws ConfigError. */
export function accountConfig(raw: unknown, slug: string): IntegratorConfig {
  const result = integratorConfigSchema.safeParse(raw ?? {});
  if (!result.success) throw new ConfigError(`the config of account ${slug}`, describeConfigIssues(result.error, integratorConfigSchema));
  return result.data;
}

export interface AccountSource {
  slug: string;
  variables: Record<string, string>;
  config: IntegratorConfig;
}

/** The account's Settings; throws ConfigError naming its variables' problems. */
export function accountSettings(instance: Settings, account: AccountSource): Settings {
  const problems = variableProblems(account.variables);
  if (problems.length) throw new ConfigError(`the variables of account ${account.slug}`, problems);
  let own: Settings;
  try {
    own = parseEnv(account.variables);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(`the variables of account ${account.slug}`, error.problems);
    throw error;
  }
  // Account 1's own parts stay behind; the instance's shared parts come along.
  const { lookupToken, originateToken, metricsToken, bitrix24AppToken, configFile, configJson, asteriskAmi, freeswitchEsl, ...shared } = instance;
  const settings: Settings = {
    ...shared,
    publicUrl: `${instance.publicUrl.replace(/\/+$/, '')}/a/${account.slug}`,
    dataDir: `${instance.dataDir.replace(/\/+$/, '')}/accounts/${account.slug}`,
    crm: own.crm,
    sandboxMode: own.sandboxMode,
    secrets: own.secrets,
    // Links are signed with the account's own generated key, never with account 1's.
    recordingLinkKeys: [],
    recordingsPrefix: `accounts/${account.slug}/`,
    ...(own.lookupToken ? { lookupToken: own.lookupToken } : {}),
    ...(own.originateToken ? { originateToken: own.originateToken } : {}),
    ...(own.metricsToken ? { metricsToken: own.metricsToken } : {}),
    ...(own.bitrix24AppToken ? { bitrix24AppToken: own.bitrix24AppToken } : {}),
    ...(own.asteriskAmi ? { asteriskAmi: own.asteriskAmi } : {}),
    ...(own.freeswitchEsl ? { freeswitchEsl: own.freeswitchEsl } : {}),
  };
  try {
    return withConfiguredCrm(settings, account.config, account.variables);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(`the variables of account ${account.slug}`, error.problems);
    throw error;
  }
}
