/**
 * The effective config as the console shows it: every value after defaults, with the secrets
 * taken out. A config may hold credentials (a generic CRM's API key, a FreePBX database URL with
 * its password, an alert webhook whose URL is the credential); the page must help an admin check
 * the setup without becoming a place to copy them from. So: values under secret-looking keys are
 * replaced, `{env: NAME}` references show only whether NAME is set, and passwords in URLs are cut.
 * The environment side lists what is configured, never a value that authenticates.
 * @module
 */
import { stringify } from 'yaml';
import type { Settings } from '../../../settings/env';
import type { IntegratorConfig } from '../../../settings/integrator';

/** Keys whose values are credentials, wherever they sit in the config. */
export const SECRET_KEY = /secret|token|password|passwd|api_key|apikey|client_secret|authorization|webhook|signing_key|private_key/i;
export const HIDDEN = '(hidden)';

/** The config as YAML text with secrets masked; `isSet` says whether an environment variable has a value. */
export function effectiveConfigYaml(config: IntegratorConfig, isSet: (name: string) => boolean): string {
  return stringify(maskSecrets(config, isSet), { lineWidth: 0 });
}

export function maskSecrets(value: unknown, isSet: (name: string) => boolean, key = ''): unknown {
  const ref = envReference(value);
  if (ref !== null) return `env ${ref} (${isSet(ref) ? 'set' : 'not set'})`;
  if (SECRET_KEY.test(key) && value !== null && value !== undefined && value !== '') return HIDDEN;
  if (typeof value === 'string') return withoutUrlPassword(value);
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v, isSet, key));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSecrets(v, isSet, k)]));
  }
  return value;
}

/** `{env: NAME}`, the config's way of naming a secret kept in the environment. */
function envReference(value: unknown): string | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const entries = Object.entries(value);
  return entries.length === 1 && entries[0]?.[0] === 'env' && typeof entries[0][1] === 'string' ? entries[0][1] : null;
}

/** `mysql://calltrail:pw@host/db` → `mysql://calltrail:(hidden)@host/db`. */
export function withoutUrlPassword(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/:@\s]*):[^@/\s]*@/i, `$1:${HIDDEN}@`);
}

export interface EnvironmentLine {
  name: string;
  value: string;
}

/** What the environment configures, said without a credential: which, not what. */
export function environmentSummary(settings: Settings): EnvironmentLine[] {
  const set = (on: unknown) => (on ? 'set' : 'not set');
  const { crm } = settings;
  const crmLine =
    crm.kind === 'sandbox'
      ? 'the built-in sandbox amoCRM (AMOCRM_BASE_URL not set)'
      : crm.kind === 'amocrm'
        ? `amoCRM ${crm.baseUrl ?? ''}, ${crm.oauth ? 'OAuth' : crm.longLivedToken ? 'long-lived token' : 'no credentials'}`
        : 'the generic REST adapter (crm.adapter in the config)';
  const sources: [string, unknown][] = [
    ['generic', settings.secrets.generic ?? settings.sandboxMode],
    ['asterisk', settings.secrets.asterisk],
    ['zadarma', settings.secrets.zadarma],
    ['twilio', settings.secrets.twilio],
    ['mango', settings.secrets.mango],
    ['yeastar', settings.secrets.yeastar],
    ['freeswitch', settings.secrets.freeswitch],
  ];
  return [
    { name: 'CRM', value: crmLine },
    { name: 'CRM requests per second', value: String(crm.rps) },
    {
      name: 'PBX sources enabled',
      value:
        sources
          .filter(([, on]) => on)
          .map(([name]) => name)
          .join(', ') || 'none',
    },
    { name: 'Database', value: settings.databaseUrl ? `PostgreSQL ${withoutUrlPassword(settings.databaseUrl)}` : `embedded PGlite in ${settings.dataDir}` },
    { name: 'Public URL', value: settings.publicUrl },
    { name: 'Config file', value: settings.configJson ? 'CONFIG (inline JSON)' : (settings.configFile ?? 'none: built-in defaults') },
    { name: 'Recordings storage', value: settings.recordingsStorage ?? 'the runtime default' },
    {
      name: 'Recording link keys',
      value: settings.recordingLinkKeys.length ? `${settings.recordingLinkKeys.length} from RECORDING_LINK_KEYS` : 'generated, kept in the database',
    },
    { name: 'Admin token', value: set(settings.adminToken) },
  ];
}
