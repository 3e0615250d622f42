/**
 * Which AMI events go to the ledger, and as what: a `Cdr` event (cdr_manager) or a `CEL` event
 * (cel_manager) of a kind the Asterisk parser reads becomes the inbox body the relayed-JSON path
 * has always taken — the event's headers as one JSON object, `{"Event":"Cdr","UniqueID":"…",…}` —
 * with a dedupe key made of the event's own ids, so the same event received twice (two listeners
 * on one Asterisk, a replica restarting) is stored once. The call events live moments are read
 * from (ami-live.ts: Newchannel, DialBegin, DialEnd, BridgeEnter, Hangup) are forwarded by an
 * AmiLiveTracker — only those of calls with an outside party, as the few headers ami-live.ts
 * reads. Everything else Asterisk sends is ignored. Portable: the Node AMI listener calls it for
 * each message.
 * @module
 */
import { amiFieldReader, amiLiveBody, amiLiveMoment } from './ami-live';
import { amiHeader, type AmiMessage } from './ami-wire';
import type { DialplanRules } from './dialplan';

/**
 * The CEL event names calltrail reads — the only CEL events forwarded. LINKEDID_END: the last
 * channel of a call is gone, the conversation is closed.
 */
export const AMI_CEL_EVENTS: readonly string[] = ['LINKEDID_END'];

/**
 * The AMI event classes the listener logs in with (`Events:` of the Login action): `cdr` carries
 * the Cdr events; CEL events are raised in the `call` class (Asterisk has no `cel` class).
 */
export const AMI_EVENT_CLASSES = 'cdr,call';

export interface AmiForward {
  kind: 'cdr' | 'cel' | 'live';
  /** The inbox body: the event's headers as a JSON object (of a live event: the headers read, and ReceivedAt). */
  raw: string;
  /** Absent when the event has no UniqueID: the inbox then keys it on a hash of the body. */
  dedupeKey?: string;
}

/** The event as a JSON object; a repeated header keeps its first value (the parser reads none of them). */
export function amiEventObject(message: AmiMessage): Record<string, string> {
  const object: Record<string, string> = {};
  for (const [key, value] of message.headers) if (!Object.hasOwn(object, key)) object[key] = value;
  return object;
}

/**
 * The message as an inbox body, or null when it is not an event calltrail reads. Call events are
 * forwarded only through `live` (without it, as before, they are ignored); `receivedAt` is their
 * time when Asterisk sends no Timestamp.
 */
export function amiForward(message: AmiMessage, live?: AmiLiveTracker, receivedAt: Date = new Date()): AmiForward | null {
  if (live) {
    const forward = live.forward(message, receivedAt);
    if (forward !== undefined) return forward;
  }
  const event = amiHeader(message, 'Event')?.toLowerCase();
  if (event === 'cdr') return { kind: 'cdr', raw: JSON.stringify(amiEventObject(message)), ...cdrKey(message) };
  if (event === 'cel') {
    const name = amiHeader(message, 'EventName')?.toUpperCase();
    if (!name || !AMI_CEL_EVENTS.includes(name)) return null;
    return { kind: 'cel', raw: JSON.stringify(amiEventObject(message)), ...celKey(message, name) };
  }
  return null;
}

/**
 * `ami:cdr:<UniqueID>:<Sequence>` when cdr_manager maps the sequence (unique per CDR); without it
 * `ami:cdr:<UniqueID>:<StartTime>:<DestinationChannel>` — the CDRs of one channel that rang several
 * phones at once share UniqueID and StartTime, and differ by the channel dialled.
 */
function cdrKey(message: AmiMessage): { dedupeKey?: string } {
  const uniqueId = amiHeader(message, 'UniqueID');
  if (!uniqueId) return {};
  const sequence = amiHeader(message, 'Sequence');
  if (sequence) return { dedupeKey: `ami:cdr:${uniqueId}:${sequence}` };
  const start = amiHeader(message, 'StartTime') ?? '';
  const dialled = amiHeader(message, 'DestinationChannel') ?? '';
  return { dedupeKey: `ami:cdr:${uniqueId}:${start}:${dialled}` };
}

/** `ami:cel:<LinkedID>:<EventName>:<EventTime>:<UniqueID>`. */
function celKey(message: AmiMessage, name: string): { dedupeKey?: string } {
  const uniqueId = amiHeader(message, 'UniqueID');
  if (!uniqueId) return {};
  const linkedId = amiHeader(message, 'LinkedID') ?? '';
  const time = amiHeader(message, 'EventTime') ?? '';
  return { dedupeKey: `ami:cel:${linkedId}:${name}:${time}:${uniqueId}` };
}

/**
 * Which call events are forwarded as live moments. A live body is stored for a call with an
 * outside party only: the first channel came from a trunk, or a Dial's caller or callee is a
 * trunk — an internal call's events (phone to phone, no trunk) are not stored, and its
 * BridgeEnter and Hangup, which alone cannot tell, are left out because no outside moment of the
 * call came before them. The calls seen are remembered by Linkedid until their first channel
 * hangs up, at most `maxCalls` of them (the oldest forgotten first: a call whose events were
 * missed, the listener having been away, must not stay forever).
 */
export class AmiLiveTracker {
  private readonly outside = new Set<string>();

  constructor(
    private readonly rules: DialplanRules,
    private readonly maxCalls = 10_000,
  ) {}

  /** Calls remembered now (for tests and stats). */
  get size(): number {
    return this.outside.size;
  }

  /** undefined: the message is no live event (the caller goes on); null: one, not forwarded. */
  forward(message: AmiMessage, receivedAt: Date): AmiForward | null | undefined {
    const body = amiLiveBody(message, receivedAt);
    if (!body) return undefined;
    const moment = amiLiveMoment(amiFieldReader(body), this.rules, []);
    if (!moment) return null;
    const key = moment.callKey;
    if (moment.direction === 'inbound' || moment.direction === 'outbound') this.remember(key);
    else if (!this.outside.has(key)) return null;
    if (moment.state === 'ended') this.outside.delete(key);
    return { kind: 'live', raw: JSON.stringify(body), ...liveKey(body) };
  }

  private remember(key: string): void {
    this.outside.delete(key);
    this.outside.add(key);
    if (this.outside.size > this.maxCalls) {
      const oldest = this.outside.values().next().value;
      if (oldest !== undefined) this.outside.delete(oldest);
    }
  }
}

/**
 * `ami:live:<Linkedid>:<event>:<Uniqueid>`, and the dialled channel's Uniqueid (DialBegin,
 * DialEnd) or the bridge's (BridgeEnter): one key per event Asterisk raises, whoever received it.
 */
function liveKey(body: Record<string, string>): { dedupeKey?: string } {
  const uniqueId = body.Uniqueid;
  if (!uniqueId) return {};
  const event = (body.Event ?? '').toLowerCase();
  const other = event === 'bridgeenter' ? body.BridgeUniqueid : event.startsWith('dial') ? body.DestUniqueid : undefined;
  return { dedupeKey: `ami:live:${body.Linkedid ?? uniqueId}:${event}:${uniqueId}${other ? `:${other}` : ''}` };
}
