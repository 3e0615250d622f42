/**
 * Which Twilio account to list calls of, when the deployment does not say: every callback Twilio
 * posts carries its `AccountSid`, so the most recent stored Twilio body names the account whose
 * auth token (TWILIO_AUTH_TOKEN) signed it.
 * @module
 */
import { desc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { inboxEvents } from '../../db/schema';

const ACCOUNT_SID = /^AC[0-9a-fA-F]{32}$/;

export const isAccountSid = (value: string | undefined | null): value is string => !!value && ACCOUNT_SID.test(value);

/** The AccountSid of the newest stored Twilio callback that has one; null when none does. */
export async function accountSidFromLedger(db: Db): Promise<string | null> {
  // A few rows, not one: the newest may be a body a replay tool stored without the field.
  const rows = await db.select({ raw: inboxEvents.raw }).from(inboxEvents).where(eq(inboxEvents.source, 'twilio')).orderBy(desc(inboxEvents.id)).limit(20);
  for (const row of rows) {
    const sid = new URLSearchParams(row.raw).get('AccountSid');
    if (isAccountSid(sid)) return sid;
  }
  return null;
}
