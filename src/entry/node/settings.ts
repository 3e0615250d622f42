/**
 * The Node service's settings: the process environment and the file CONFIG_FILE names, through
 * the one config pass (settings/load.ts).
 * @module
 */
import { readFileSync } from 'node:fs';
import { loadIntegratorConfig as loadConfig, loadSettings as load, type Loaded } from '../../settings/load';
import type { Settings } from '../../settings/env';
import type { IntegratorConfig } from '../../settings/integrator';

const readFile = (path: string) => readFileSync(path, 'utf8');

export function loadSettings(env: NodeJS.ProcessEnv = process.env): Loaded {
  return load(env, readFile);
}

export function loadIntegratorConfig(settings: Pick<Settings, 'configFile' | 'configJson'>): IntegratorConfig {
  return loadConfig(settings, readFile);
}
