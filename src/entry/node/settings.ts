/**
 * The Node service's settings: the process environment and the file CONFIG_FILE names, through
 * the one config pass (settings/load.ts).
 * @module
 */
import { readFileSync } from 'node:fs';
import { loadIntegratorConfig as loadConfig, loadSettings as load, type Loaded } from '../../settings/load';
import type { Settings } from '../../settings/env';
import { localSealKeys } from './keys-command';
import { parseIntegratorConfig, type IntegratorConfig } from '../../settings/integrator';

/** CONFIG_FILE from the disk, JSON or YAML by its name. */
const files = { read: (path: string) => readFileSync(path, 'utf8'), parse: parseIntegratorConfig };

/** A local (PGlite) deployment without SECRETS_KEYS seals with a key file in DATA_DIR. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): Loaded {
  const loaded = load(env, files);
  const { settings } = loaded;
  if (!settings.databaseUrl && !settings.secretsKeys.length) settings.secretsKeys = localSealKeys(settings.dataDir);
  return loaded;
}

export function loadIntegratorConfig(settings: Pick<Settings, 'configFile' | 'configJson'>): IntegratorConfig {
  return loadConfig(settings, files);
}
