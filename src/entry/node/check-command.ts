/**
 * `calltrail check <source> FILE… [--config FILE] [--json] [--all] [--show-numbers]` — an
 * integrator's dry run before going live: reads a PBX export (Master.csv, a FreePBX cdr dump,
 * webhook bodies of any source) exactly as the service would, writes nothing, and prints how it
 * reads it — conversations, directions, internal calls with the rule that said so, records that
 * are no call (phantom rows), numbers that could not be normalized, recordings, refused bodies.
 * Phone numbers are shown with their country code and last 4 digits unless --show-numbers.
 * @module
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { ConfigError } from '../../config/errors';
import type { IntegratorConfig } from '../../settings/integrator';
import { dryRunContext } from '../../deps';
import { maskNumber } from '../../domain/phone';
import type { CharsetSetting } from '../../lib/charset';
import { dryRun, type DryRunCall, type DryRunReport } from '../../ledger/dry-run';
import { parsers } from '../../pbx/registry';
import { bodiesFromFile } from './check-files';
import { loadIntegratorConfig } from './settings';

import { CHECK_USAGE } from './usage';

export { CHECK_USAGE };

export class CheckUsageError extends Error {}

interface Options {
  source: string;
  files: string[];
  json: boolean;
  all: boolean;
  showNumbers: boolean;
  config: IntegratorConfig;
}

export function checkCommand(args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const options = checkOptions(args, env);
  const charset = (options.config.sources as Record<string, { charset?: CharsetSetting } | undefined>)[options.source]?.charset ?? 'auto';
  const bodies = options.files.flatMap((file) => bodiesFromFile(options.source, file, charset));
  const report = dryRun(bodies, dryRunContext(options.config));
  const shown = options.showNumbers ? report : masked(report);
  console.log(options.json ? JSON.stringify(jsonReport(options, shown), null, 2) : textReport(options, shown));
  return report.refused.length ? 1 : 0;
}

function checkOptions(args: string[], env: NodeJS.ProcessEnv): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { config: { type: 'string' }, json: { type: 'boolean' }, all: { type: 'boolean' }, 'show-numbers': { type: 'boolean' } },
    });
  } catch (error) {
    throw new CheckUsageError((error as Error).message);
  }
  const [source, ...files] = parsed.positionals;
  if (!source || !parsers[source])
    throw new CheckUsageError(`check needs a source: one of ${Object.keys(parsers).join(', ')}${source ? ` (not "${source}")` : ''}`);
  if (files.length === 0) throw new CheckUsageError('check needs at least one FILE');
  for (const file of files) if (!existsSync(file)) throw new CheckUsageError(`cannot read ${file}: no such file`);
  const configFile = parsed.values.config ?? env.CONFIG_FILE;
  let config: IntegratorConfig;
  try {
    config = loadIntegratorConfig({ configFile, configJson: configFile ? undefined : env.CONFIG });
  } catch (error) {
    if (error instanceof ConfigError) throw new CheckUsageError(error.message);
    throw error;
  }
  return { source, files, json: Boolean(parsed.values.json), all: Boolean(parsed.values.all), showNumbers: Boolean(parsed.values['show-numbers']), config };
}

/** +79245555937 → "+7…5937": the country and the last 4 digits, enough to see a number was read right. */
export function shownNumber(e164: string): string {
  const code = parsePhoneNumberFromString(e164)?.countryCallingCode;
  return code ? `+${code}…${e164.slice(-4)}` : maskNumber(e164);
}

function masked(report: DryRunReport): DryRunReport {
  const calls = report.calls.map((c) => ({
    ...c,
    externalNumber: c.externalNumber ? shownNumber(c.externalNumber) : null,
    externalNumberRaw: c.externalNumberRaw ? maskNumber(c.externalNumberRaw) : null,
  }));
  return { ...report, calls };
}

