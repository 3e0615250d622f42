/**
 * Reading the sandbox CRM afterwards: its request counters, and what ended up in it — checked
 * against the calls that were meant to arrive there, each exactly once.
 * @module
 */
import type { PlannedCall } from './workload';

export interface SandboxStats {
  requests: number;
  byRoute: Record<string, number>;
  byStatus: Record<string, number>;
  rateLimited: number;
  blocked: boolean;
  blockedRequests: number;
  faultsInjected: number;
  notesWritten: number;
}

interface SandboxState {
  contacts: { id: number; custom_fields_values?: unknown; phones?: { value: string }[] }[];
  notes: { note_type: string; params: { uniq?: string } }[];
}

export async function sandboxStats(url: string): Promise<SandboxStats> {
  const response = await fetch(`${url}/__sandbox/stats`);
  if (!response.ok) throw new Error(`GET /__sandbox/stats answered ${response.status}`);
  return (await response.json()) as SandboxStats;
}

async function sandboxState(url: string): Promise<SandboxState> {
  const response = await fetch(`${url}/__sandbox/state`);
  if (!response.ok) throw new Error(`GET /__sandbox/state answered ${response.status}`);
  return (await response.json()) as SandboxState;
}

/** amoCRM matches numbers on their last 10 digits; so does this check. */
const last10 = (phone: string) => phone.replace(/\D/g, '').slice(-10);

function contactPhones(contact: SandboxState['contacts'][number]): string[] {
  if (contact.phones) return contact.phones.map((p) => p.value);
  // The API shape, should the state ever serve contacts as the API does.
  const fields = (contact.custom_fields_values ?? []) as { field_code?: string; values: { value: string }[] }[];
  return fields.filter((f) => f.field_code === 'PHONE').flatMap((f) => f.values.map((v) => v.value));
}

/**
 * Every call is on exactly one call note (by uniq), there are no other call notes, and — when
 * numbers are given — each has exactly one contact. Returns the problems found (empty: OK).
 */
export async function verifyCrm(
  url: string,
  calls: PlannedCall[],
  contacts?: { known: string[]; unknown: string[] },
): Promise<{ problems: string[]; callNotes: number; contacts: number }> {
  const state = await sandboxState(url);
  const problems: string[] = [];
  const callNotes = state.notes.filter((n) => n.note_type === 'call_in' || n.note_type === 'call_out');
  const seen = new Map<string, number>();
  for (const note of callNotes) {
    const uniq = note.params.uniq ?? '(none)';
    seen.set(uniq, (seen.get(uniq) ?? 0) + 1);
  }
  const expected = new Set(calls.map((c) => c.uniq));
  const missing = calls.filter((c) => !seen.has(c.uniq));
  const twice = [...seen].filter(([, n]) => n > 1);
  const foreign = [...seen.keys()].filter((u) => !expected.has(u));
  if (callNotes.length !== calls.length) problems.push(`${callNotes.length} call notes for ${calls.length} calls`);
  if (missing.length) problems.push(`${missing.length} calls have no note (e.g. ${missing[0]?.callId})`);
  if (twice.length) problems.push(`${twice.length} uniq values are on more than one note (e.g. ${twice[0]?.[0]} × ${twice[0]?.[1]})`);
  if (foreign.length) problems.push(`${foreign.length} notes carry a uniq of no bench call (e.g. ${foreign[0]})`);

  if (contacts) {
    const byNumber = new Map<string, number>();
    for (const contact of state.contacts) {
      for (const key of new Set(contactPhones(contact).map(last10))) byNumber.set(key, (byNumber.get(key) ?? 0) + 1);
    }
    for (const [kind, numbers] of [
      ['known', contacts.known],
      ['unknown', contacts.unknown],
    ] as const) {
      const wrong = numbers.filter((n) => byNumber.get(last10(n)) !== 1);
      if (wrong.length) {
        const example = wrong[0] as string;
        problems.push(`${wrong.length} ${kind} numbers do not have exactly one contact (e.g. …${example.slice(-4)}: ${byNumber.get(last10(example)) ?? 0})`);
      }
    }
    const expectedContacts = contacts.known.length + contacts.unknown.length;
    if (state.contacts.length !== expectedContacts) problems.push(`${state.contacts.length} contacts, expected ${expectedContacts}`);
  }
  return { problems, callNotes: callNotes.length, contacts: state.contacts.length };
}
