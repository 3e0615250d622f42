/**
 * Sign-in tickets: what carries an amoCRM sign-in from the widget's request (answered as JSON to a
 * script on amoCRM's origin) into a browser tab of the console. A ticket
 * `<id>.<user id>.<epoch>.<expiry>.<HMAC>` is signed with the console's session key under a label
 * of its own (no ticket can pass for a session or a CSRF token, nor the other way round), lives
 * TICKET_SECONDS, names the user's session epoch (a password reset, disable or role change in
 * between voids it) and is spent once: its id goes to used_one_time_tokens (people/one-time.ts).
 * @module
 */
import { hmacSha256Hex, verifyHmacSha256Hex } from '../lib/crypto';

export const TICKET_SECONDS = 60;
const LABEL = 'calltrail-amocrm-sign-in-ticket:';
const TICKET = /^([A-Za-z0-9_-]{22})\.(\d{1,10})\.(\d{1,10})\.(\d{1,12})\.([0-9a-f]{64})$/;

export interface Ticket {
  id: string;
  userId: number;
  epoch: number;
  /** Unix seconds. */
  expires: number;
}

/** An expired ticket is still ours: it says whose it was (for the audit trail). */
export type TicketCheck = { ok: true; ticket: Ticket } | { ok: false; reason: 'malformed' | 'forged' } | { ok: false; reason: 'expired'; userId: number };

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

export async function issueTicket(key: string, who: { userId: number; epoch: number }, now: Date): Promise<{ value: string; ticket: Ticket }> {
  const ticket: Ticket = { id: randomId(), userId: who.userId, epoch: who.epoch, expires: Math.floor(now.getTime() / 1000) + TICKET_SECONDS };
  const body = `${ticket.id}.${ticket.userId}.${ticket.epoch}.${ticket.expires}`;
  return { value: `${body}.${await hmacSha256Hex(key, LABEL + body)}`, ticket };
}

/** The ticket a value stands for, if it is well formed, ours, and not expired (its use is the caller's to claim). */
export async function readTicket(key: string, value: string | undefined, now: Date): Promise<TicketCheck> {
  const match = TICKET.exec(value ?? '');
  if (!match) return { ok: false, reason: 'malformed' };
  const [, id = '', user = '', epoch = '', expires = '', signature = ''] = match;
  if (!(await verifyHmacSha256Hex(key, `${LABEL}${id}.${user}.${epoch}.${expires}`, signature))) return { ok: false, reason: 'forged' };
  if (Number(expires) < now.getTime() / 1000) return { ok: false, reason: 'expired', userId: Number(user) };
  return { ok: true, ticket: { id, userId: Number(user), epoch: Number(epoch), expires: Number(expires) } };
}
