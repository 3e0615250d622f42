/**
 * reconcile_runs / reconcile_findings / reconcile_crm_notes: the nightly proof that every PBX call
 * is on the CRM exactly once, with its recording — each run with its window, progress (a run is
 * time-boxed and resumes where it stopped), counts and the CRM requests it used; each finding with
 * what was done about it. The CRM's notes of a run are staged in a table, so the comparison is one
 * SQL join whatever the day's volume, never a map in memory.
 * @module
 */
import { sql } from 'drizzle-orm';
import { bigint, boolean, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { conversations } from './conversations';
import { instant, oneOf, timestamps } from './columns';
import { FINDING_ACTIONS, FINDING_KINDS, RUN_STATUSES } from '../../domain/reconcile';

export interface RunProgress {
  /** Pulls from the PBX done, by source. */
  pulled: string[];
  /** Pulls that failed, with why (the ledger alone stood for that source). */
  pullErrors?: Record<string, string>;
  /** The CRM listing: which entity type, which page next (null: from the start). */
  crm: { entity: string | null; page: number; done: boolean };
  /** CRM troubles in a row (429, 5xx) while listing; the run fails after a few. */
  transientFailures?: number;
  compared: boolean;
  repushed: boolean;
  /** Working time by phase (pull, crm, compare, repush, finish), over all slices. */
  phaseMs?: Record<string, number>;
}

export const reconcileRuns = pgTable(
  'reconcile_runs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    windowFrom: instant('window_from').notNull(),
    windowTo: instant('window_to').notNull(),
    /** "nightly" (the schedule) or "manual" (API, CLI, console). */
    trigger: text('trigger', { enum: ['nightly', 'manual'] }).notNull(),
    status: text('status', { enum: RUN_STATUSES }).notNull(),
    progress: jsonb('progress').$type<RunProgress>().notNull(),
    /** Findings by kind, and actions by kind. */
    counts: jsonb('counts').$type<Record<string, number>>().notNull().default({}),
    /** Calls of the window in the ledger, and CRM notes seen. */
    calls: integer('calls').notNull().default(0),
    crmNotes: integer('crm_notes').notNull().default(0),
    crmRequests: integer('crm_requests').notNull().default(0),
    /** Gaps still open after the re-push (what the alert is about). */
    gapsRemaining: integer('gaps_remaining'),
    /** Time actually spent working, over all of the run's slices. */
    workMs: bigint('work_ms', { mode: 'number' }).notNull().default(0),
    error: text('error'),
    alertedAt: instant('alerted_at'),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: instant('lease_expires_at'),
    startedAt: instant('started_at').notNull(),
    finishedAt: instant('finished_at'),
    ...timestamps,
  },
  (t) => [
    // One live run per window: a second start joins it.
    uniqueIndex('reconcile_runs_live_window').on(t.windowFrom, t.windowTo).where(sql`${t.status} in ('running', 'paused')`),
    index('reconcile_runs_started').on(t.startedAt),
    oneOf('reconcile_runs_status', t.status, RUN_STATUSES),
  ],
);

export const reconcileFindings = pgTable(
  'reconcile_findings',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    runId: uuid('run_id')
      .notNull()
      .references(() => reconcileRuns.id, { onDelete: 'cascade' }),
    conversationId: uuid('conversation_id').references(() => conversations.id, { onDelete: 'set null' }),
    kind: text('kind', { enum: FINDING_KINDS }).notNull(),
    action: text('action', { enum: FINDING_ACTIONS }).notNull(),
    /** Note ids of duplicates, the skip reason, the source of a lost webhook… */
    detail: jsonb('detail').$type<Record<string, unknown>>().notNull().default({}),
    /** The gap was closed by the time the run finished (re-pushed and delivered, note updated). */
    resolved: boolean('resolved').notNull().default(false),
    createdAt: instant('created_at').notNull().defaultNow(),
  },
  (t) => [
    index('reconcile_findings_run').on(t.runId, t.kind),
    oneOf('reconcile_findings_kind', t.kind, FINDING_KINDS),
    oneOf('reconcile_findings_action', t.action, FINDING_ACTIONS),
  ],
);

/** The CRM's call notes seen by a run (uniq → note), staged for the comparison, dropped with the run's end. */
export const reconcileCrmNotes = pgTable(
  'reconcile_crm_notes',
  {
    runId: uuid('run_id')
      .notNull()
      .references(() => reconcileRuns.id, { onDelete: 'cascade' }),
    uniq: text('uniq').notNull(),
    noteId: text('note_id').notNull(),
    entityType: text('entity_type').notNull(),
    entityId: text('entity_id').notNull(),
    hasLink: integer('has_link').notNull(),
  },
  (t) => [uniqueIndex('reconcile_crm_notes_key').on(t.runId, t.entityType, t.noteId), index('reconcile_crm_notes_uniq').on(t.runId, t.uniq)],
);
