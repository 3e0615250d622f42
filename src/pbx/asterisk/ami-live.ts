/**
 * AMI's call events → live moments (the screen pop, the live view), keyed by `Linkedid` — the key
 * the call's CDRs carry (cdr.ts callKeyOf), so the live call and its conversation meet.
 *
 * - `Newchannel` of the call's first channel (Uniqueid = Linkedid) from a trunk: ringing, no
 *   extension yet (the call is in an IVR or a queue), the caller, the DID it came in on;
 * - `DialBegin`: ringing — the extension dialled (the phone in DestChannel, the extension of a
 *   Local channel, else DestCallerIDNum when it is one). Which way the call goes is decided by the
 *   source's dialplan rules (dialplan.ts), on the caller's channel and the dialled one: inbound when
 *   the caller is on a trunk, outbound when the dialled channel is, internal when both are ours;
 * - `DialEnd` with DialStatus ANSWER: answered by that extension;
 * - `BridgeEnter` of one of our phones' channels: answered by it (a pickup, or a Dial without
 *   DialEnd);
 * - `Hangup` of the call's first channel (the one whose CDRs are final): ended. The CDRs end the
 *   live call anyway.
 *
 * The time is the event's `Timestamp` (manager.conf `timestampevents = yes`), else `ReceivedAt`,
 * which the listener adds to the stored body when Asterisk gave none — the stored body is all a
 * replay reads. What is stored is only the headers read here (ami-forward.ts), never a caller
 * name or a variable other than FROM_DID.
 * @module
 */
import type { Direction } from '../../domain/call';
import type { LiveMoment, LiveState } from '../../domain/events';
import { classifyNumber } from '../../domain/phone';
import { amiHeader, amiHeaders, type AmiMessage } from './ami-wire';
import { cdrDirection, channelParty, isDialled, type DialplanRules } from './dialplan';

/** The AMI events (class `call`) read as live moments. */
export const AMI_LIVE_EVENTS = ['Newchannel', 'DialBegin', 'DialEnd', 'BridgeEnter', 'Hangup'] as const;
export type AmiLiveEvent = (typeof AMI_LIVE_EVENTS)[number];

/** The headers kept of a live event, in this order: those read below, nothing else. */
const KEPT_HEADERS = [
  'Timestamp',
  'Channel',
  'CallerIDNum',
  'Context',
  'Exten',
  'Uniqueid',
  'Linkedid',
  'DestChannel',
  'DestCallerIDNum',
  'DestUniqueid',
  'DialString',
  'DialStatus',
  'BridgeUniqueid',
  'BridgeType',
] as const;

/** A header's value by its lower-case name; '' when absent. */
export type AmiFieldReader = (name: string) => string;

/** `Event: dialbegin` → DialBegin; null for other events. */
export function amiLiveEvent(name: string | undefined): AmiLiveEvent | null {
  const wanted = (name ?? '').trim().toLowerCase();
  return AMI_LIVE_EVENTS.find((e) => e.toLowerCase() === wanted) ?? null;
}

/**
 * The stored body of a live event: its kept headers (empty ones left out), FROM_DID when the
 * event carries it (manager.conf `channelvars = FROM_DID`), and `ReceivedAt` when it has no
 * Timestamp. Null when the message is no live event.
 */
export function amiLiveBody(message: AmiMessage, receivedAt: Date): Record<string, string> | null {
  const event = amiLiveEvent(amiHeader(message, 'Event'));
  if (!event) return null;
  const body: Record<string, string> = { Event: event };
  for (const key of KEPT_HEADERS) {
    const value = amiHeader(message, key)?.trim();
    if (value) body[key] = value;
  }
  const did = amiHeaders(message, 'ChanVariable').find((v) => /^FROM_DID=/i.test(v));
  if (did) body.ChanVariable = did;
  if (!body.Timestamp) body.ReceivedAt = receivedAt.toISOString();
  return body;
}

/** Reads a stored body's headers regardless of case. */
export function amiFieldReader(body: Readonly<Record<string, string | number | null>>): AmiFieldReader {
  const lower = new Map(Object.entries(body).map(([k, v]) => [k.toLowerCase(), v === null ? '' : String(v).trim()]));
  return (name) => lower.get(name) ?? '';
}

/** The live moment a live event says, or null when it says none; a body that cannot be read adds its problems. */
export function amiLiveMoment(get: AmiFieldReader, rules: DialplanRules, problems: string[], at = ''): LiveMoment | null {
  const event = amiLiveEvent(get('event'));
  if (!event) return null;
  const callKey = get('linkedid') || get('uniqueid');
  if (!callKey) {
    problems.push(`${at}Linkedid: is empty`);
    return null;
  }
  const time = eventTime(get, at, problems);
  if (!time) return null;
  const said = READERS[event](get, rules);
  return said ? { kind: 'live', callKey, ...said, at: time } : null;
}

type Said = Omit<LiveMoment, 'kind' | 'callKey' | 'at'>;

const READERS: Record<AmiLiveEvent, (get: AmiFieldReader, rules: DialplanRules) => Said | null> = {
  Newchannel: newChannel,
  DialBegin: (get, rules) => dialled(get, rules, 'ringing'),
  DialEnd: (get, rules) => (get('dialstatus').toUpperCase() === 'ANSWER' ? dialled(get, rules, 'answered') : null),
  BridgeEnter: bridgeEnter,
  Hangup: (get) => (isFirstChannel(get) ? quiet('ended', []) : null),
};

