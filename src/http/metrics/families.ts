/**
 * Everything GET /metrics exposes, gathered at scrape time: backlogs and totals from the database
 * (queries.ts) and the CRM account's request counters and budget from this process
 * (crm/observe.ts, the limiter). Every series carries `account`, the CRM account id; an app
 * serves its own account only (an added account's app, under /a/<slug>/metrics, its own).
 *
 * Families always come with their HELP and TYPE, and with every state or outcome they know of at
 * zero, so a dashboard's query finds its series before the first event.
 * @module
 */
import type { Db } from '../../db/client';
import { DELIVERY_STATES } from '../../domain/delivery';
import { FETCH_STATES } from '../../domain/call';
import { CRM_STATUSES } from '../../domain/crm-account';
import { FINDING_KINDS, RUN_STATUSES } from '../../domain/reconcile';
import { CRM_OUTCOMES, crmCounters } from '../../crm/observe';
import type { MetricFamily, MetricType, Sample } from '../../lib/metrics';
import { readBacklogs, readDeliveries, readLatestRun, readRecordings, type DeliveryCounts, type LatestRun, type RecordingCounts } from './queries';

/** What a scrape reads of the CRM account's budget (the limiter, or a budget shared between processes). */
export interface BudgetReading {
  readonly currentRps: number;
  readonly requests: number;
  readonly late: number;
  readonly waiting: number;
}

export interface MetricsDeps {
  db: Db;
  settings: { crm: { accountId: string; rps: number } };
  limiters?: Map<string, BudgetReading>;
  now?: () => Date;
}

const family = (name: string, type: MetricType, help: string, samples: Sample[]): MetricFamily => ({ name, type, help, samples });

/** The families of a scrape, in a stable order. */
export async function collectMetrics(deps: MetricsDeps): Promise<MetricFamily[]> {
  const now = (deps.now ?? (() => new Date()))();
  const account = deps.settings.crm.accountId;
  const [backlogs, deliveryCounts, recordingCounts, run] = await Promise.all([
    readBacklogs(deps.db, now),
    readDeliveries(deps.db),
    readRecordings(deps.db),
    readLatestRun(deps.db),
  ]);
  const a = { account };
  return [
    family(
      'calltrail_inbox_unapplied',
      'gauge',
      'Webhook bodies stored but not applied to the ledger (queued for the Workers consumer, or failed: retried, or waiting for an admin).',
      [{ labels: a, value: backlogs.inbox.count }],
    ),
    family('calltrail_inbox_unapplied_oldest_age_seconds', 'gauge', 'Age of the oldest unapplied webhook body (0 when there is none).', [
      { labels: a, value: backlogs.inbox.oldestAgeSeconds },
    ]),
    family('calltrail_settle_waiting', 'gauge', 'Conversations whose final event arrived, not yet settled (waiting for late legs and recordings).', [
      { labels: a, value: backlogs.settle.waiting },
    ]),
    family('calltrail_settle_overdue', 'gauge', 'Conversations waiting to settle whose settle time has passed.', [
      { labels: a, value: backlogs.settle.overdue },
    ]),
    family('calltrail_settle_oldest_age_seconds', 'gauge', 'Seconds since the final event of the oldest conversation waiting to settle.', [
      { labels: a, value: backlogs.settle.oldestAgeSeconds },
    ]),
    ...deliveryFamilies(account, deliveryCounts),
    ...crmFamilies(account, deps),
    ...recordingFamilies(account, recordingCounts),
    ...reconcileFamilies(account, run),
  ];
}

function deliveryFamilies(account: string, counts: DeliveryCounts): MetricFamily[] {
  // The configured account at zero in every state; rows of an earlier CRM account keep their own label.
  const byKey = new Map<string, Sample>();
  for (const state of DELIVERY_STATES) byKey.set(`${account}\n${state}`, { labels: { account, state }, value: 0 });
  for (const row of counts.byState) byKey.set(`${row.account}\n${row.state}`, { labels: { account: row.account, state: row.state }, value: row.count });
  const accounts = new Set([account, ...counts.byState.map((r) => r.account)]);
  return [
    family('calltrail_deliveries', 'gauge', 'Deliveries (one per settled call and CRM account) by state.', [...byKey.values()]),
    family(
      'calltrail_deliveries_oldest_pending_age_seconds',
      'gauge',
      'Seconds since the oldest pending delivery was created (0 when none is pending).',
      [...accounts].map((id) => ({ labels: { account: id }, value: counts.oldestPendingAgeSeconds.get(id) ?? 0 })),
    ),
    family(
      'calltrail_crm_account_status',
      'gauge',
      "The CRM account's circuit: 1 for its current status (blocked: a 403 block, deliveries wait for an admin).",
      CRM_STATUSES.map((status) => ({ labels: { account, status }, value: (counts.status.get(account) ?? 'ok') === status ? 1 : 0 })),
    ),
  ];
}

