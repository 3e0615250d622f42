/**
 * Who is on a Twilio call leg. `From`/`To` hold a phone number, a Voice SDK identity
 * (`client:alice`) or a SIP URI (`sip:101@example.sip.twilio.com`); the last two are your own
 * agents, never a customer, so they become the leg's extension and are kept out of from/to —
 * the ledger would otherwise read "client:alice" as an outside number it cannot place.
 * @module
 */
import type { Direction } from '../../domain/call';

export type TwilioParty = { kind: 'phone'; number: string; own: boolean } | { kind: 'agent'; id: string } | { kind: 'anonymous' } | { kind: 'none' };

/**
 * Placeholder caller IDs Twilio is reported (support articles, not its API reference) to put in
 * `From` when the caller withheld the number: Anonymous, Restricted, Unknown, Unavailable, ….
 * Taken as numbers they would be real-looking foreign numbers and become CRM contacts.
 */
export const TWILIO_WITHHELD_NUMBERS: ReadonlySet<string> = new Set(['+266696687', '+7378742833', '+8656696', '+2562533', '+86282452253']);

const WITHHELD_WORDS = /^(anonymous|restricted|unknown|unavailable|private|blocked)$/i;

export function twilioParty(address: string | undefined, ownNumbers: ReadonlySet<string>): TwilioParty {
  const value = (address ?? '').trim();
  if (value === '') return { kind: 'none' };
  const client = /^client:(.+)$/i.exec(value);
  if (client?.[1]) return { kind: 'agent', id: client[1] };
  const sip = /^sips?:([^@;]+)@/i.exec(value);
  if (sip?.[1]) {
    const user = safeDecode(sip[1]);
    // A SIP user that is a full phone number came in over a trunk: that is an outside party.
    if (/^\+?\d{7,15}$/.test(user)) return phone(user, ownNumbers);
    return { kind: 'agent', id: user };
  }
  if (WITHHELD_WORDS.test(value) || TWILIO_WITHHELD_NUMBERS.has(value)) return { kind: 'anonymous' };
  // Anything else that is not a number (an application sid in To of a Voice SDK call) names nobody.
  if (!/^\+?[\d\s().-]{3,32}$/.test(value)) return { kind: 'none' };
  return phone(value, ownNumbers);
}

function phone(number: string, ownNumbers: ReadonlySet<string>): TwilioParty {
  return { kind: 'phone', number, own: ownNumbers.has(number) };
}

/** What goes into the leg's from/to: numbers as sent, "anonymous" for withheld ones, agents never. */
export function partyNumber(party: TwilioParty): string | null {
  if (party.kind === 'phone') return party.number;
  if (party.kind === 'anonymous') return 'anonymous';
  return null;
}

export type TwilioDirection = 'inbound' | 'outbound-api' | 'outbound-dial' | 'trunking-originating' | 'trunking-terminating';

/**
 * The leg's direction as the conversation sees it. Agents and your own numbers decide it; between
 * two outside-looking numbers Twilio's own Direction is used where it is unambiguous. A <Dial>
 * leg between two such numbers may be a forwarded inbound call or an outbound call: null, and
 * the parent call decides.
 */
export function legDirection(from: TwilioParty, to: TwilioParty, twilio: TwilioDirection): Direction | null {
  const ours = (p: TwilioParty) => p.kind === 'agent' || (p.kind === 'phone' && p.own);
  if (from.kind === 'agent' && to.kind === 'agent') return 'internal';
  if (from.kind === 'agent') return 'outbound';
  // Twilio rings an agent from one of your numbers, or because your app asked it to (the Calls
  // API: click-to-call): the agent's side of an outbound call.
  if (to.kind === 'agent') return (from.kind === 'phone' && from.own) || twilio === 'outbound-api' ? 'outbound' : 'inbound';
  if (ours(from) && !ours(to)) return 'outbound';
  if (!ours(from) && ours(to)) return 'inbound';
  if (ours(from) && ours(to)) return null;
  // Elastic SIP Trunking: "originating" calls come in from the phone network to your PBX,
  // "terminating" ones go out from it (Twilio's Call resource reference).
  if (twilio === 'inbound' || twilio === 'trunking-originating') return 'inbound';
  if (twilio === 'outbound-api' || twilio === 'trunking-terminating') return 'outbound';
  return null;
}

/** The agent on the leg: the one who called, else the one who was called. */
export function legExtension(from: TwilioParty, to: TwilioParty): string | null {
  if (from.kind === 'agent') return from.id;
  if (to.kind === 'agent') return to.id;
  return null;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