/** Unix seconds of `Timestamp`, else the ISO time of `ReceivedAt`. */
function eventTime(get: AmiFieldReader, at: string, problems: string[]): Date | null {
  const stamp = get('timestamp');
  if (/^\d{9,11}(\.\d+)?$/.test(stamp)) return new Date(Math.round(Number(stamp) * 1000));
  const received = get('receivedat');
  const ms = received ? Date.parse(received) : Number.NaN;
  if (!Number.isNaN(ms)) return new Date(ms);
  if (stamp) problems.push(`${at}Timestamp: expected unix seconds, got ${JSON.stringify(stamp.slice(0, 40))}`);
  else problems.push(`${at}Timestamp: missing (manager.conf timestampevents = yes), and no ReceivedAt`);
  return null;
}

/** The call's first channel: its Uniqueid is the Linkedid (the originating channel of cdr.ts). */
const isFirstChannel = (get: AmiFieldReader) => get('uniqueid') !== '' && get('uniqueid') === get('linkedid');

const quiet = (state: LiveState, extensions: string[]): Said => ({ state, direction: null, from: null, to: null, extensions, line: null });

/** A first channel from a trunk: the call is in (ringing in an IVR or a queue, nobody's phone yet). */
function newChannel(get: AmiFieldReader, rules: DialplanRules): Said | null {
  if (!isFirstChannel(get)) return null;
  const channel = get('channel');
  const caller = get('calleridnum');
  const verdict = cdrDirection({ channel, dstchannel: '', dcontext: get('context'), caller, dst: get('exten') }, rules);
  if (verdict.direction !== 'inbound') return null;
  return { state: 'ringing', direction: 'inbound', from: number(caller), to: null, extensions: [], line: lineOf(get, rules) };
}

/** DialBegin / DialEnd ANSWER: the caller's channel dials DestChannel. */
function dialled(get: AmiFieldReader, rules: DialplanRules, state: LiveState): Said {
  const channel = get('channel');
  const dest = get('destchannel');
  const fromLocal = channelParty(channel)?.tech === 'local';
  const caller = get('calleridnum');
  // A Local channel's context is the PBX's plumbing (Local/100@from-internal of a ring group), not the caller's side: the numbers decide.
  const verdict = cdrDirection(
    { channel, dstchannel: dest, dcontext: fromLocal ? '' : get('context'), caller, dst: get('exten'), lastdata: dialData(get('dialstring'), dest) },
    rules,
  );
  const direction: Direction | null = verdict.direction;
  if (direction === 'outbound') {
    const ours = verdict.extension;
    return { state, direction, from: ours ?? number(caller), to: verdict.callee, extensions: ours ? [ours] : [], line: null };
  }
  const rung = verdict.extension ?? dialledExtension(dest, get('destcalleridnum'), rules);
  const line = direction === 'inbound' && !fromLocal ? lineOf(get, rules) : null;
  const from = direction === 'internal' ? (phoneOf(channel, rules) ?? number(caller)) : number(caller);
  return { state, direction, from, to: rung, extensions: rung ? [rung] : [], line };
}

/** One of our phones joined a bridge: it is talking. Holding bridges (parking, music) are no answer. */
function bridgeEnter(get: AmiFieldReader, rules: DialplanRules): Said | null {
  if (get('bridgetype').toLowerCase() === 'holding') return null;
  const phone = phoneOf(get('channel'), rules);
  return phone ? quiet('answered', [phone]) : null;
}

/** Dial's string as the CDR's lastdata reads it: `SIP/777`, or `PJSIP/` + `79161234567@provider`. */
function dialData(dialString: string, dest: string): string {
  if (!dialString || dialString.includes('/')) return dialString;
  const tech = dest.slice(0, Math.max(0, dest.indexOf('/')));
  return tech ? `${tech}/${dialString}` : dialString;
}

/** The extension a dialled channel that is no phone of ours reaches: a Local channel's, else its caller ID. */
function dialledExtension(dest: string, destCaller: string, rules: DialplanRules): string | null {
  const party = channelParty(dest);
  if (party?.tech === 'local') return isExtension(party.peer, rules) ? party.peer : null;
  if (party && !isExtension(party.peer, rules)) return null; // a trunk
  return isExtension(destCaller, rules) ? destCaller : null;
}

/** The extension of one of our phones' channels (`PJSIP/205-0000000a` → 205); null for trunks and Local channels. */
function phoneOf(channel: string, rules: DialplanRules): string | null {
  const party = channelParty(channel);
  if (!party || party.tech === 'local' || rules.trunks.includes(party.peer)) return null;
  return isExtension(party.peer, rules) ? party.peer : null;
}

/** The DID: FROM_DID when the event carries it, else the trunk channel's Exten when it is a number and no extension. */
function lineOf(get: AmiFieldReader, rules: DialplanRules): string | null {
  const did = /^FROM_DID=(.*)$/i.exec(get('chanvariable'))?.[1]?.trim() ?? '';
  if (did && isDialled(did)) return did;
  const exten = get('exten');
  return exten && isDialled(exten) && !isExtension(exten, rules) ? exten : null;
}

const isExtension = (value: string, rules: DialplanRules) => value !== '' && classifyNumber(value, rules.numbers).kind === 'extension';

/** A caller ID number; AMI writes `<unknown>` for none. */
const number = (value: string): string | null => (value && value !== '<unknown>' ? value : null);
