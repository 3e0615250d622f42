/**
 * The phases of a reconciliation slice, in the order the engine (engine.ts) runs them; each
 * resumes from the run's progress and checks the slice's time between units of work. The PBX pull
 * lives in lost-calls.ts and the CRM listing in crm-notes.ts; here are the comparison, the
 * re-push and the finish, the steps that work on what those two gathered.
 * @module
 */
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { queryRows } from '../db/raw';
import { conversations, deliveries, reconcileCrmNotes, reconcileFindings } from '../db/schema';
import { createDeliveryWorker } from '../delivery/setup';
import { runTick } from '../jobs';
import { compare, markResolved } from './compare';
import type { Slice } from './slice';

/** 3. The comparison: findings and their actions, once (same transaction as the progress). */
export async function compareOnce(slice: Slice, accountId: string): Promise<void> {
  const { db, progress, run, deps } = slice;
  if (progress.compared) return;
  slice.checkTime();
  slice.enter('compare');
  // The staged notes arrived just now, and a busy day changed the deliveries: plans made on
  // stale statistics (a table taken for empty) turn index lookups into scans of the day.
  await db.execute(sql`analyze ${reconcileCrmNotes}, ${deliveries}, ${conversations}`);
  await db.transaction(async (tx) => {
    const compared = await compare(tx, {
      runId: run.id,
      accountId,
      from: slice.window.from,
      to: slice.window.to,
      startedAt: run.startedAt,
      recordingsArchived: deps.recordings !== undefined,
      now: slice.now(),
    });
    progress.compared = true;
    await slice.save(tx, { calls: compared.calls });
  });
  slice.markWorked();
}

/** 4. The re-push: repaired deliveries go out now, not at the next tick. */
export async function repushRepaired(slice: Slice, accountId: string): Promise<void> {
  const { db, progress, run, deps, options } = slice;
  if (progress.repushed) return;
  slice.enter('repush');
  const worker = createDeliveryWorker(slice.crmDeps, { owner: options.owner });
  for (;;) {
    await markResolved(db, run.id, accountId);
    const due = await openDeliveries(db, run.id, accountId, slice.now());
    if (due.dueSoon === 0) break;
    slice.checkTime();
    await runTick(deps);
    const report = worker
      ? await worker.drain({ budgetMs: Math.max(1000, options.deadline - Date.now()), shouldStop: () => options.signal?.aborted === true })
      : null;
    await slice.save(db);
    slice.markWorked();
    if (report && (report.stopped === 'blocked' || report.stopped === 'unauthorized' || report.stopped === 'circuit_open')) break;
    if (!report || report.claimed === 0) await new Promise((resolve) => setTimeout(resolve, 250));
  }
  progress.repushed = true;
  await slice.save(db);
}

/** 5. The report: gaps still open, counts, and the staged notes dropped. */
export async function finish(slice: Slice, accountId: string): Promise<void> {
  const { db, run } = slice;
  slice.enter('finish');
  const gaps = await markResolved(db, run.id, accountId);
  const counts = await findingCounts(db, run.id);
  await db.transaction(async (tx) => {
    await tx.delete(reconcileCrmNotes).where(eq(reconcileCrmNotes.runId, run.id));
    slice.enter('finish');
    await slice.save(tx, { counts, gapsRemaining: gaps });
  });
}

/** Deliveries the run's findings repaired that are still open, and how many of them are due within a minute. */
async function openDeliveries(db: Db, runId: string, accountId: string, now: Date): Promise<{ open: number; dueSoon: number }> {
  const soon = new Date(now.getTime() + 60_000).toISOString();
  const [row] = await queryRows<{ open: number | string; due_soon: number | string }>(
    db,
    sql`select count(*) as open,
               count(*) filter (where d.state = 'pending' and (d.next_attempt_at is null or d.next_attempt_at <= ${soon}::timestamptz)
                                or (d.id is null and c.settled_at is null and c.final_seen_at is not null
                                    and c.settle_due_at <= ${soon}::timestamptz)) as due_soon
          from ${reconcileFindings} f
          join ${conversations} c on c.id = f.conversation_id
          left join ${deliveries} d on d.conversation_id = f.conversation_id and d.crm_account_id = ${accountId}
         where f.run_id = ${runId} and not f.resolved and f.kind in ('missing_in_crm', 'missing_recording', 'failed', 'lost_webhook')
           and (d.id is null or d.state = 'pending')`,
  );
  return { open: Number(row?.open ?? 0), dueSoon: Number(row?.due_soon ?? 0) };
}

/** Findings by kind and by action, and how many were resolved. */
export async function findingCounts(db: Db, runId: string): Promise<Record<string, number>> {
  const rows = await db
    .select({ kind: reconcileFindings.kind, action: reconcileFindings.action, resolved: reconcileFindings.resolved, n: sql<number>`count(*)::int` })
    .from(reconcileFindings)
    .where(eq(reconcileFindings.runId, runId))
    .groupBy(reconcileFindings.kind, reconcileFindings.action, reconcileFindings.resolved);
  const counts: Record<string, number> = {};
  for (const r of rows) {
    const n = Number(r.n);
    counts[r.kind] = (counts[r.kind] ?? 0) + n;
    counts[r.action] = (counts[r.action] ?? 0) + n;
    if (r.resolved) counts.resolved = (counts.resolved ?? 0) + n;
  }
  return counts;
}
