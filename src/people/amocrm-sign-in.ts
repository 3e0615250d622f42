/**
 * Signing in to the console as the amoCRM user one is in amoCRM, in two steps:
 * 1. ticketForAmoToken: the widget's request carries amoCRM's one-time token (amocrm-token.ts);
 *    it holds, is spent (people/one-time.ts), and names an amoCRM user linked to an enabled
 *    calltrail user → a sign-in ticket for that user (sign-in-ticket.ts).
 * 2. redeemTicket: the browser tab the widget opens presents the ticket; it holds, is spent, and its
 *    user is still enabled with the same session epoch → the user, for the console to open a session.
 * Every refusal says why, for the audit trail; neither the token nor the ticket is ever logged.
 * @module
 */
import type { Db } from '../db/client';
import { type TokenExpectations, TOKEN_LEEWAY_SECONDS, type TokenRefusal, verifyAmoToken } from './amocrm-token';
import { claimOnce } from './one-time';
import { consoleSessionKey } from './session-key';
import { issueTicket, readTicket, TICKET_SECONDS } from './sign-in-ticket';
import { findUser, findUserByAmoUser, type UserRow } from './users';

export type AmoSignInKeys = Omit<TokenExpectations, 'now'>;

export type AmoSignInRefusal = TokenRefusal | 'replayed' | 'not_linked' | 'disabled';
export type AmoSignIn = { ok: true; user: UserRow; amocrmUserId: number; ticket: string } | { ok: false; reason: AmoSignInRefusal; amocrmUserId?: number };

export type TicketRefusal = 'malformed' | 'forged' | 'expired' | 'used' | 'no_user' | 'disabled' | 'stale';
export type TicketRedemption = { ok: true; user: UserRow } | { ok: false; reason: TicketRefusal; userId?: number };

export async function ticketForAmoToken(db: Db, keys: AmoSignInKeys, token: string, now: Date): Promise<AmoSignIn> {
  const checked = await verifyAmoToken(token, { ...keys, now });
  if (!checked.ok) return checked;
  const { userId: amocrmUserId, jti, exp } = checked.token;
  // Kept as long as the token could still pass its expiry check: a replay within the leeway is refused too.
  const until = new Date(Math.max(exp + TOKEN_LEEWAY_SECONDS, now.getTime() / 1000 + 1) * 1000);
  if (!(await claimOnce(db, `amocrm:${jti}`, until, now))) return { ok: false, reason: 'replayed', amocrmUserId };
  const user = await findUserByAmoUser(db, amocrmUserId);
  if (!user) return { ok: false, reason: 'not_linked', amocrmUserId };
  if (user.disabledAt) return { ok: false, reason: 'disabled', amocrmUserId };
  const { value } = await issueTicket(await consoleSessionKey(db), { userId: user.id, epoch: user.sessionEpoch }, now);
  return { ok: true, user, amocrmUserId, ticket: value };
}

export async function redeemTicket(db: Db, value: string | undefined, now: Date): Promise<TicketRedemption> {
  const read = await readTicket(await consoleSessionKey(db), value, now);
  if (!read.ok) return read;
  const { ticket } = read;
  const until = new Date((ticket.expires + 1) * 1000);
  if (!(await claimOnce(db, `ticket:${ticket.id}`, until, now))) return { ok: false, reason: 'used', userId: ticket.userId };
  const user = await findUser(db, ticket.userId);
  if (!user) return { ok: false, reason: 'no_user', userId: ticket.userId };
  if (user.disabledAt) return { ok: false, reason: 'disabled', userId: user.id };
  if (user.sessionEpoch !== ticket.epoch) return { ok: false, reason: 'stale', userId: user.id };
  return { ok: true, user };
}

export { TICKET_SECONDS };
