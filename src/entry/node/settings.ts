/**
 * Reads the process environment and the integrator config file, once, at start-up.
 * @module
 */
import { readFileSync } from 'node:fs';
import { parseEnv, type Settings } from '../../config/env';
import { ConfigError } from '../../config/errors';
import { defaultIntegratorConfig, parseIntegratorConfig, type IntegratorConfig } from '../../config/integrator';
import { withConfiguredCrm } from '../../crm/generic/settings';

export function loadSettings(env: NodeJS.ProcessEnv = process.env): { settings: Settings; config: IntegratorConfig } {
  const parsed = parseEnv(env);
  const config = loadIntegratorConfig(parsed);
  return { settings: withConfiguredCrm(parsed, config, env), config };
}

export function loadIntegratorConfig(settings: Pick<Settings, 'configFile' | 'configJson'>): IntegratorConfig {
  if (settings.configJson) return parseIntegratorConfig(settings.configJson, 'CONFIG');
  if (!settings.configFile) return defaultIntegratorConfig();
  let text: string;
  try {
    text = readFileSync(settings.configFile, 'utf8');
  } catch (error) {
    throw new ConfigError('CONFIG_FILE', [`cannot read ${settings.configFile}: ${(error as Error).message}`]);
  }
  return parseIntegratorConfig(text, settings.configFile);
}
