/**
 * Reading reconciliation runs back: the list, one run, its findings with the call's details, and
 * the findings as CSV (streamed a page at a time). The JSON API, the console and the CLI use
 * these same functions.
 * @module
 */
import { and, asc, desc, eq, gt, lt } from 'drizzle-orm';
import { DateTime } from 'luxon';
import type { Db } from '../db/client';
import { conversations, deliveries, reconcileFindings, reconcileRuns } from '../db/schema';
import type { FindingKind } from '../domain/reconcile';

export type RunView = typeof reconcileRuns.$inferSelect;

export interface FindingView {
  id: number;
  kind: FindingKind;
  action: string;
  resolved: boolean;
  detail: Record<string, unknown>;
  conversationId: string | null;
  callKey: string | null;
  source: string | null;
  startedAt: Date | null;
  externalNumber: string | null;
  extension: string | null;
  direction: string | null;
  outcome: string | null;
  deliveryState: string | null;
}

export async function listRuns(db: Db, options: { limit?: number; before?: Date } = {}): Promise<RunView[]> {
  return db
    .select()
    .from(reconcileRuns)
    .where(options.before ? lt(reconcileRuns.startedAt, options.before) : undefined)
    .orderBy(desc(reconcileRuns.startedAt))
    .limit(options.limit ?? 50);
}

export async function getRun(db: Db, id: string): Promise<RunView | null> {
  const [run] = await db.select().from(reconcileRuns).where(eq(reconcileRuns.id, id));
  return run ?? null;
}

/** Findings of a run, oldest first, after the finding id `after` (a cursor). */
export async function findingsPage(
  db: Db,
  runId: string,
  options: { kind?: FindingKind; limit?: number; after?: number; crmAccountId?: string } = {},
): Promise<FindingView[]> {
  const rows = await db
    .select({
      id: reconcileFindings.id,
      kind: reconcileFindings.kind,
      action: reconcileFindings.action,
      resolved: reconcileFindings.resolved,
      detail: reconcileFindings.detail,
      conversationId: reconcileFindings.conversationId,
      callKey: conversations.callKey,
      source: conversations.source,
      startedAt: conversations.startedAt,
      externalNumber: conversations.externalNumber,
      extension: conversations.extension,
      direction: conversations.direction,
      outcome: conversations.outcome,
      deliveryState: deliveries.state,
    })
    .from(reconcileFindings)
    .leftJoin(conversations, eq(conversations.id, reconcileFindings.conversationId))
    .leftJoin(
      deliveries,
      and(
        eq(deliveries.conversationId, reconcileFindings.conversationId),
        options.crmAccountId ? eq(deliveries.crmAccountId, options.crmAccountId) : undefined,
      ),
    )
    .where(
      and(
        eq(reconcileFindings.runId, runId),
        options.kind ? eq(reconcileFindings.kind, options.kind) : undefined,
        options.after !== undefined ? gt(reconcileFindings.id, options.after) : undefined,
      ),
    )
    .orderBy(asc(reconcileFindings.id))
    .limit(options.limit ?? 100);
  return rows as FindingView[];
}

/** The findings CSV as a download named after the run's day (in `zone`) and id. */
export function findingsCsvResponse(db: Db, run: RunView, zone: string, crmAccountId?: string): Response {
  const day = DateTime.fromJSDate(run.windowFrom, { zone }).toFormat('yyyy-LL-dd');
  return new Response(findingsCsv(db, run.id, crmAccountId), {
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="calltrail-reconcile-${day}-${run.id.slice(0, 8)}.csv"`,
    },
  });
}

const CSV_HEADER = 'kind,action,resolved,call_id,source,started_at,number,extension,direction,outcome,delivery_state,detail';

/** The run's findings as CSV, read and written a thousand at a time. */
export function findingsCsv(db: Db, runId: string, crmAccountId?: string): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let after: number | undefined;
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(encoder.encode(`${CSV_HEADER}\r\n`));
      }
      const page = await findingsPage(db, runId, { limit: 1000, ...(after !== undefined ? { after } : {}), ...(crmAccountId ? { crmAccountId } : {}) });
      if (page.length === 0) {
        controller.close();
        return;
      }
      after = page.at(-1)?.id;
      const lines = page.map((f) =>
        [
          f.kind,
          f.action,
          f.resolved,
          f.callKey ?? '',
          f.source ?? '',
          f.startedAt?.toISOString() ?? '',
          f.externalNumber ?? '',
          f.extension ?? '',
          f.direction ?? '',
          f.outcome ?? '',
          f.deliveryState ?? '',
          JSON.stringify(f.detail),
        ]
          .map(csvCell)
          .join(','),
      );
      controller.enqueue(encoder.encode(`${lines.join('\r\n')}\r\n`));
    },
  });
}

function csvCell(value: unknown): string {
  const text = String(value ?? '');
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
