/**
 * The alert after a run that left gaps open or was stopped by the CRM: a Slack-compatible
 * incoming-webhook message (`{"text": …}`) to reconcile.alert_webhook_url, with the counts and a
 * link to the run in the console. No phone numbers go in it. A failing alert is logged, never
 * fails the run; it is sent at most once per run (alerted_at).
 * @module
 */
import { and, eq, isNull } from 'drizzle-orm';
import { crmAccounts, reconcileRuns } from '../db/schema';
import { FINDING_KINDS } from '../domain/reconcile';
import { describeError } from '../lib/log';
import type { AlertDeps } from './deps';
import type { RunRow } from './engine';

export function alertText(run: RunRow, crmStatus: string, consoleUrl: string): string {
  const day = `${run.windowFrom.toISOString()} – ${run.windowTo.toISOString()}`;
  const found = FINDING_KINDS.map((k) => [k, run.counts[k] ?? 0] as const)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const head =
    run.status === 'failed'
      ? `:warning: calltrail reconciliation of ${day} failed: ${run.error ?? 'unknown error'}`
      : `:warning: calltrail reconciliation of ${day}: ${run.gapsRemaining} gap(s) still open after re-push`;
  const lines = [head, `Findings: ${found || 'none'}.`];
  if (crmStatus !== 'ok') lines.push(`The CRM connection is ${crmStatus}: deliveries wait until an admin acts.`);
  lines.push(`Run: ${consoleUrl}`);
  return lines.join('\n');
}

export async function sendAlert(deps: AlertDeps, run: RunRow): Promise<boolean> {
  const url = deps.config.reconcile.alert_webhook_url;
  if (!url) return false;
  // Claim the alert first: two processes finishing slices never send it twice.
  const [claimed] = await deps.db
    .update(reconcileRuns)
    .set({ alertedAt: new Date() })
    .where(and(eq(reconcileRuns.id, run.id), isNull(reconcileRuns.alertedAt)))
    .returning({ id: reconcileRuns.id });
  if (!claimed) return false;
  const [account] = await deps.db.select({ status: crmAccounts.status }).from(crmAccounts).where(eq(crmAccounts.id, deps.settings.crm.accountId));
  const consoleUrl = new URL(`/admin/runs/${run.id}`, deps.settings.publicUrl).toString();
  const text = alertText(run, account?.status ?? 'ok', consoleUrl);
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text }),
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw new Error(`the alert webhook answered ${response.status}`);
    return true;
  } catch (error) {
    deps.log.error('reconciliation alert could not be sent', { run: run.id, error: describeError(error) });
    return false;
  }
}
