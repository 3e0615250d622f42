/**
 * Mango's notifications as they happen → live moments (the screen pop, the live view), keyed by
 * entry_id like the entry's legs. events/call reports one state of one call of the entry:
 * Appeared rings (an employee's phone when `to.extension` names one, nobody yet in the IVR or a
 * queue), Connected is answered. OnHold says nothing new. A call's Disconnected ends that call
 * only — one phone of a ring group, the employee who transferred — not the entry, so it is no
 * live end: events/summary, sent when the whole entry is over, is.
 * @module
 */
import type { Direction } from '../../domain/call';
import type { LiveMoment } from '../../domain/events';
import type { MangoCallEvent, MangoSummary } from './schema';
import type { MangoClock } from './time';

const SUMMARY_DIRECTIONS: Readonly<Record<number, Direction>> = { 0: 'internal', 1: 'inbound', 2: 'outbound' };

/** The live moment of one call state, or null when the state shows nothing new. */
export function callStateMoment(e: MangoCallEvent, clock: MangoClock): LiveMoment | null {
  if (e.call_state !== 'Appeared' && e.call_state !== 'Connected') return null;
  const direction = callDirection(e);
  // The employee on the call: the one rung (or answering), the one calling out.
  const employee = direction === 'outbound' ? e.from.extension : e.to.extension;
  return {
    kind: 'live',
    callKey: e.entry_id,
    state: e.call_state === 'Appeared' ? 'ringing' : 'answered',
    direction,
    from: e.from.number ?? e.from.extension ?? null,
    to: e.to.extension ?? e.to.number ?? null,
    extensions: employee ? [employee] : [],
    line: e.to.line_number ?? e.from.line_number ?? null,
    at: clock(e.timestamp, 'timestamp'),
  };
}

/**
 * events/call has no direction: an outside caller (no extension) calls in; an employee calling a
 * number calls out. Employee to employee is an internal call or a consultation within an incoming
 * entry (the transfer in Mango's example): Mango does not say which, so neither do we.
 */
function callDirection(e: MangoCallEvent): Direction | null {
  if (e.from.extension === undefined) return 'inbound';
  if (e.to.extension === undefined) return 'outbound';
  return null;
}

/** events/summary: the entry is over. */
export function summaryMoment(s: MangoSummary, clock: MangoClock): LiveMoment {
  const direction = SUMMARY_DIRECTIONS[s.call_direction] ?? null;
  const employee = direction === 'outbound' ? s.from.extension : (s.to.extension ?? s.from.extension);
  return {
    kind: 'live',
    callKey: s.entry_id,
    state: 'ended',
    direction,
    from: s.from.number ?? s.from.extension ?? null,
    to: s.to.number ?? s.to.extension ?? null,
    extensions: employee ? [employee] : [],
    line: s.line_number ?? (direction === 'outbound' ? s.from.line_number : s.to.line_number) ?? null,
    at: clock(s.end_time, 'end_time'),
  };
}
