/**
 * The report lines of one entry (`entry_id`) → the notifications Mango would have posted for it,
 * so the webhook's parser assembles the same conversation:
 * - events/summary: the entry's end — created at its first line's start, answered at the first
 *   answer of an employee's line, ended at its last line's finish; its direction is inferred from
 *   the first line (the report has no call_direction): from an outside number → incoming, from an
 *   extension to an extension → internal, from an extension elsewhere → outgoing;
 * - events/call, per line that reached an employee (`location` abonent): the call's Disconnected
 *   state, with its Appeared (start) and Connected (answer) states in `meta.timeline`, as the route
 *   keeps the states stored before — so the employee's leg carries the talk time. The report has
 *   no call_id: each such call is named `<entry_id>:stats:<n>`;
 * - events/recording (Completed) for every id in a line's `records`, on that line's call.
 * @module
 */
import type { StatsRow } from './stats';

export type MangoEventKind = 'summary' | 'call' | 'recording';

export interface MangoBody {
  event: MangoEventKind;
  /** The notification, the `json` field of the body. */
  json: Record<string, unknown>;
  /** The call's earlier states (events/call only), as the route stores them in meta.timeline. */
  timeline?: string;
  /** A stable id of the notification, for the inbox's dedupe key. */
  id: string;
}

const party = (extension: string | undefined, number: string | undefined) => ({
  ...(extension !== undefined ? { extension } : {}),
  ...(number !== undefined ? { number } : {}),
});

/** As the parser decides it for events/call: the location when given, else an extension on the line. */
function reachedEmployee(row: StatsRow): boolean {
  if (row.location !== undefined) return row.location === 'abonent';
  return row.to_extension !== undefined || row.from_extension !== undefined;
}

export function entryBodies(rows: readonly StatsRow[]): MangoBody[] {
  const lines = [...rows].sort((a, b) => a.start - b.start || a.finish - b.finish || (a.to_extension ?? '').localeCompare(b.to_extension ?? ''));
  const first = lines[0];
  if (!first) return [];
  const entryId = first.entry_id;
  const employees = lines.filter(reachedEmployee);
  const answered = employees.find((l) => l.answer > 0);
  const lastToEnd = lines.reduce((a, b) => (b.finish >= a.finish ? b : a));
  const direction = first.from_extension === undefined ? 1 : first.to_extension !== undefined ? 0 : 2;
  const reached = answered ?? employees[0] ?? first;
  const summary = {
    entry_id: entryId,
    call_direction: direction,
    from: party(first.from_extension, first.from_number),
    to: direction === 1 ? party(reached.to_extension, reached.to_number) : party(first.to_extension, first.to_number),
    ...(first.line_number !== undefined ? { line_number: first.line_number } : {}),
    create_time: first.start,
    talk_time: answered?.answer ?? 0,
    end_time: Math.max(...lines.map((l) => l.finish)),
    entry_result: answered ? 1 : 0,
    ...(lastToEnd.disconnect_reason !== undefined ? { disconnect_reason: lastToEnd.disconnect_reason } : {}),
  };
  const bodies: MangoBody[] = [{ event: 'summary', json: summary, id: `summary:${entryId}` }];

  lines.forEach((line, i) => {
    const callId = `${entryId}:stats:${i + 1}`;
    if (reachedEmployee(line)) {
      const common = {
        entry_id: entryId,
        call_id: callId,
        location: line.location ?? 'abonent',
        from: party(line.from_extension, line.from_number),
        to: party(line.to_extension, line.to_number),
      };
      const states = [
        { ...common, timestamp: line.start, seq: 1, call_state: 'Appeared' },
        ...(line.answer > 0 ? [{ ...common, timestamp: line.answer, seq: 2, call_state: 'Connected' }] : []),
      ];
      const end = {
        ...common,
        timestamp: line.finish,
        seq: states.length + 1,
        call_state: 'Disconnected',
        ...(line.disconnect_reason !== undefined ? { disconnect_reason: line.disconnect_reason } : {}),
      };
      bodies.push({ event: 'call', json: end, timeline: JSON.stringify(states.map((s) => JSON.stringify(s)).sort()), id: `call:${callId}:${end.seq}` });
    }
    for (const recordingId of line.records) {
      const extension = line.to_extension ?? line.from_extension;
      bodies.push({
        event: 'recording',
        json: {
          entry_id: entryId,
          recording_id: recordingId,
          recording_state: 'Completed',
          call_id: callId,
          ...(extension !== undefined ? { extension } : {}),
          timestamp: line.finish,
        },
        id: `recording:${recordingId}`,
      });
    }
  });
  return bodies;
}
