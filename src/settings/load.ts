/**
 * The one config pass: the environment (Node: process.env; Workers: the bindings) and the
 * integrator config it names (CONFIG_FILE, read by the runtime; or CONFIG, the JSON itself) are
 * parsed once, at start, into the typed settings and config everything else is given — the CRM
 * account the config chooses (generic, Bitrix24) resolved with its secrets in the same pass.
 * Runtime-neutral: reading a file, and reading YAML, is the caller's (Node's); CONFIG is JSON.
 * @module
 */
import { ConfigError } from '../config/errors';
import { withConfiguredCrm } from './crm-account';
import { parseEnv, type Settings } from './env';
import { defaultIntegratorConfig, parseIntegratorJson, type IntegratorConfig } from './integrator';

export interface Loaded {
  settings: Settings;
  config: IntegratorConfig;
}

/**
 * CONFIG_FILE as the runtime reads it (Node: the file's text, parsed as JSON or YAML by its name:
 * settings/integrator's parseIntegratorConfig); a runtime without files passes none and uses CONFIG.
 */
export interface ConfigFiles {
  read(path: string): string;
  parse(text: string, name: string): IntegratorConfig;
}

/** Throws ConfigError naming every problem of the environment or the file. */
export function loadSettings(env: Record<string, unknown>, files?: ConfigFiles): Loaded {
  const parsed = parseEnv(env);
  const config = loadIntegratorConfig(parsed, files);
  return { settings: withConfiguredCrm(parsed, config, env), config };
}

export function loadIntegratorConfig(settings: Pick<Settings, 'configFile' | 'configJson'>, files?: ConfigFiles): IntegratorConfig {
  if (settings.configJson) return parseIntegratorJson(settings.configJson, 'CONFIG');
  if (!settings.configFile) return defaultIntegratorConfig();
  if (!files) throw new ConfigError('CONFIG_FILE', ['this runtime reads no files: put the config in CONFIG as JSON']);
  let text: string;
  try {
    text = files.read(settings.configFile);
  } catch (error) {
    throw new ConfigError('CONFIG_FILE', [`cannot read ${settings.configFile}: ${(error as Error).message}`]);
  }
  return files.parse(text, settings.configFile);
}
