/**
 * What an admin can do about deliveries, the same from the JSON API and the console: read the CRM
 * connection's status, close an open circuit, send one call again.
 * @module
 */
import { and, eq, sql } from 'drizzle-orm';
import { markStatus } from '../crm/account';
import { crmAccounts, deliveries } from '../db/schema';
import type { CrmStatus } from '../domain/crm-account';
import type { DeliveryStep } from '../domain/delivery';
import type { ErrorCode } from '../domain/errors';
import type { CrmSettings } from '../crm/settings';
import type { DeliveryAdminDeps } from './deps';

export interface CrmConnectionStatus {
  accountId: string;
  kind: CrmSettings['kind'];
  baseUrl: string | null;
  status: CrmStatus;
  statusReason: string | null;
  statusChangedAt: Date | null;
  /** config: credentials described in the integrator config (crm.generic.auth). */
  auth: 'sandbox' | 'long_lived_token' | 'oauth' | 'config';
  tokenExpiresAt: Date | null;
  tokenRefreshedAt: Date | null;
  /** Deliveries by state. */
  deliveries: Record<string, number>;
}

export async function crmStatus(deps: DeliveryAdminDeps): Promise<CrmConnectionStatus> {
  const crm = deps.settings.crm;
  const [account] = await deps.db.select().from(crmAccounts).where(eq(crmAccounts.id, crm.accountId));
  const counts = await deps.db
    .select({ state: deliveries.state, n: sql<number>`count(*)::int` })
    .from(deliveries)
    .where(eq(deliveries.crmAccountId, crm.accountId))
    .groupBy(deliveries.state);
  return {
    accountId: crm.accountId,
    kind: crm.kind,
    baseUrl: crm.baseUrl ?? null,
    status: account?.status ?? 'ok',
    statusReason: account?.statusReason ?? null,
    statusChangedAt: account?.statusChangedAt ?? null,
    auth: crm.kind === 'sandbox' ? 'sandbox' : crm.kind === 'generic' || crm.kind === 'bitrix24' ? 'config' : crm.longLivedToken ? 'long_lived_token' : 'oauth',
    tokenExpiresAt: account?.tokenExpiresAt ?? null,
    tokenRefreshedAt: account?.tokenRefreshedAt ?? null,
    deliveries: Object.fromEntries(counts.map((c) => [c.state, Number(c.n)])),
  };
}

/** After amoCRM lifted a block, or the credentials were fixed: deliveries resume. */
export async function resetCircuit(deps: DeliveryAdminDeps): Promise<void> {
  const now = (deps.now ?? (() => new Date()))();
  await markStatus(deps.db, deps.settings.crm.accountId, 'ok', null, now);
  deps.log.warn('CRM circuit reset by an admin', { account: deps.settings.crm.accountId });
  deps.wakeDelivery?.();
}

export type RetryOutcome =
  | { ok: true; step: DeliveryStep }
  | { ok: false; code: Extract<ErrorCode, 'not_found' | 'already_delivered' | 'skipped'>; message: string };

/** Sends a failed call again now (or hurries a pending one). A delivered or skipped call is not. */
export async function retryDelivery(deps: DeliveryAdminDeps, conversationId: string): Promise<RetryOutcome> {
  const now = (deps.now ?? (() => new Date()))();
  const [delivery] = await deps.db
    .select({ id: deliveries.id, state: deliveries.state, step: deliveries.step, reason: deliveries.reason })
    .from(deliveries)
    .where(and(eq(deliveries.conversationId, conversationId), eq(deliveries.crmAccountId, deps.settings.crm.accountId)));
  if (!delivery) return { ok: false, code: 'not_found', message: `call ${conversationId} has no delivery (it has not settled yet, or does not exist)` };
  if (delivery.state === 'delivered') return { ok: false, code: 'already_delivered', message: 'the call is already on the CRM' };
  if (delivery.state === 'skipped') return { ok: false, code: 'skipped', message: `the call is not for the CRM: ${delivery.reason ?? 'skipped'}` };
  await deps.db
    .update(deliveries)
    // outcome_unknown stays: if the last attempt may have landed, the retry looks first.
    .set({ state: 'pending', attempts: 0, nextAttemptAt: now, reason: null, updatedAt: now })
    .where(eq(deliveries.id, delivery.id));
  deps.wakeDelivery?.();
  return { ok: true, step: delivery.step };
}
