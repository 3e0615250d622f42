/**
 * One delivery worker per CRM account: whoever holds the account row's unexpired lease. Each
 * operation is a single UPDATE, so it works through Hyperdrive's transaction pooling, where a
 * session advisory lock would be held by a pooled connection nobody owns. Expiry uses the
 * database's clock, the one clock every process shares.
 * @module
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { queryRows } from '../db/raw';
import { crmAccounts } from '../db/schema';

/** Takes or renews the lease; false when another live worker holds it (or there is no account row yet). */
export async function acquireAccountLease(db: Db, accountId: string, owner: string, ttlSeconds: number): Promise<boolean> {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`update ${crmAccounts} set lease_owner = ${owner}, lease_expires_at = now() + make_interval(secs => ${ttlSeconds})
        where id = ${accountId}
          and (lease_owner is null or lease_owner = ${owner} or lease_expires_at < now())
        returning id`,
  );
  return rows.length === 1;
}

export async function releaseAccountLease(db: Db, accountId: string, owner: string): Promise<void> {
  await db.execute(sql`update ${crmAccounts} set lease_owner = null, lease_expires_at = null where id = ${accountId} and lease_owner = ${owner}`);
}