function crmFamilies(account: string, deps: MetricsDeps): MetricFamily[] {
  const budget = deps.limiters?.get(account);
  const counters = budget ? crmCounters(budget) : { outcomes: new Map<string, number>(), statuses: new Map<number, number>() };
  const a = { account };
  return [
    family(
      'calltrail_crm_requests_total',
      'counter',
      'Tries of CRM requests by outcome, since this process started (rate_limited: 429, blocked: 403, network: no answer).',
      CRM_OUTCOMES.map((outcome) => ({ labels: { account, outcome }, value: counters.outcomes.get(outcome) ?? 0 })),
    ),
    family(
      'calltrail_crm_responses_total',
      'counter',
      'CRM answers by HTTP status code, since this process started (429 and 403 are always listed).',
      [...new Set([429, 403, ...counters.statuses.keys()])]
        .sort((x, y) => x - y)
        .map((code) => ({ labels: { account, code: String(code) }, value: counters.statuses.get(code) ?? 0 })),
    ),
    family('calltrail_crm_budget_granted_total', 'counter', 'Request slots the CRM account budget granted (every try takes one).', [
      { labels: a, value: budget?.requests ?? 0 },
    ]),
    family('calltrail_crm_budget_refused_total', 'counter', 'Requests refused by the budget because no slot came before their deadline (live lookups).', [
      { labels: a, value: budget?.late ?? 0 },
    ]),
    family('calltrail_crm_budget_waiting', 'gauge', 'Requests waiting for a slot of the CRM account budget now.', [{ labels: a, value: budget?.waiting ?? 0 }]),
    family('calltrail_crm_budget_rps', 'gauge', 'The rate the budget allows now: the configured one, lower for a while after a 429.', [
      { labels: a, value: budget?.currentRps ?? deps.settings.crm.rps },
    ]),
    family('calltrail_crm_budget_limit_rps', 'gauge', 'The configured request budget of the CRM account (AMOCRM_RPS or the CRM config).', [
      { labels: a, value: deps.settings.crm.rps },
    ]),
  ];
}

function recordingFamilies(account: string, counts: RecordingCounts): MetricFamily[] {
  return [
    family(
      'calltrail_recordings',
      'gauge',
      'Recordings by fetch state: waiting to be fetched, archived, failed, skipped (not archived here), purged.',
      FETCH_STATES.map((state) => ({ labels: { account, state }, value: counts.byFetchState.get(state) ?? 0 })),
    ),
    family('calltrail_call_audio', 'gauge', "Calls' MP3s by how they were built: transcoded (WAV or joined), stored (the PBX's MP3 as is), failed.", [
      { labels: { account, result: 'transcoded' }, value: counts.audio.transcoded },
      { labels: { account, result: 'stored' }, value: counts.audio.stored },
      { labels: { account, result: 'failed' }, value: counts.audio.failed },
    ]),
  ];
}

function reconcileFamilies(account: string, run: LatestRun | null): MetricFamily[] {
  const byKind = new Map(run?.findings.map((f) => [f.kind, f]));
  const kinds = (value: (kind: string) => number) => (run ? FINDING_KINDS.map((kind) => ({ labels: { account, kind }, value: value(kind) })) : []);
  return [
    family(
      'calltrail_reconcile_findings',
      'gauge',
      'Findings of the latest reconciliation run, by kind.',
      kinds((k) => byKind.get(k)?.count ?? 0),
    ),
    family(
      'calltrail_reconcile_findings_unresolved',
      'gauge',
      'Findings of the latest reconciliation run not resolved by its end, by kind.',
      kinds((k) => byKind.get(k)?.unresolved ?? 0),
    ),
    family(
      'calltrail_reconcile_gaps_remaining',
      'gauge',
      'Gaps still open after the latest finished run re-pushed what it could.',
      run?.gapsRemaining != null ? [{ labels: { account }, value: run.gapsRemaining }] : [],
    ),
    family(
      'calltrail_reconcile_last_run_status',
      'gauge',
      'The latest reconciliation run: 1 for its status.',
      run ? RUN_STATUSES.map((status) => ({ labels: { account, status }, value: run.status === status ? 1 : 0 })) : [],
    ),
    family(
      'calltrail_reconcile_last_run_start_timestamp_seconds',
      'gauge',
      'When the latest reconciliation run started (Unix time).',
      run ? [{ labels: { account }, value: run.startedAtSeconds }] : [],
    ),
  ];
}
