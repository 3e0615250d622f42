/**
 * One slice of a reconciliation run: the phases in order, each resumable from the run's progress,
 * each checking the slice's deadline between pages.
 *
 * 1. pull     — every PBX that can be asked gives back its calls of the window; a call the ledger
 *               never received (a lost webhook) is ingested like the webhook would have been,
 *               recorded as a finding, and settled at once.
 * 2. crm      — the CRM's call notes written or changed from the window's start to now, every
 *               entity type, a page per request, staged in reconcile_crm_notes (position saved
 *               after each page).
 * 3. compare  — set-based SQL between the window's calls and the staged notes (compare.ts); its
 *               findings and their actions are written in the same transaction as the progress.
 * 4. repush   — the repaired deliveries go out now (settle, recordings, delivery drain), until
 *               none is due or the slice's time is up; findings whose call is delivered are resolved.
 * 5. finish   — counts, staged notes dropped, and an alert when gaps remain or the CRM stopped us.
 * @module
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import { markStatus } from '../crm/account';
import { CrmError, type ListPosition } from '../crm/port';
import type { Db } from '../db/client';
import { queryRows } from '../db/raw';
import { conversations, crmAccounts, deliveries, reconcileCrmNotes, reconcileFindings, reconcileRuns, type RunProgress } from '../db/schema';
import { crmConnection, createDeliveryWorker } from '../delivery/setup';
import { inboxDeps, runTick } from '../jobs';
import { ingestMany, type IngestInput } from '../ledger/inbox';
import { describeError } from '../lib/log';
import type { PbxPull } from '../pbx/pull';
import { compare, markResolved } from './compare';
import type { ReconcileDeps } from './deps';
import { callKeyOf } from '../domain/events';
import { conversationSource, portablePulls } from '../pbx/registry';

export type RunRow = typeof reconcileRuns.$inferSelect;

export interface SliceOptions {
  owner: string;
  /** When this slice must stop working (Date.now() clock). */
  deadline: number;
  leaseSeconds: number;
  /** Aborted: pause at the next page. */
  signal?: AbortSignal;
}

/** How the slice ended: the run is finished, or paused to be resumed by a later slice. */
export type SliceEnd = { status: 'done' } | { status: 'paused'; reason: string } | { status: 'failed'; error: string };

/** A transient CRM trouble (429, 5xx) lets the run pause and resume; this many in a row fail it. */
export const MAX_TRANSIENT_FAILURES = 5;

class OutOfTime extends Error {}

/** The pulls of this runtime that are configured. */
export function enabledPulls(deps: ReconcileDeps): PbxPull[] {
  return [...portablePulls, ...(deps.pbxPulls ?? [])].filter((p) => p.enabled(deps));
}

/** Counts every request sent to the CRM on behalf of the run (token refreshes included). */
function countingDeps(deps: ReconcileDeps, counter: { n: number }): ReconcileDeps {
  const sandbox = deps.sandbox;
  const base = deps.crmFetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  return {
    ...deps,
    ...(sandbox
      ? {
          sandbox: {
            fetch: (request: Request) => {
              counter.n++;
              return sandbox.fetch(request);
            },
          },
        }
      : {}),
    crmFetch: ((input: RequestInfo | URL, init?: RequestInit) => {
      counter.n++;
      return base(input, init);
    }) as typeof fetch,
  };
}

