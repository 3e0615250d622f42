/**
 * Periodic work, the same on every runtime: Node runs it on a timer, Workers on a Cron Trigger.
 * Each step is safe to run concurrently from several processes.
 *
 * The tick drives services that sit below the PBX sources: the ledger replays stored bodies with
 * the sources' parsers, recordings ask the sources' APIs for links and files. This is the lowest
 * layer that sees both, so the services are handed the PBX side (pbx/registry.ts) here —
 * the ledger's context, the recordings' sources — and deps.ts (inboxDeps) and the reconciliation
 * reuse what is built here.
 * @module
 */
import type { Db } from './db/client';
import { DEFAULT_MAX_CALL_SECONDS } from './domain/admit';
import type { NumberRules } from './domain/phone';
import type { LedgerContext, LedgerCrmAccount } from './ledger/context';
import { reprocessInbox, type InboxDeps } from './ledger/inbox';
import { settleDue } from './ledger/settle';
import type { Logger } from './lib/log';
import type { ParseConfig } from './pbx/core/parse';
import { conversationSource, parseStored, recordingSources, tentativeFinalSources } from './pbx/registry';
import { numberRules, parseContext, sourceNumberRules, type ParseContext } from './pbx/source';
import type { SourcesConfig } from './pbx/sources-config';
import type { RecordingsDeps } from './recordings/deps';
import { processRecordings } from './recordings/process';
import type { RetentionConfig } from './privacy/config';
import { privacyDepsOf } from './privacy/deps';
import { purgeOldCallsIfDue } from './privacy/retention';

/** The part of the integrator config the PBX sources read a body under. */
export type SourcesReadingConfig = ParseConfig<SourcesConfig>;

/** The environment's part of the ledger's context. */
export interface LedgerSettings {
  settleSeconds: number;
  crm: LedgerCrmAccount;
}

/** What the ledger's inbox is built from (inboxDeps). */
export interface LedgerDeps {
  db: Db;
  log: Logger;
  now?: () => Date;
  settings: LedgerSettings;
  config: SourcesReadingConfig;
}

/** What the tick needs: the ledger's inputs and the recordings' deps. AppDeps satisfies it. */
export interface JobsDeps extends RecordingsDeps, LedgerDeps {
  settings: RecordingsDeps['settings'] & LedgerSettings;
  config: RecordingsDeps['config'] & SourcesReadingConfig & { retention?: RetentionConfig };
}

/** The ledger's context, with the parse context the sources' own readers (pollers, pulls) take. */
export type SourcesLedgerContext = LedgerContext & { parse: ParseContext };

export interface TickResult {
  retried: number;
  stillFailing: number;
  settled: number;
  /** Recordings whose link the PBX's API gave this tick. */
  linked: number;
  /** Recordings copied into our storage, and calls whose MP3 was (re)built. */
  archived: number;
  built: number;
}

export async function runTick(deps: JobsDeps): Promise<TickResult> {
  const inbox = inboxDeps(deps);
  const retry = await reprocessInbox(inbox, { due: true, limit: 50 });
  const settled = await settleDue(deps.db, inbox.ctx, inbox.now());
  const recordingsStep = await processRecordings(deps, recordingSources);
  // Call-data retention (retention.calls_days), once a day; calls under legal hold are kept.
  await purgeOldCallsIfDue(privacyDepsOf(deps, inbox.ctx));
  const result = {
    retried: retry.processed.length,
    stillFailing: retry.failed.length,
    settled,
    linked: recordingsStep.linked,
    archived: recordingsStep.archived,
    built: recordingsStep.built,
  };
  if (Object.values(result).some(Boolean)) deps.log.debug('tick', { ...result });
  return result;
}

export function inboxDeps(deps: LedgerDeps): InboxDeps & { ctx: SourcesLedgerContext } {
  return {
    db: deps.db,
    ctx: ledgerContext(deps.settings, deps.config),
    log: deps.log,
    now: deps.now ?? (() => new Date()),
  };
}

const cache = new WeakMap<SourcesReadingConfig, WeakMap<LedgerSettings, SourcesLedgerContext>>();

/** What the ledger needs to know about the deployment (ledger/context.ts), once per settings and config. */
export function ledgerContext(settings: LedgerSettings, config: SourcesReadingConfig): SourcesLedgerContext {
  let bySettings = cache.get(config);
  if (!bySettings) cache.set(config, (bySettings = new WeakMap()));
  let ctx = bySettings.get(settings);
  if (!ctx) {
    ctx = {
      ...sourcesReading(config),
      timeZone: config.time_zone,
      defaultCountry: config.default_country,
      maxCallSeconds: config.max_call_seconds ?? DEFAULT_MAX_CALL_SECONDS,
      settleSeconds: settings.settleSeconds,
      crm: settings.crm,
      tentativeFinalSources,
    };
    bySettings.set(settings, ctx);
  }
  return ctx;
}

/** How the PBX sources read bodies under a config: the parsers, the key spaces, the number rules. */
export function sourcesReading(
  config: SourcesReadingConfig,
): Pick<SourcesLedgerContext, 'parse' | 'rules' | 'rulesFor' | 'conversationSource' | 'parseStored'> {
  const parse = parseContext(config);
  const rules = numberRules(config);
  const bySource = new Map<string, NumberRules>();
  return {
    parse,
    rules,
    rulesFor: (source) => {
      let r = bySource.get(source);
      if (!r) bySource.set(source, (r = sourceNumberRules(rules, config, source)));
      return r;
    },
    conversationSource,
    parseStored: (source, raw, meta) => parseStored(source, raw, meta, parse),
  };
}
