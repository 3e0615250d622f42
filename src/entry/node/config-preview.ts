/**
 * `calltrail config preview FILE --sample call.json [--answers answers.json]`: the exact requests
 * the configured CRM adapter would make for one sample call, in order — method, URL, headers with
 * credentials masked, the body pretty-printed — without any network or database (config-preview-run.ts
 * does the dry run; this reads the files and prints). Secrets named `{env: NAME}` are taken from
 * the environment when set, so the masking is tested on the real values; they are never printed.
 * @module
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../../config/errors';
import { parseIntegratorConfig, type IntegratorConfig } from '../../settings/integrator';
import { secretReferences } from '../../crm/generic/config';
import { previewDelivery, type PreviewAnswers, type RecordedRequest } from './config-preview-run';

import { CONFIG_PREVIEW_USAGE } from './usage';

export { CONFIG_PREVIEW_USAGE };

export async function configPreviewCommand(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { sample: { type: 'string' }, answers: { type: 'string' } } });
  } catch (error) {
    return usage((error as Error).message);
  }
  const [file] = parsed.positionals;
  if (!file || !parsed.values.sample || parsed.positionals.length > 1) return usage('a config FILE and --sample are required');
  try {
    const config = parseIntegratorConfig(read(file), file);
    const sample = readData(parsed.values.sample);
    const answers = parsed.values.answers ? (readData(parsed.values.answers) as PreviewAnswers) : {};
    const secrets = secretValues(config, env);
    const result = await previewDelivery({ config, sample, answers, secrets, ...(env.AMOCRM_BASE_URL ? { amoBaseUrl: env.AMOCRM_BASE_URL } : {}) });
    const out: string[] = [];
    out.push(
      `# ${config.crm.adapter} adapter, call ${result.call.uniq}: ${result.call.direction} ${result.call.phone}, ${result.call.durationSeconds} s, ${result.call.outcome}`,
    );
    for (const [i, r] of result.requests.entries()) out.push('', ...printRequest(r, i + 1, config, Object.values(secrets)));
    out.push('', ...result.steps.map((s) => `# ${s}`), '');
    process.stdout.write(out.join('\n'));
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    process.stderr.write(`config preview: ${(error as Error).message}\n`);
    return 1;
  }
}

function usage(problem: string): number {
  process.stderr.write(`${problem}\nusage: calltrail ${CONFIG_PREVIEW_USAGE}\n`);
  return 2;
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, [`cannot read: ${(error as Error).message}`]);
  }
}

/** A JSON or YAML file. */
function readData(path: string): unknown {
  const text = read(path);
  try {
    return /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new ConfigError(path, [`cannot be read as ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}: ${(error as Error).message}`]);
  }
}

function secretValues(config: IntegratorConfig, env: NodeJS.ProcessEnv): Record<string, string> {
  const generic = config.crm.adapter === 'generic' ? config.crm.generic : undefined;
  const out: Record<string, string> = {};
  for (const { name } of generic ? secretReferences(generic) : []) {
    const value = env[name];
    if (value) out[name] = value;
  }
  return out;
}

/** Headers that carry credentials: shown by their scheme only. */
function isSecretHeader(name: string, config: IntegratorConfig): boolean {
  const auth = config.crm.generic?.auth;
  return name === 'authorization' || (auth?.type === 'header' && auth.name.toLowerCase() === name);
}

export function printRequest(r: RecordedRequest, n: number, config: IntegratorConfig, secrets: string[]): string[] {
  const mask = (text: string) => secrets.reduce((t, s) => (s.length >= 4 ? t.split(s).join('***') : t), text);
  const lines = [`## ${n}. ${r.name ?? 'request'} → ${r.status}`, `${r.method} ${mask(r.url)}`];
  for (const [name, value] of Object.entries(r.headers).sort(([a], [b]) => a.localeCompare(b))) {
    const shown = isSecretHeader(name, config) ? value.replace(/^(\w+\s+)?.*$/, (_, scheme: string | undefined) => `${scheme ?? ''}***`) : mask(value);
    lines.push(`${name}: ${shown}`);
  }
  if (r.body !== null) lines.push('', mask(pretty(r.body)));
  return lines;
}

function pretty(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}
