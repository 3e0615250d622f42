/**
 * What the delivery service works with, declared here rather than borrowed from the app's deps
 * (deps.ts sits above every service): the parts of the integrator config a call's way onto the
 * CRM reads, and what building a worker or answering an admin needs. AppDeps satisfies each as
 * it is, so the routes and entries pass their deps unchanged.
 * @module
 */
import type { CountryCode } from 'libphonenumber-js/max';
import type { CrmConfig } from '../crm/config';
import type { ConnectDeps } from '../crm/connect';
import type { Budget } from '../crm/limiter';
import type { SlotStore } from '../crm/shared-budget';
import type { CrmSettings } from '../crm/settings';
import type { Db } from '../db/client';
import type { Outcome } from '../domain/call';
import type { PeopleConfig } from '../domain/people';
import type { Logger } from '../lib/log';
import type { RecordingsRuntime } from '../recordings/deps';
import type { LinkKey } from '../recordings/signed-link';

/** What happens to a call whose number no CRM contact has. */
export type UnknownCallerPolicy = 'contact' | 'unsorted' | 'skip';

/** The integrator config as delivery reads it: who is behind an extension, and how a call looks on the CRM. */
export interface DeliveryConfig extends PeopleConfig {
  time_zone: string;
  crm: CrmConfig;
  /** Outcome → amoCRM call_status and call_result. */
  call_results: Record<Outcome, { status: number | null; text: string }>;
  missed_call_tasks: { enabled: boolean; text: string; due_minutes: number };
  unknown_callers: Record<'inbound' | 'outbound', UnknownCallerPolicy>;
  default_country: CountryCode;
  /** Per line: its own unknown-caller policy and the pipeline of the leads created for its calls. */
  lines: Readonly<Record<string, DeliveryLineRules>>;
  /** How long the recording links written into notes work (null: they do not expire). */
  recordings?: { link_ttl_days: number | null };
}

export interface DeliveryLineRules {
  unknown_callers?: { inbound?: UnknownCallerPolicy | undefined; outbound?: UnknownCallerPolicy | undefined } | undefined;
  pipeline_id?: number | undefined;
  status_id?: number | undefined;
}

/** What a delivery worker is built from (setup.ts): the CRM connection's needs and delivery's own. */
export interface DeliveryDeps {
  db: Db;
  log: Logger;
  now?: () => Date;
  settings: ConnectDeps['settings'] & {
    /** How long a worker's claim on an account and its calls lasts without renewal. */
    deliveryLeaseSeconds: number;
    publicUrl: string;
    /** Keys that sign recording links, the first signs. */
    recordingLinkKeys: readonly LinkKey[];
  };
  config: ConnectDeps['config'] & DeliveryConfig;
  /** The CRM accounts' request budgets in this process, shared by every caller of the CRM. */
  limiters?: Map<string, Budget>;
  /** Shares each CRM account's budget with the other processes on this database (PostgreSQL); absent: per process. */
  slotStore?: SlotStore;
  /** Serializes amoCRM's OAuth refresh beyond the database's row lock (Workers: a Durable Object). */
  refreshLock?: ConnectDeps['refreshLock'];
  /** The built-in sandbox CRM (sandbox mode). */
  sandbox?: { fetch: (request: Request) => Response | Promise<Response> };
  /** Replaces the global fetch for calls to the CRM (tests). */
  crmFetch?: typeof fetch;
  /** Present: recordings are archived here, and notes link to our signed copy. */
  recordings?: RecordingsRuntime;
}

/** What the admin's actions on deliveries need (admin.ts). */
export interface DeliveryAdminDeps {
  db: Db;
  log: Logger;
  now?: () => Date;
  settings: { crm: CrmSettings };
  /** Asks for prompt delivery after a reset or a retry. */
  wakeDelivery?: () => void;
}
