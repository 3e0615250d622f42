/**
 * Drives a preset (presets/<name>.yaml) the way production does: the YAML goes through the
 * integrator config parser, and the generic adapter is built by the same factory connect.ts uses
 * for `crm.adapter: generic` (genericAdapter), with the limiter at the preset's own rate and the
 * secrets taken from the `{env: …}` names the preset declares. The vendor fake, the limiter and
 * the HTTP layer share one virtual clock, so a 429's pause or the preset's pacing passes
 * instantly but is seen by the fake's rate windows exactly as the real CRM would see it.
 * Requests leave through the global fetch, which msw intercepts.
 * @module
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { http, HttpResponse } from 'msw';
import { parseIntegratorConfig, type IntegratorConfig } from '../../src/settings/integrator';
import { secretReferences } from '../../src/crm/generic/config';
import { genericAdapter } from '../../src/crm/generic/connect';
import { RateLimiter } from '../../src/crm/limiter';
import { memoryLogger } from '../../src/lib/log';

export const PRESETS_DIR = join(import.meta.dirname, '../../presets');

/** The preset file as an integrator config, with `extra` YAML (top-level keys) added before it. */
export function loadPreset(name: string, extra = ''): IntegratorConfig {
  return parseIntegratorConfig(`${extra}\n${readFileSync(join(PRESETS_DIR, `${name}.yaml`), 'utf8')}`, `${name}.yaml`);
}

/** Recordings calltrail links to (callToLog's https://pbx.example/r/NNNN.mp3): four bytes of "audio". */
export const recordingHandler = http.get(
  'https://pbx.example/r/:file',
  () => new HttpResponse(new Uint8Array([0xff, 0xfb, 0x90, 0x64]), { headers: { 'content-type': 'audio/mpeg' } }),
);

export function virtualClock(start = Date.parse('2026-11-20T08:00:00Z')) {
  let t = start;
  return {
    now: () => t,
    sleep: async (ms: number) => void (t += ms),
    advance: (ms: number) => void (t += ms),
  };
}

/** The preset's adapter against whatever msw serves; `env` holds the values of its secrets. */
export function presetAdapter(config: IntegratorConfig, env: Record<string, string>, clock: ReturnType<typeof virtualClock>) {
  const generic = config.crm.generic;
  if (config.crm.adapter !== 'generic' || !generic) throw new Error('the preset is not a crm.adapter: generic section');
  const secrets: Record<string, string> = {};
  for (const { name } of secretReferences(generic)) {
    const value = env[name];
    if (value === undefined) throw new Error(`the preset needs ${name}`);
    secrets[name] = value;
  }
  const limiter = new RateLimiter({ rps: generic.rate_limit.requests / generic.rate_limit.per_seconds, now: clock.now, sleep: clock.sleep });
  const log = memoryLogger();
  const adapter = genericAdapter(generic, { config, limiter, log, secrets, now: clock.now, sleep: clock.sleep });
  return { adapter, limiter, log };
}
