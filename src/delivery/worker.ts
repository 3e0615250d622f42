/**
 * The delivery worker of one CRM account: `drain()` takes the account lease, claims due
 * deliveries and runs them through the CRM until nothing is due, the time budget is spent, or
 * the CRM says stop (403 block, revoked token, persistent 429s). Node calls it from its loop
 * when calls settle and every second; Workers from the Cron Trigger and after a webhook.
 * @module
 */
import { and, eq, lte, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { crmAccounts, deliveries } from '../db/schema';
import { markStatus } from '../crm/account';
import type { CrmPort } from '../crm/port';
import type { Logger } from '../lib/log';
import { acquireAccountLease, releaseAccountLease } from './lease';
import { untouched } from './outcomes';
import { DeliveryRun, type StopReason } from './run';
import { claimDue, writeResults } from './store';
import type { DeliveryConfig } from './deps';

export interface WorkerDeps {
  db: Db;
  config: DeliveryConfig;
  log: Logger;
  now: () => Date;
  accountId: string;
  crm: CrmPort;
  /** Identifies this worker in leases; unique per process. */
  owner: string;
  /** How long the account's and the claimed calls' leases last (a dead worker's work waits this long). */
  leaseSeconds: number;
  /**
   * The signed link of a call's archived MP3. Absent: recordings are not archived here, and the
   * PBX's own URL goes on the note.
   */
  recordingLink?: (audioId: string) => Promise<string>;
  random?: () => number;
}

export interface DrainOptions {
  /** Stop claiming new work after this long. */
  budgetMs?: number;
  /** Deliveries per claim. */
  claimSize?: number;
  /** Requests in flight at once (the rate limiter still paces their starts). */
  concurrency?: number;
  /** Checked between claims: a stopping process finishes the claim in hand, then lets go. */
  shouldStop?: () => boolean;
}

export interface DrainReport {
  claimed: number;
  delivered: number;
  skipped: number;
  failed: number;
  retried: number;
  /** Why the drain ended early, if it did. */
  stopped: StopReason | 'busy' | 'circuit_open' | null;
}

export class DeliveryWorker {
  private readonly batchSize: { value: number };
  private running: Promise<DrainReport> | null = null;

  constructor(private readonly deps: WorkerDeps) {
    this.batchSize = { value: Math.min(deps.config.crm.batch_size, deps.crm.maxBatch) };
  }

  /** Drains due deliveries; a call while a drain runs in this process joins it. */
  drain(options: DrainOptions = {}): Promise<DrainReport> {
    this.running ??= this.drainOnce(options).finally(() => (this.running = null));
    return this.running;
  }

  private async drainOnce(options: DrainOptions): Promise<DrainReport> {
    const { db, accountId, owner, log } = this.deps;
    const report: DrainReport = { claimed: 0, delivered: 0, skipped: 0, failed: 0, retried: 0, stopped: null };
    const [account] = await db.select({ status: crmAccounts.status }).from(crmAccounts).where(eq(crmAccounts.id, accountId));
    if (!account) return report; // nothing has settled for this account yet
    if (account.status !== 'ok') return { ...report, stopped: 'circuit_open' };
    if (!(await this.anythingDue())) return report;
    if (!(await acquireAccountLease(db, accountId, owner, this.deps.leaseSeconds))) return { ...report, stopped: 'busy' };
    const deadline = Date.now() + (options.budgetMs ?? 30_000);
    try {
      while (Date.now() < deadline && !options.shouldStop?.()) {
        if (!(await acquireAccountLease(db, accountId, owner, this.deps.leaseSeconds))) break;
        const rows = await claimDue(db, accountId, owner, this.deps.now(), options.claimSize ?? 200, this.deps.leaseSeconds, {
          waitForAudio: this.deps.recordingLink !== undefined,
        });
        if (rows.length === 0) break;
        for (const row of rows) {
          if (!this.deps.recordingLink) row.link = row.originLink;
          else if (row.audioId) row.link = await this.deps.recordingLink(row.audioId);
        }
        report.claimed += rows.length;
        const run = new DeliveryRun({
          db,
          crm: this.deps.crm,
          config: this.deps.config,
          log,
          now: this.deps.now,
          owner,
          random: this.deps.random ?? Math.random,
          batchSize: this.batchSize,
          concurrency: options.concurrency ?? 2,
        });
        try {
          await run.process(rows);
        } finally {
          const leftovers = run.leftovers();
          if (leftovers.length)
            await writeResults(
              db,
              owner,
              leftovers.map((r) => untouched(r, this.deps.now())),
              [],
              this.deps.now(),
            );
        }
        report.delivered += run.totals.delivered;
        report.skipped += run.totals.skipped;
        report.failed += run.totals.failed;
        report.retried += run.totals.retried;
        if (run.stop) {
          report.stopped = run.stop.reason;
          if (run.stop.reason !== 'rate_limited') {
            await markStatus(db, accountId, run.stop.reason, run.stop.detail, this.deps.now());
            log.error('CRM circuit open: deliveries wait until an admin acts', { account: accountId, status: run.stop.reason, detail: run.stop.detail });
          } else log.warn('the CRM keeps answering 429; pausing deliveries', { account: accountId });
          break;
        }
      }
    } finally {
      await releaseAccountLease(db, accountId, owner);
    }
    if (report.claimed) log.info('delivery drain', { account: accountId, ...report });
    return report;
  }

  private async anythingDue(): Promise<boolean> {
    const rows = await this.deps.db
      .select({ one: sql<number>`1` })
      .from(deliveries)
      .where(and(eq(deliveries.crmAccountId, this.deps.accountId), eq(deliveries.state, 'pending'), lte(deliveries.nextAttemptAt, this.deps.now())))
      .limit(1);
    return rows.length > 0;
  }
}
