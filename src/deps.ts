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
import type { RecordingStorage } from './recordings/storage/port';

/** What archiving and serving recordings needs from the runtime. */
export interface RecordingsRuntime {
  storage: RecordingStorage;
  /** A fetch that enforces a policy where connections are made (Node: DNS answers checked). */
  fetchFor: FetchFor;
  /** Node beside the PBX: reads a recording given as a file path (null: no such file). */
  readLocal?: (path: string, maxBytes: number) => Promise<Uint8Array | null>;
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
}

export function inboxDeps(deps: AppDeps): InboxDeps {
  return {
    db: deps.db,
    ctx: ledgerContext(deps.settings, deps.config),
    log: deps.log,
    now: deps.now ?? (() => new Date()),
  };
}
