/**
 * `calltrail config validate FILE` and `calltrail config schema [--out FILE]`: the integrator's
 * tools for the config file. Validate reads the file the way the service will and lists every
 * problem, one per line with its path (and line:column), so a deploy never stops on the first of
 * several typos; schema prints the JSON Schema editors use for completion.
 *
 * Exit codes: 0 valid (or schema written), 1 problems found, 2 usage (bad arguments, a file that
 * cannot be read).
 * @module
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { diagnoseIntegratorConfig, formatProblem } from '../../settings/diagnose';
import type { IntegratorConfig } from '../../settings/integrator';
import { integratorJsonSchemaText } from '../../settings/json-schema';

import { CONFIG_USAGE } from './usage';

export { CONFIG_USAGE };

/** Where the commands write; tests pass their own. */
export interface CommandOutput {
  out(line: string): void;
  err(line: string): void;
}

const processOutput: CommandOutput = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

export async function configValidateCommand(args: string[], output: CommandOutput = processOutput): Promise<number> {
  const parsed = parse(() => parseArgs({ args, allowPositionals: true, strict: true }), output);
  if (!parsed) return 2;
  const [file, ...extra] = parsed.positionals;
  if (!file || extra.length > 0) return usage(output, 'config validate takes one FILE');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return usage(output, `cannot read ${file}: ${(error as Error).message}`);
  }
  const diagnosis = diagnoseIntegratorConfig(text, file);
  if (!diagnosis.ok) {
    for (const problem of diagnosis.problems) output.err(formatProblem(file, problem));
    output.err(`${file}: ${diagnosis.problems.length} problem${diagnosis.problems.length === 1 ? '' : 's'}`);
    return 1;
  }
  output.out(`ok: ${file}: ${summary(diagnosis.config)}`);
  return 0;
}

export async function configSchemaCommand(args: string[], output: CommandOutput = processOutput): Promise<number> {
  const parsed = parse(() => parseArgs({ args, options: { out: { type: 'string' } }, allowPositionals: true, strict: true }), output);
  if (!parsed) return 2;
  if (parsed.positionals.length > 0) return usage(output, 'config schema takes no FILE (use --out FILE)');
  const text = integratorJsonSchemaText();
  const out = parsed.values.out;
  if (out === undefined) {
    output.out(text.trimEnd());
    return 0;
  }
  try {
    writeFileSync(out, text);
  } catch (error) {
    return usage(output, `cannot write ${out}: ${(error as Error).message}`);
  }
  output.err(`wrote ${out}`);
  return 0;
}

/** One line on what the config sets up, so "ok" says more than "it parsed". */
export function summary(config: IntegratorConfig): string {
  const { fields } = config.crm;
  const mapped = fields.contact.length + fields.lead.length + fields.contact_tags.length + fields.lead_tags.length;
  const crm = config.crm.adapter === 'generic' && config.crm.generic ? `generic CRM at ${config.crm.generic.base_url}` : `CRM ${config.crm.adapter}`;
  return [
    crm,
    `${plural(Object.keys(config.extensions).length, 'extension')} mapped`,
    `unknown callers ${config.unknown_callers.inbound} (inbound) / ${config.unknown_callers.outbound} (outbound)`,
    `missed-call tasks ${config.missed_call_tasks.enabled ? 'on' : 'off'}`,
    plural(mapped, 'CRM field and tag mapping'),
    `time zone ${config.time_zone}`,
  ].join(', ');
}

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** parseArgs, its complaint (an unknown option, a missing value) made a usage error. */
function parse<T>(run: () => T, output: CommandOutput): T | null {
  try {
    return run();
  } catch (error) {
    usage(output, (error as Error).message);
    return null;
  }
}

function usage(output: CommandOutput, message: string): 2 {
  output.err(`calltrail: ${message}\nusage: calltrail ${CONFIG_USAGE}`);
  return 2;
}
