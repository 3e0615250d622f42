/**
 * Which AMI events go to the ledger, and as what: a `Cdr` event (cdr_manager) or a `CEL` event
 * (cel_manager) of a kind the Asterisk parser reads becomes the inbox body the relayed-JSON path
 * has always taken — the event's headers as one JSON object, `{"Event":"Cdr","UniqueID":"…",…}` —
 * with a dedupe key made of the event's own ids, so the same event received twice (two listeners
 * on one Asterisk, a replica restarting) is stored once. Everything else Asterisk sends is ignored.
 * Portable: the Node AMI listener calls it for each message.
 * @module
 */
import { amiHeader, type AmiMessage } from './ami-wire';

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
  kind: 'cdr' | 'cel';
  /** The inbox body: the event's headers as a JSON object. */
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

/** The message as an inbox body, or null when it is not an event calltrail reads. */
export function amiForward(message: AmiMessage): AmiForward | null {
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