function counts(report: DryRunReport) {
  const by = <K extends string>(key: (c: DryRunCall) => K) => {
    const counted: Record<string, number> = {};
    for (const c of report.calls) counted[key(c)] = (counted[key(c)] ?? 0) + 1;
    return counted;
  };
  return {
    bodies: report.bodies,
    conversations: report.calls.length,
    direction: by((c) => c.direction ?? 'unknown'),
    outcome: by((c) => c.outcome ?? 'unknown'),
    to_crm: report.calls.filter((c) => c.deliver).length,
    skipped: report.calls.filter((c) => !c.deliver).length,
    with_recordings: report.calls.filter((c) => c.recordings.length > 0).length,
    not_normalized: report.calls.filter((c) => c.externalNumberNote !== null).length,
    dropped: report.dropped.length,
    refused: report.refused.length,
  };
}

function jsonReport(options: Options, report: DryRunReport) {
  return {
    source: options.source,
    files: options.files,
    counts: counts(report),
    calls: report.calls.map((c) => ({
      key: c.callKey,
      started_at: c.startedAt?.toISOString() ?? null,
      direction: c.direction,
      direction_rule: c.directionRule,
      external_number: c.externalNumber,
      external_number_raw: c.externalNumberRaw,
      external_number_note: c.externalNumberNote,
      extension: c.extension,
      outcome: c.outcome,
      talk_seconds: c.talkSeconds,
      legs: c.legCount,
      recordings: c.recordings,
      to_crm: c.deliver,
      skip_reason: c.skipReason,
    })),
    dropped: report.dropped,
    refused: report.refused,
  };
}

/** Reasons with how many calls each, the most common first. */
function tally(items: string[]): [string, number][] {
  const m = new Map<string, number>();
  for (const i of items) m.set(i, (m.get(i) ?? 0) + 1);
  return [...m].sort((a, b) => b[1] - a[1]);
}

function textReport(options: Options, report: DryRunReport): string {
  const n = counts(report);
  const list = (o: Record<string, number>) =>
    Object.entries(o)
      .map(([k, v]) => `${k} ${v}`)
      .join(' · ') || '—';
  const lines = [
    `calltrail check ${options.source}: ${n.bodies} record(s) → ${n.conversations} conversation(s); nothing was written`,
    '',
    `  direction         ${list(n.direction)}`,
    `  outcome           ${list(n.outcome)}`,
    `  to the CRM        ${n.to_crm} · skipped ${n.skipped}`,
    `  with recordings   ${n.with_recordings}`,
    `  kept as dialled   ${n.not_normalized} (numbers that could not be normalized)`,
    `  no call (phantom) ${n.dropped}`,
    `  refused           ${n.refused}`,
  ];
  const section = (title: string, rows: string[]) => (rows.length ? lines.push('', title, ...rows.map((r) => `  ${r}`)) : 0);
  section(
    'Skipped, by reason (internal calls say which rule made them internal):',
    tally(report.calls.filter((c) => !c.deliver).map((c) => c.skipReason ?? '')).map(([r, k]) => `${k} × ${r}`),
  );
  section(
    'Numbers kept as dialled:',
    report.calls.filter((c) => c.externalNumberNote).map((c) => `${c.callKey}: ${c.externalNumberRaw ?? ''} — ${c.externalNumberNote}`),
  );
  section(
    'Records that are no call of their own:',
    report.dropped.map((d) => `${d.at}: ${d.reason}`),
  );
  section(
    'Refused (the service would answer 400):',
    report.refused.map((r) => `${r.at}: ${r.problems.join('; ')}`),
  );
  const shown = options.all ? report.calls : report.calls.slice(0, 50);
  section(`Conversations${shown.length < report.calls.length ? ` (first ${shown.length}; --all for every one)` : ''}:`, [
    ['started (UTC)', 'key', 'direction', 'outside party', 'ext', 'outcome', 'talk', 'legs', 'rec', 'CRM'].join('\t'),
    ...shown.map((c) =>
      [
        c.startedAt?.toISOString().replace('T', ' ').slice(0, 19) ?? '—',
        c.callKey,
        c.direction ?? '—',
        c.externalNumber ?? (c.externalNumberRaw ? `${c.externalNumberRaw} (as dialled)` : '—'),
        c.extension ?? '—',
        c.outcome ?? '—',
        `${c.talkSeconds ?? 0}s`,
        String(c.legCount),
        String(c.recordings.length),
        c.deliver ? 'yes' : 'skip',
      ].join('\t'),
    ),
  ]);
  return lines.join('\n');
}
