/**
 * What the nightly reconciliation works with, declared here rather than borrowed from the app's
 * deps (deps.ts sits above every service). A run drives the services below it — the PBX pulls,
 * the ledger's inbox and the tick (jobs.ts), the CRM listing and the delivery worker — so it
 * needs what each of them needs, and a little of its own. AppDeps satisfies it as it is.
 * @module
 */
import type { Db } from '../db/client';
import type { DeliveryDeps } from '../delivery/deps';
import type { JobsDeps } from '../jobs';
import type { Logger } from '../lib/log';
import type { PbxPull } from '../pbx/pull';
import type { ReconcileConfig } from './config';

/** What the alert after a run needs (alert.ts). */
export interface AlertDeps {
  db: Db;
  log: Logger;
  settings: {
    crm: { accountId: string };
    /** The console's address, linked from the alert. */
    publicUrl: string;
  };
  config: { reconcile: ReconcileConfig };
}

/** The reconciliation's own needs, beside the services' it drives. */
export interface ReconcileOwnDeps extends AlertDeps {
  config: AlertDeps['config'] & {
    /** The zone a run's day is read in. */
    time_zone: string;
  };
  /** Pulls the runtime adds to the portable ones (Node: the FreePBX CDR table). */
  pbxPulls?: PbxPull[];
  /** Keeps work running after the response is sent (a run started from the API). */
  defer?: (work: Promise<unknown>) => void;
  /** This process (or isolate) in a run's lease; made on first use when the entry gave none. */
  owner?: string;
  /** How long a slice a request starts in the background may run. */
  backgroundBudgetMs?: number;
  /** Aborted when the process begins to stop: a slice pauses. */
  stopping?: AbortSignal;
}

export type ReconcileDeps = JobsDeps & DeliveryDeps & ReconcileOwnDeps;
