/**
 * The statistics lines of one PBX call (one `pbx_call_id`) → the notifications Zadarma would have
 * sent for it, so the webhook's parser assembles the same conversation:
 * - NOTIFY_END (incoming) / NOTIFY_OUT_END (outgoing): the call's end, timed at its first line's
 *   `callstart`, with the talk time of all its answered lines (each line is one extension's leg:
 *   after a transfer, 100's and 205's seconds together are the call's) and the extension of the
 *   last answered line (else the last line), as NOTIFY_END names the extension on the call at its end;
 * - incoming only, per extension line: NOTIFY_INTERNAL (it rang) and, if answered, NOTIFY_ANSWER;
 * - NOTIFY_RECORD for every other recorded line (the end names the final line's file).
 * The direction comes from the request (`call_type`), not guessed from the numbers.
 * @module
 */
import type { CallType, StatisticsItem } from './statistics';

/** A notification's form fields, name → value, in the order they are posted. */
export type Notification = Readonly<Record<string, string>>;

/** Zadarma's extensions are short numbers; a longer destination is a phone the call went to. */
const EXTENSION = /^\d{1,6}$/;

/** A phone number as Zadarma writes it (digits, perhaps a +). */
const NUMBER = /^\+?\d{3,}$/;

const extensionOf = (value: string | undefined) => (value !== undefined && EXTENSION.test(value) ? value : undefined);

/** Keeps only the fields that have a value, in the order given. */
function fields(entries: [string, string | undefined][]): Notification {
  return Object.fromEntries(entries.filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''));
}

export function callNotifications(items: readonly StatisticsItem[], callType: CallType): Notification[] {
  const lines = [...items].sort((a, b) => a.callstart.localeCompare(b.callstart) || a.call_id.localeCompare(b.call_id));
  const first = lines[0];
  if (!first) return [];
  const answered = lines.filter((l) => l.disposition.trim().toLowerCase() === 'answered');
  const last = answered.at(-1) ?? (lines.at(-1) as StatisticsItem);
  const talk = answered.reduce((sum, l) => sum + l.seconds, 0);
  const call = { call_start: first.callstart, pbx_call_id: first.pbx_call_id };
  const recording = last.is_recorded && answered.includes(last) ? last.call_id : undefined;
  const ending: [string, string | undefined][] = [
    ['duration', String(talk)],
    ['disposition', last.disposition],
    ['is_recorded', recording ? '1' : '0'],
    ['call_id_with_rec', recording],
  ];
  const out: Notification[] = [];
  if (callType === 'in') {
    // For an incoming call both name the caller; clid is what the webhook's caller_id carries,
    // unless it is not a number (a name, "anonymous") where sip is.
    const caller = [first.clid, first.sip].find((v) => v !== undefined && NUMBER.test(v)) ?? first.clid ?? first.sip;
    out.push(
      fields([
        ['event', 'NOTIFY_END'],
        ['call_start', call.call_start],
        ['pbx_call_id', call.pbx_call_id],
        ['caller_id', caller],
        ['internal', extensionOf(last.destination)],
        ...ending,
      ]),
    );
    for (const line of lines) {
      const internal = extensionOf(line.destination);
      if (!internal) continue;
      out.push(fields([['event', 'NOTIFY_INTERNAL'], ...Object.entries(call), ['caller_id', caller], ['internal', internal]]));
      if (answered.includes(line)) {
        out.push(fields([['event', 'NOTIFY_ANSWER'], ...Object.entries(call), ['caller_id', caller], ['destination', internal], ['internal', internal]]));
      }
    }
  } else {
    out.push(
      fields([
        ['event', 'NOTIFY_OUT_END'],
        ['call_start', call.call_start],
        ['pbx_call_id', call.pbx_call_id],
        ['caller_id', last.clid],
        ['internal', extensionOf(last.sip) ?? extensionOf(first.sip)],
        ['destination', first.destination],
        ...ending,
      ]),
    );
  }
  for (const line of answered) {
    if (line.is_recorded && line.call_id !== recording) {
      out.push({ event: 'NOTIFY_RECORD', pbx_call_id: call.pbx_call_id, call_id_with_rec: line.call_id });
    }
  }
  return dedupe(out);
}

/** An extension that rang twice is one leg either way; its notification is kept once. */
function dedupe(notifications: Notification[]): Notification[] {
  const seen = new Set<string>();
  return notifications.filter((n) => {
    const key = new URLSearchParams(n).toString();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
