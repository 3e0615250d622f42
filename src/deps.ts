/**
 * What the app is built from. Each runtime entry assembles these once (Node) or per request
 * (Workers) and hands them to createApp; nothing below reads the environment itself.
 *
 * The services below declare what they need (recordings/deps.ts, delivery/deps.ts, jobs.ts,
 * reconcile/deps.ts …); AppDeps satisfies each of them as it is. The wiring helpers the routes
 * and entries use live here: the ledger's inbox (built in jobs.ts, the lowest layer that sees
 * both the ledger and the PBX sources) and the dry run's view of the sources.
 * @module
 */
import type { Settings } from './settings/env';
import type { IntegratorConfig } from './settings/integrator';
import type { Db } from './db/client';
import type { Budget } from './crm/limiter';
import type { SlotStore } from './crm/shared-budget';
import type { RefreshLock } from './crm/amocrm/auth';
import { sourcesReading } from './jobs';
import type { DryRunContext } from './ledger/dry-run';
import type { IngestInput, IngestResult } from './ledger/inbox';
import type { Logger } from './lib/log';
import { parsers } from './pbx/registry';
import { InvalidPayloadError } from './pbx/source';
import type { RecordingsRuntime } from './recordings/deps';
import type { PbxPull } from './pbx/pull';
import type { PbxOriginator } from './pbx/core/originate';
import type { AccountDirectory } from './accounts/directory';

export type { RecordingsRuntime } from './recordings/deps';
export { inboxDeps, ledgerContext } from './jobs';

export interface AppDeps {
  db: Db;
  settings: Settings;
  config: IntegratorConfig;
  log: Logger;
  /** The clock; tests move it. */
  now?: () => Date;
  /** Keeps work running after the response is sent (Workers: ctx.waitUntil). */
  defer?: (work: Promise<unknown>) => void;
  /** How webhook bodies reach the inbox; Node groups concurrent ones (ledger/batcher.ts). */
  ingest?: (input: IngestInput) => Promise<IngestResult>;
  /**
   * Stores a webhook body for a queue's consumer to apply (Workers with Cloudflare Queues:
   * ledger/queued.ts); bodies with live moments (a ring) are applied at once all the same.
   */
  queueBody?: (input: IngestInput) => Promise<IngestResult>;
  /** Asks for prompt delivery (calls settled, circuit reset): Node wakes its loop, Workers drain in waitUntil. */
  wakeDelivery?: () => void;
  /** The built-in sandbox CRM (sandbox mode), served at /sandbox/amocrm. */
  sandbox?: { fetch: (request: Request) => Response | Promise<Response> };
  /** Replaces the global fetch for calls to amoCRM (tests). */
  crmFetch?: typeof fetch;
  /** Archiving and serving recordings; absent: recordings are referenced, never copied. */
  recordings?: RecordingsRuntime;
  /** Pulls the runtime adds to the portable ones (Node: the FreePBX CDR table). */
  pbxPulls?: PbxPull[];
  /** Click-to-call originators the runtime adds to the portable ones (Node: Asterisk AMI, FreeSWITCH's event socket). */
  originators?: PbxOriginator[];
  /** Replaces the global fetch for calls to the PBX's own APIs (tests). */
  pbxFetch?: typeof fetch;
  /**
   * The CRM accounts' request budgets in this process, shared by everything that calls the CRM
   * (deliveries, reconciliation); created by the entry, kept for the process or isolate.
   */
  limiters?: Map<string, Budget>;
  /** Shares each CRM account's budget with the other processes (PostgreSQL; Workers: the account's Durable Object); absent: per process. */
  slotStore?: SlotStore;
  /** Serializes amoCRM's OAuth refresh beyond the database's row lock (Workers: the account's Durable Object). */
  refreshLock?: RefreshLock;
  /** This process (or isolate) in leases: deliveries, reconciliation runs. */
  owner?: string;
  /**
   * How long work a request starts in the background may run (Workers: waitUntil ends 30 s after
   * the response); a reconciliation slice started from the API stops then and the schedule resumes it.
   */
  backgroundBudgetMs?: number;
  /**
   * The accounts added to this instance (account 1's app only): served under /a/<slug>/, managed
   * at /v1/accounts. Absent in an added account's own app and where the runtime has none.
   */
  accounts?: AccountDirectory;
  /** Aborted when the process begins to stop: long background work (a reconciliation slice) pauses. */
  stopping?: AbortSignal;
}

/**
 * The PBX side of a dry run (ledger/dry-run.ts, `calltrail check`): the sources' parsers under
 * this config, a body they refuse reported with its problems rather than thrown.
 */
export function dryRunContext(config: IntegratorConfig): DryRunContext {
  const reading = sourcesReading(config);
  return {
    conversationSource: reading.conversationSource,
    rulesFor: reading.rulesFor,
    parse(source, raw, meta) {
      if (!parsers[source]) throw new Error(`no PBX source named "${source}"`);
      try {
        return { events: reading.parseStored(source, raw, meta) };
      } catch (error) {
        if (!(error instanceof InvalidPayloadError)) throw error;
        return { problems: error.problems };
      }
    },
  };
}