export async function runSlice(deps: ReconcileDeps, run: RunRow, options: SliceOptions): Promise<SliceEnd> {
  const { db } = deps;
  const log = deps.log.child({ component: 'reconcile', run: run.id });
  const now = deps.now ?? (() => new Date());
  const counter = { n: 0 };
  const crmDeps = countingDeps(deps, counter);
  const progress: RunProgress = structuredClone(run.progress);
  const window = { from: run.windowFrom, to: run.windowTo };
  // Every slice does at least one unit of work (a page, the comparison, a drain), so a run
  // always moves forward, however small its budget.
  let worked = false;
  const checkTime = () => {
    if (options.signal?.aborted || (worked && Date.now() >= options.deadline)) throw new OutOfTime();
  };
  const unitDone = () => {
    worked = true;
    checkTime();
  };
  /** Saves progress and the requests spent so far, and renews the run's lease. */
  const save = async (db: Db, extra: PgUpdateSetSource<typeof reconcileRuns> = {}) => {
    const spent = counter.n;
    counter.n = 0;
    await db
      .update(reconcileRuns)
      .set({
        progress,
        crmRequests: sql`${reconcileRuns.crmRequests} + ${spent}`,
        leaseExpiresAt: new Date(Date.now() + options.leaseSeconds * 1000),
        updatedAt: new Date(),
        ...extra,
      })
      .where(and(eq(reconcileRuns.id, run.id), eq(reconcileRuns.leaseOwner, options.owner)));
  };

  progress.phaseMs ??= {};
  let phase = 'pull';
  let phaseStarted = performance.now();
  const enter = (next: string) => {
    const t = performance.now();
    progress.phaseMs![phase] = Math.round((progress.phaseMs![phase] ?? 0) + t - phaseStarted);
    phase = next;
    phaseStarted = t;
  };

  try {
    // 1. The PBX side: what the sources say they carried, that the ledger never got.
    for (const pull of enabledPulls(deps)) {
      if (progress.pulled.includes(pull.source)) continue;
      checkTime();
      try {
        let found = 0;
        for await (const page of pull.pull(window, deps)) {
          found += await ingestLost(deps, run.id, pull.source, page);
          unitDone();
        }
        log.info('PBX pulled', { source: pull.source, lostWebhooks: found });
      } catch (error) {
        if (error instanceof OutOfTime) throw error;
        // A source that cannot be asked today: the run goes on with the ledger alone, and says so.
        progress.pullErrors = { ...progress.pullErrors, [pull.source]: describeError(error) };
        log.warn('PBX pull failed; the ledger alone stands for this source', { source: pull.source, error: describeError(error) });
      }
      progress.pulled.push(pull.source);
      await save(db);
    }

    // 2. The CRM side: its call notes, staged page by page.
    enter('crm');
    const crm = crmConnection(crmDeps);
    if (!crm) return { status: 'failed', error: 'no CRM to compare with (sandbox mode without the sandbox CRM)' };
    if (!progress.crm.done) {
      const [account] = await db.select({ status: crmAccounts.status }).from(crmAccounts).where(eq(crmAccounts.id, crm.accountId));
      if (account && account.status !== 'ok') return { status: 'failed', error: `the CRM connection is ${account.status}: an admin must act` };
      let notes = 0;
      try {
        const from: ListPosition | undefined = progress.crm.entity ? { entityType: progress.crm.entity, page: progress.crm.page } : undefined;
        // Up to a day ahead: a note changed while the listing runs stays in it (and in its place).
        const listTo = new Date(now().getTime() + 86_400_000);
        for await (const page of crm.port.listLoggedCalls({ from: window.from, to: listTo }, from)) {
          if (page.calls.length) {
            await db
              .insert(reconcileCrmNotes)
              .values(
                page.calls.map((c) => ({
                  runId: run.id,
                  uniq: c.uniq,
                  noteId: String(c.noteId),
                  entityType: c.entityType,
                  entityId: String(c.entityId),
                  // A CRM that cannot tell is taken at its word that the recording is there.
                  hasLink: c.link === undefined || c.link ? 1 : 0,
                })),
              )
              .onConflictDoNothing();
          }
          notes += page.calls.length;
          progress.crm = page.next ? { entity: page.next.entityType, page: page.next.page, done: false } : { ...progress.crm, done: true };
          progress.transientFailures = 0;
          await save(db, { crmNotes: sql`${reconcileRuns.crmNotes} + ${page.calls.length}` });
          unitDone();
        }
      } catch (error) {
        if (!(error instanceof CrmError)) throw error;
        return await crmTrouble(deps, crm.accountId, error, progress, save);
      }
      progress.crm = { ...progress.crm, done: true };
      await save(db);
      log.info('CRM notes listed', { notes });
    }

    // 3. The comparison: findings and their actions, once (same transaction as the progress).
    if (!progress.compared) {
      checkTime();
      enter('compare');
      // The staged notes arrived just now, and a busy day changed the deliveries: plans made on
      // stale statistics (a table taken for empty) turn index lookups into scans of the day.
      await db.execute(sql`analyze ${reconcileCrmNotes}, ${deliveries}, ${conversations}`);
      await db.transaction(async (tx) => {
        const compared = await compare(tx, {
          runId: run.id,
          accountId: crm.accountId,
          from: window.from,
          to: window.to,
          startedAt: run.startedAt,
          recordingsArchived: deps.recordings !== undefined,
          now: now(),
        });
        progress.compared = true;
        await save(tx, { calls: compared.calls });
      });
      worked = true;
    }

    // 4. The re-push: repaired deliveries go out now, not at the next tick.
    if (!progress.repushed) {
      enter('repush');
      const worker = createDeliveryWorker(crmDeps, { owner: options.owner });
      for (;;) {
        await markResolved(db, run.id, crm.accountId);
        const due = await openDeliveries(db, run.id, crm.accountId, now());
        if (due.dueSoon === 0) break;
        checkTime();
        await runTick(deps);
        const report = worker
          ? await worker.drain({ budgetMs: Math.max(1000, options.deadline - Date.now()), shouldStop: () => options.signal?.aborted === true })
          : null;
        await save(db);
        worked = true;
        if (report && (report.stopped === 'blocked' || report.stopped === 'unauthorized' || report.stopped === 'circuit_open')) break;
        if (!report || report.claimed === 0) await new Promise((resolve) => setTimeout(resolve, 250));
      }
      progress.repushed = true;
      await save(db);
    }

    // 5. The report.
    enter('finish');
    const gaps = await markResolved(db, run.id, crm.accountId);
    const counts = await findingCounts(db, run.id);
    await db.transaction(async (tx) => {
      await tx.delete(reconcileCrmNotes).where(eq(reconcileCrmNotes.runId, run.id));
      enter('finish');
      await save(tx, { counts, gapsRemaining: gaps });
    });
    return { status: 'done' };
  } catch (error) {
    if (error instanceof OutOfTime) {
      enter(phase);
      await save(db);
      return { status: 'paused', reason: 'the slice used its time budget' };
    }
    throw error;
  }
}

