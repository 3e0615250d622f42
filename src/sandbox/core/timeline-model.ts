/**
 * What the timeline page shows, computed from the store: each contact (and company) with the call
 * notes that belong to it — on its own card and on its leads and customers, since that is where
 * amoCRM puts calls — newest first, plus the display texts a rep would read.
 * @module
 */
import { type EntityType, type Party, SINGULAR, type TypedNote } from './model';
import type { SandboxStore } from './store';

export const CALL_STATUS_TEXT: Record<number, string> = {
  1: 'left a message',
  2: 'call back later',
  3: 'not available',
  4: 'conversation took place',
  5: 'wrong number',
  6: 'could not get through',
  7: 'busy',
};

export interface CallEntry {
  id: number;
  inbound: boolean;
  when: string;
  duration: string;
  phone: string;
  status: string;
  result: string;
  uniq: string;
  responsible: string;
  link: string | undefined;
  /** "contact card", "lead #3000001", … */
  where: string;
}

export interface PartyTimeline {
  kind: 'contact' | 'company';
  party: Party;
  calls: CallEntry[];
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function formatWhen(unix: number): string {
  return `${new Date(unix * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const text = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');

function entry(store: SandboxStore, note: TypedNote, ownType: EntityType): CallEntry {
  const p = note.params;
  const where = note.entity_type === ownType ? `${SINGULAR[ownType]} card` : `${SINGULAR[note.entity_type]} #${note.entity_id}`;
  return {
    id: note.id,
    inbound: note.note_type === 'call_in',
    when: formatWhen(note.created_at),
    duration: formatDuration(typeof p.duration === 'number' ? p.duration : 0),
    phone: text(p.phone),
    status: typeof p.call_status === 'number' ? (CALL_STATUS_TEXT[p.call_status] ?? `status ${p.call_status}`) : '',
    result: text(p.call_result),
    uniq: text(p.uniq),
    responsible: store.user(note.responsible_user_id)?.name ?? `user ${note.responsible_user_id}`,
    link: typeof p.link === 'string' && p.link !== '' ? p.link : undefined,
    where,
  };
}

export function buildTimeline(store: SandboxStore): PartyTimeline[] {
  const calls = store.callNotes();
  const of = (party: Party, ownType: 'contacts' | 'companies'): CallEntry[] =>
    calls
      .filter(
        (n) =>
          (n.entity_type === ownType && n.entity_id === party.id) ||
          (n.entity_type === 'leads' && party.lead_ids.includes(n.entity_id)) ||
          (n.entity_type === 'customers' && party.customer_ids.includes(n.entity_id)),
      )
      .sort((a, b) => b.created_at - a.created_at || b.id - a.id)
      .map((n) => entry(store, n, ownType));
  return [
    ...store.contacts().map((party) => ({ kind: 'contact' as const, party, calls: of(party, 'contacts') })),
    ...store.companies().map((party) => ({ kind: 'company' as const, party, calls: of(party, 'companies') })),
  ];
}
