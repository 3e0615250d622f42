/**
 * The one config pass: the environment (Node: process.env; Workers: the bindings) and the
 * integrator config it names (CONFIG_FILE, read by the runtime; or CONFIG, the JSON itself) are
 * parsed once, at start, into the typed settings and config everything else is given — the CRM
 * account the config chooses (generic, Bitrix24) resolved with its secrets in the same pass.
 * Runtime-neutral: reading a file is the caller's.
 * @module
 */
import { ConfigError } from '../config/errors';
import { withConfiguredCrm } from './crm-account';
import { parseEnv, type Settings } from './env';
import { defaultIntegratorConfig, parseIntegratorConfig, type IntegratorConfig } from './integrator';

export interface Loaded {
  settings: Settings;
  config: IntegratorConfig;
}

/** Reads CONFIG_FILE's text (Node); a runtime without files passes none and uses CONFIG. */
export type ReadConfigFile = (path: string) => string;

/** Throws ConfigError naming every problem of the environment or the file. */
export function loadSettings(env: Record<string, unknown>, readConfigFile?: ReadConfigFile): Loaded {
  const parsed = parseEnv(env);
  const config = loadIntegratorConfig(parsed, readConfigFile);
  return { settings: withConfiguredCrm(parsed, config, env), config };
}

export function loadIntegratorConfig(settings: Pick<Settings, 'configFile' | 'configJson'>, readConfigFile?: ReadConfigFile): IntegratorConfig {
  if (settings.configJson) return parseIntegratorConfig(settings.configJson, 'CONFIG');
  if (!settings.configFile) return defaultIntegratorConfig();
  if (!readConfigFile) throw new ConfigError('CONFIG_FILE', ['this runtime reads no files: put the config in CONFIG as JSON']);
  let text: string;
  try {
    text = readConfigFile(settings.configFile);
  } catch (error) {
    throw new ConfigError('CONFIG_FILE', [`cannot read ${settings.configFile}: ${(error as Error).message}`]);
  }
  return parseIntegratorConfig(text, settings.configFile);
}