/**
 * Ingests the pulled inputs of calls the ledger does not have. A call's inputs are all in one page;
 * a call is judged by its key before any of its inputs is stored, so its later bodies follow.
 */
async function ingestLost(deps: ReconcileDeps, runId: string, pulled: string, page: IngestInput[]): Promise<number> {
  // A FreePBX pull finds calls the Master.csv push or AMI brought in: one key space.
  const source = conversationSource(pulled);
  const keysOf = (input: IngestInput) => [...new Set(input.events.flatMap((e) => callKeyOf(e) ?? []))];
  const keys = [...new Set(page.flatMap(keysOf))];
  if (keys.length === 0) return 0;
  const known = await deps.db
    .select({ callKey: conversations.callKey })
    .from(conversations)
    .where(and(eq(conversations.source, source), inArray(conversations.callKey, keys)));
  const present = new Set(known.map((k) => k.callKey));
  const absent = keys.filter((k) => !present.has(k));
  if (absent.length === 0) return 0;
  const missing = new Set(absent);
  const inputs = page.filter((input) => keysOf(input).some((k) => missing.has(k)));
  await ingestMany(inboxDeps(deps), inputs);
  // The PBX says these calls are over: they settle now rather than after SETTLE_SECONDS of quiet.
  const now = (deps.now ?? (() => new Date()))();
  const created = await deps.db
    .update(conversations)
    .set({ settleDueAt: sql`least(coalesce(${conversations.settleDueAt}, ${now.toISOString()}::timestamptz), ${now.toISOString()}::timestamptz)` })
    .where(and(eq(conversations.source, source), inArray(conversations.callKey, absent)))
    .returning({ id: conversations.id, callKey: conversations.callKey });
  if (created.length) {
    await deps.db
      .insert(reconcileFindings)
      .values(
        created.map((c) => ({ runId, conversationId: c.id, kind: 'lost_webhook' as const, action: 'ingested' as const, detail: { source: pulled, call_key: c.callKey } })),
      );
  }
  return created.length;
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

async function crmTrouble(
  deps: ReconcileDeps,
  accountId: string,
  error: CrmError,
  progress: RunProgress,
  save: (db: Db, extra?: PgUpdateSetSource<typeof reconcileRuns>) => Promise<void>,
): Promise<SliceEnd> {
  const failure = error.failure;
  if (failure.kind === 'blocked' || failure.kind === 'unauthorized') {
    await markStatus(deps.db, accountId, failure.kind, failure.detail, (deps.now ?? (() => new Date()))());
    await save(deps.db);
    return { status: 'failed', error: `the CRM answered ${failure.kind}: ${failure.detail}` };
  }
  if (failure.kind === 'rejected') {
    // The CRM refuses the listing itself (a request the config describes wrongly, a CRM that
    // cannot list): asking again will not help.
    await save(deps.db);
    return { status: 'failed', error: `the CRM refused to list its calls: ${failure.detail}` };
  }
  progress.transientFailures = (progress.transientFailures ?? 0) + 1;
  await save(deps.db);
  if (progress.transientFailures >= MAX_TRANSIENT_FAILURES) {
    return { status: 'failed', error: `the CRM failed ${progress.transientFailures} times in a row: ${error.message}` };
  }
  return { status: 'paused', reason: `the CRM is unavailable for now (${failure.kind}); the listing resumes where it stopped` };
}
