/**
 * What the app is built from. Each runtime entry assembles these once (Node) or per request
 * (Workers) and hands them to createApp; nothing below reads the environment itself.
 * @module
 */
import type { Settings } from './config/env';
import type { IntegratorConfig } from './config/integrator';
import type { Db } from './db/client';
import type { InboxDeps, IngestInput, IngestResult } from './ledger/inbox';
import { ledgerContext } from './ledger/context';
import type { Logger } from './lib/log';
import type { FetchFor } from './recordings/fetch/port';
import type { PbxPull } from './reconcile/pull';
import type { RateLimiter } from './crm/limiter';
import type { LocalFileReader } from './recordings/local-file';
import type { RecordingStorage } from './recordings/storage/port';

/** What archiving and serving recordings needs from the runtime. */
export interface RecordingsRuntime {
  storage: RecordingStorage;
  /** A fetch that enforces a policy where connections are made (Node: DNS answers checked). */
  fetchFor: FetchFor;
  /** Node beside the PBX: reads a recording given as a file path (null: no such file). */
  readLocal?: LocalFileReader;
}

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
  /**
   * The CRM accounts' request budgets in this process, shared by everything that calls the CRM
   * (deliveries, reconciliation); created by the entry, kept for the process or isolate.
   */
  limiters?: Map<string, RateLimiter>;
  /** This process (or isolate) in leases: deliveries, reconciliation runs. */
  owner?: string;
  /**
   * How long work a request starts in the background may run (Workers: waitUntil ends 30 s after
   * the response); a reconciliation slice started from the API stops then and the schedule resumes it.
   */
  backgroundBudgetMs?: number;
  /** Aborted when the process begins to stop: long background work (a reconciliation slice) pauses. */
  stopping?: AbortSignal;
}

export function inboxDeps(deps: AppDeps): InboxDeps {
  return {
    db: deps.db,
    ctx: ledgerContext(deps.settings, deps.config),
    log: deps.log,
    now: deps.now ?? (() => new Date()),
  };
}
