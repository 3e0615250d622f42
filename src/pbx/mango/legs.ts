/**
 * Mango entries → legs. An entry (`entry_id`) is one conversation; each call in it (`call_id`: the
 * IVR, a queue, an employee's phone, a transfer) reports its states in events/call, counted by
 * `seq` from 1: Appeared → Connected → (OnHold ↔ Connected) → Disconnected. One notification
 * holds one state, so an employee's leg needs all of them: the route hands the parser the call's
 * other notifications already stored (timeline.ts), and a leg is written only once its states are
 * complete — seq 1…n without a gap, n being Disconnected. Every complete view is the same, so the
 * order of arrival cannot change the leg.
 *
 * events/summary ends the entry: the final leg, with the conversation's times and its talk as Mango
 * measured it, and the employee it names as a moment of its own (see summaryLegs).
 * @module
 */
import type { Direction } from '../../domain/call';
import type { Disposition } from '../../domain/call';
import type { LegEnded } from '../../domain/events';
import type { MangoConfig } from './config';
import type { MangoCallEvent, MangoSummary, Party } from './schema';
import type { MangoClock } from './time';

/** The leg of one call, if its states are all known; null while some are missing. */
export function callLeg(events: readonly MangoCallEvent[], clock: MangoClock, config: MangoConfig): LegEnded | null {
  const bySeq = new Map<number, MangoCallEvent>();
  for (const e of events) if (!bySeq.has(e.seq)) bySeq.set(e.seq, e);
  const states = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  const first = states[0];
  const last = states.at(-1);
  if (!first || !last || last.call_state !== 'Disconnected') return null;
  if (states.some((e, i) => e.seq !== i + 1)) return null;
  // The IVR and the queue are calls too; only a call that reached an employee is a leg.
  if (!states.some(reachedEmployee)) return null;

  const connected = states.find((e) => e.call_state === 'Connected');
  const startedAt = clock(first.timestamp, 'timestamp');
  const endedAt = clock(last.timestamp, 'timestamp');
  // The parties as they ended: after a transfer the caller replaces the one who transferred.
  const { from, to } = last;
  return {
    kind: 'leg',
    callKey: last.entry_id,
    legKey: last.call_id,
    direction: null,
    from: from.extension ?? from.number ?? null,
    to: to.extension ?? (from.extension !== undefined ? to.number : undefined) ?? null,
    extension: to.extension ?? from.extension ?? null,
    startedAt,
    answeredAt: connected ? clock(connected.timestamp, 'timestamp') : null,
    endedAt,
    disposition: connected ? 'answered' : unansweredDisposition(last.disconnect_reason),
    talkSeconds: null,
    final: false,
    recorded: config.expect_recordings ? null : false,
    recording: null,
  };
}

function reachedEmployee(e: MangoCallEvent): boolean {
  if (e.location !== undefined) return e.location === 'abonent';
  return e.to.extension !== undefined || e.from.extension !== undefined;
}

const DIRECTIONS: Readonly<Record<number, Direction>> = { 0: 'internal', 1: 'inbound', 2: 'outbound' };

/**
 * events/summary → the final leg, carrying the conversation's talk as Mango measured it
 * (end_time − talk_time) but no employee, and the employee it names (who answered, or the first
 * who missed it; the caller of an outgoing call) as a moment of its own without talk, like the
 * extensions Zadarma reports. So the talk of the conversation is Mango's figure, and after a
 * transfer the extension that talked longest on its own leg (events/call) still handles the call;
 * without events/call the summary's employee is the only one, and handles it.
 */
export function summaryLegs(s: MangoSummary, clock: MangoClock): LegEnded[] {
  const direction = DIRECTIONS[s.call_direction] ?? null;
  const startedAt = clock(s.create_time, 'create_time');
  const answeredAt = s.talk_time > 0 ? clock(s.talk_time, 'talk_time') : null;
  const disposition = answeredAt ? 'answered' : unansweredDisposition(s.disconnect_reason);
  const final: LegEnded = {
    kind: 'leg',
    callKey: s.entry_id,
    legKey: s.entry_id,
    direction,
    ...parties(direction, s.from, s.to),
    extension: null,
    // Our line: the one an incoming call dialled, the one an outgoing call went out on.
    line: (direction === 'outbound' ? s.from.line_number : s.to.line_number) ?? null,
    startedAt,
    answeredAt,
    endedAt: clock(s.end_time, 'end_time'),
    disposition,
    talkSeconds: answeredAt ? Math.max(0, s.end_time - s.talk_time) : null,
    final: true,
    // Recordings belong to the employees' legs (events/recording names their call).
    recorded: false,
    recording: null,
  };
  const employee = (direction === 'outbound' ? s.from.extension : (s.to.extension ?? s.from.extension)) ?? null;
  if (!employee) return [final];
  const at = answeredAt ?? (s.forward_time ? clock(s.forward_time, 'forward_time') : startedAt);
  const moment: LegEnded = {
    ...final,
    legKey: `${s.entry_id}:${answeredAt ? 'answered' : 'rang'}:${employee}`,
    ...(direction === 'outbound' ? { from: employee, to: s.to.number ?? null } : { from: final.from, to: employee }),
    extension: employee,
    startedAt: at,
    answeredAt,
    endedAt: at,
    talkSeconds: answeredAt ? 0 : null,
    final: false,
  };
  return [final, moment];
}

/**
 * The outside numbers of the summary leg; employees are on their own legs. An incoming call's
 * `to.number` is the device the employee answered on (possibly a mobile): never offered as the
 * outside party.
 */
function parties(direction: Direction | null, from: Party, to: Party): { from: string | null; to: string | null } {
  if (direction === 'inbound') return { from: from.number ?? null, to: null };
  if (direction === 'outbound') return { from: null, to: to.number ?? null };
  return { from: from.extension ?? from.number ?? null, to: to.extension ?? to.number ?? null };
}

/**
 * A call that was not answered, by Mango's result code: 1121 busy, 1312 an answering machine
 * saying busy, 1193 auto-rejected while in a conversation; the number or account could not take
 * calls (113x–115x, 2xxx–5xxx) is a failure; anything else (hang-ups, timeouts, schedules) missed.
 */
export function unansweredDisposition(reason: number | undefined): Disposition {
  if (reason === undefined) return 'no_answer';
  if (reason === 1121 || reason === 1312 || reason === 1193) return 'busy';
  if (reason >= 2000) return 'failed';
  const subclass = Math.floor(reason / 10);
  if (subclass >= 113 && subclass <= 115) return 'failed';
  return 'no_answer';
}
