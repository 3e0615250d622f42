/**
 * /admin/config: the effective config, secrets masked.
 * @module
 */
import { Hono } from 'hono';
import type { AppDeps } from '../../../deps';
import { effectiveConfigYaml, environmentSummary } from '../core/config-view';
import type { AdminEnv } from '../core/env';
import { configPage } from '../pages/config';

export function configPages(deps: AppDeps) {
  return new Hono<AdminEnv>().get('/admin/config', (c) => {
    const { settings } = deps;
    // The environment variables the config names as secrets, as the CRM settings resolved them.
    const resolved = settings.crm.secrets ?? {};
    const isSet = (name: string) => resolved[name] !== undefined && resolved[name] !== '';
    const origin = settings.configJson ? 'CONFIG' : (settings.configFile ?? 'the built-in defaults');
    return configPage(c, { yaml: effectiveConfigYaml(deps.config, isSet), environment: environmentSummary(settings), origin });
  });
}
