/**
 * Yeastar's call-state reports → live moments, keyed by the call id its CDRs carry (30012
 * call_id, NewCdr callid).
 *
 * - P-Series event 30011 "Call State Changed": `{"type":30011,"sn","msg":"<JSON string>"}`, msg
 *   `{call_id, members:[{extension:{number, member_status}} | {inbound:{from, to, trunk_name,
 *   member_status}} | {outbound:{…}}]}`. member_status: ALERT (the caller hears ringback), RING
 *   (the callee rings), ANSWERED (the caller's call was answered), ANSWER (the callee talks),
 *   HOLD, BYE (hung up).
 * - S-Series / Cloud PBX reports: `{"action"|"event": "RING"|"ALERT"|"ANSWER"|"ANSWERED"|"BYE"…,
 *   "callid", "call"|"members": [{"ext":{"extid"}} | {"inbound":{"from","to","trunk"}} |
 *   {"outbound":{…}}]}` (S-Series API "Ringing"/"Answer"/"Hang up" reports), also spelled Ringing,
 *   Answer, Hangup.
 *
 * The call is inbound when a trunk's inbound member is on it, outbound with an outbound member,
 * internal between two extensions, not said by one extension alone. Ringing names the extensions rung (RING); for an outgoing call
 * the extension calling. Answered names the extension that answered (or, outgoing, that called).
 * Every member hung up: ended.
 *
 * These reports carry no time. A report's `timestamp` (unix seconds) is read when present; else
 * the call id, which is the unix second the call began ("1725446451.243"), dates the moment —
 * exact for ringing, the call's start for a later state. Nothing else would keep the parse a pure
 * function of the stored body.
 * @module
 */
import type { Direction } from '../../domain/call';
import type { LiveMoment } from '../../domain/events';

export const P_SERIES_CALL_STATE = 30011;

interface Member {
  kind: 'extension' | 'inbound' | 'outbound';
  number: string | null;
  from: string | null;
  to: string | null;
  status: string | null;
}

export interface CallState {
  callId: string;
  /** The report's own state (S-Series), when it names one for the whole call. */
  event: string | null;
  members: Member[];
}

const str = (v: unknown): string | null => (typeof v === 'string' || typeof v === 'number' ? String(v).trim() || null : null);
const obj = (v: unknown): Record<string, unknown> | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null);

/** A call-state report's members, whatever the dialect spells them; null when it has no call id. */
export function readCallState(report: Record<string, unknown>, event: string | null): CallState | null {
  const callId = str(report.call_id) ?? str(report.callid);
  if (!callId) return null;
  const list = Array.isArray(report.members) ? report.members : Array.isArray(report.call) ? report.call : [];
  const members: Member[] = [];
  for (const item of list) {
    const m = obj(item);
    if (!m) continue;
    const ext = obj(m.extension) ?? obj(m.ext);
    if (ext) members.push({ kind: 'extension', number: str(ext.number) ?? str(ext.extid), from: null, to: null, status: statusOf(ext) });
    for (const kind of ['inbound', 'outbound'] as const) {
      const trunk = obj(m[kind]);
      if (trunk) members.push({ kind, number: null, from: str(trunk.from), to: str(trunk.to), status: statusOf(trunk) });
    }
  }
  return { callId, event, members };
}

const statusOf = (m: Record<string, unknown>) => str(m.member_status ?? m.memberstatus)?.toUpperCase() ?? null;

const S_SERIES_STATES: Readonly<Record<string, LiveMoment['state']>> = {
  RING: 'ringing',
  RINGING: 'ringing',
  ALERT: 'ringing',
  ANSWER: 'answered',
  ANSWERED: 'answered',
  BYE: 'ended',
  HANGUP: 'ended',
};

/** The S-Series report names that are call states. */
export const isCallStateEvent = (event: string): boolean => event.toUpperCase().replace(/\s+/g, '') in S_SERIES_STATES;

export function callStateMoment(c: CallState, at: Date): LiveMoment | null {
  const exts = c.members.filter((m) => m.kind === 'extension' && m.number);
  const trunk = c.members.find((m) => m.kind !== 'extension');
  // A report naming one extension and no trunk does not say where the call goes.
  const direction: Direction | null = trunk ? (trunk.kind === 'outbound' ? 'outbound' : 'inbound') : exts.length > 1 ? 'internal' : null;
  const state = c.event ? (S_SERIES_STATES[c.event.toUpperCase().replace(/\s+/g, '')] ?? null) : stateOfMembers(c.members);
  if (!state) return null;
  const numbers = (pick: (m: Member) => boolean) => [...new Set(exts.filter(pick).map((m) => m.number as string))];
  let extensions: string[];
  if (direction === 'outbound') extensions = numbers(() => true);
  else if (state === 'ringing') extensions = numbers((m) => m.status === null || m.status === 'RING');
  else if (state === 'answered') extensions = numbers((m) => m.status === null || m.status === 'ANSWER' || m.status === 'ANSWERED');
  else extensions = numbers(() => true);
  return {
    kind: 'live',
    callKey: c.callId,
    state,
    direction,
    from: trunk?.from ?? (direction === 'internal' ? (exts.at(-1)?.number ?? null) : null),
    to: direction === 'inbound' ? (extensions[0] ?? null) : (trunk?.to ?? (direction === 'internal' ? (extensions[0] ?? null) : null)),
    extensions,
    line: direction === 'inbound' ? (trunk?.to ?? null) : null,
    at,
  };
}

/** P-Series: the call's state from its members' (everyone gone: ended; someone talking: answered; someone rung: ringing). */
function stateOfMembers(members: readonly Member[]): LiveMoment['state'] | null {
  const statuses = members.map((m) => m.status);
  if (statuses.length > 0 && statuses.every((s) => s === 'BYE')) return 'ended';
  if (statuses.some((s) => s === 'ANSWER' || s === 'ANSWERED')) return 'answered';
  if (statuses.some((s) => s === 'RING' || s === 'ALERT')) return 'ringing';
  return null;
}

/** The moment's time: the report's timestamp, else the call's start its id carries; null when neither. */
export function reportTime(report: Record<string, unknown>, callId: string): Date | null {
  const seconds = str(report.timestamp) ?? /^(\d{9,11})(\.\d+)?$/.exec(callId)?.[1] ?? null;
  return seconds !== null && /^\d{9,11}(\.\d+)?$/.test(seconds) ? new Date(Math.round(Number(seconds) * 1000)) : null;
}
