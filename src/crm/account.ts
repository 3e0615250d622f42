/**
 * The status of a CRM account — ok, blocked (the CRM blocked the integration), unauthorized (its
 * credentials were refused and could not be renewed) — kept in crm_accounts: the circuit the
 * delivery worker and the reconciler open when the CRM says stop, that new OAuth tokens close
 * after an "unauthorized" (amocrm/auth.ts), and that only an admin closes after a block.
 * Vendor-neutral: every adapter's failures end here the same way.
 * @module
 */
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { crmAccounts } from '../db/schema';
import type { CrmStatus } from '../domain/crm-account';

/** Opens (blocked, unauthorized) or closes (ok) the account's circuit, with the reason shown to admins. */
export async function markStatus(db: Db, accountId: string, status: CrmStatus, reason: string | null, now: Date): Promise<void> {
  await db.update(crmAccounts).set({ status, statusReason: reason, statusChangedAt: now, updatedAt: now }).where(eq(crmAccounts.id, accountId));
}
