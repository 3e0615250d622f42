/**
 * Phase 1 of a slice, the PBX side: every source that can be asked gives back its calls of the
 * window, and a call the ledger never received (a lost webhook) is ingested as the webhook would
 * have been, recorded as a finding, and settled at once. A thing of its own because it is the one
 * phase that writes calls into the ledger rather than comparing what is there.
 * @module
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import { conversations, reconcileFindings } from '../db/schema';
import { callKeyOf } from '../domain/events';
import { inboxDeps } from '../jobs';
import { ingestMany, type IngestInput } from '../ledger/inbox';
import { describeError } from '../lib/log';
import type { PbxPull } from '../pbx/pull';
import { conversationSource, portablePulls } from '../pbx/registry';
import type { ReconcileDeps } from './deps';
import { OutOfTime, type Slice } from './slice';

/** The pulls of this runtime that are configured. */
export function enabledPulls(deps: ReconcileDeps): PbxPull[] {
  return [...portablePulls, ...(deps.pbxPulls ?? [])].filter((p) => p.enabled(deps));
}

/** 1. The PBX side: what the sources say they carried, that the ledger never got. */
export async function pullLostCalls(slice: Slice): Promise<void> {
  const { deps, progress, run, log } = slice;
  for (const pull of enabledPulls(deps)) {
    if (progress.pulled.includes(pull.source)) continue;
    slice.checkTime();
    try {
      let found = 0;
      for await (const page of pull.pull(slice.window, deps)) {
        found += await ingestLost(deps, run.id, pull.source, page);
        slice.unitDone();
      }
      log.info('PBX pulled', { source: pull.source, lostWebhooks: found });
    } catch (error) {
      if (error instanceof OutOfTime) throw error;
      // A source that cannot be asked today: the run goes on with the ledger alone, and says so.
      progress.pullErrors = { ...progress.pullErrors, [pull.source]: describeError(error) };
      log.warn('PBX pull failed; the ledger alone stands for this source', { source: pull.source, error: describeError(error) });
    }
    progress.pulled.push(pull.source);
    await slice.save(slice.db);
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
    await deps.db.insert(reconcileFindings).values(
      created.map((c) => ({
        runId,
        conversationId: c.id,
        kind: 'lost_webhook' as const,
        action: 'ingested' as const,
        detail: { source: pulled, call_key: c.callKey },
      })),
    );
  }
  return created.length;
}
