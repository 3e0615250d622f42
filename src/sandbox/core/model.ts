/**
 * The records the sandbox keeps, shaped like amoCRM's own: unix-second timestamps, integer ids,
 * phones as typed by a person (never normalized on write, exactly like amoCRM).
 * @module
 */

/** Entity types as they appear in API paths (plural). */
export type EntityType = 'leads' | 'contacts' | 'companies' | 'customers';
export const ENTITY_TYPES: readonly EntityType[] = ['leads', 'contacts', 'companies', 'customers'];

/** The singular names /api/v4/calls answers with. */
export const SINGULAR: Record<EntityType, 'lead' | 'contact' | 'company' | 'customer'> = {
  leads: 'lead',
  contacts: 'contact',
  companies: 'company',
  customers: 'customer',
};

export const PHONE_ENUMS = { WORK: 1, WORKDD: 2, MOB: 3, FAX: 4, HOME: 5, OTHER: 6 } as const;
export type PhoneEnum = keyof typeof PHONE_ENUMS;

export interface User {
  id: number;
  name: string;
}

export interface Phone {
  value: string;
  enum_code: PhoneEnum;
}

/** Contacts and companies share this shape: both carry phones and both can own leads/customers. */
export interface Party {
  id: number;
  name: string;
  responsible_user_id: number;
  created_at: number;
  updated_at: number;
  phones: Phone[];
  lead_ids: number[];
  customer_ids: number[];
  /** A contact's company (amoCRM links a contact to at most one); null for companies and lone contacts. */
  company_id: number | null;
  /** Custom fields other than the phone, as written (field_id → values); any field id is taken. */
  custom_fields: CustomFieldValues[];
  tags: string[];
}

export interface CustomFieldValues {
  field_id: number;
  values: { value: string; enum_code?: string }[];
}
export type Contact = Party;
export type Company = Party;

/** The sandbox's one pipeline and its stages; 142 (won) and 143 (lost) close a lead, as in every amoCRM pipeline. */
export const PIPELINE_ID = 7_000_001;
export const LEAD_STATUSES = { new: 61_000_001, negotiation: 61_000_002, won: 142, lost: 143 } as const;
export const CLOSED_STATUS_IDS: readonly number[] = [LEAD_STATUSES.won, LEAD_STATUSES.lost];

export interface Lead {
  id: number;
  name: string;
  /** Derived from status_id: closed when won (142) or lost (143). */
  status: 'active' | 'closed';
  status_id: number;
  pipeline_id: number;
  responsible_user_id: number;
  created_at: number;
  updated_at: number;
  contact_ids: number[];
  /** The company the lead belongs to, if any. */
  company_id: number | null;
}

export interface Customer {
  id: number;
  name: string;
  contact_ids: number[];
}

export interface Note {
  id: number;
  entity_id: number;
  note_type: string;
  params: Record<string, unknown>;
  created_by: number;
  responsible_user_id: number;
  created_at: number;
  updated_at: number;
  account_id: number;
}

export type TypedNote = Note & { entity_type: EntityType };

export interface UnsortedItem {
  uid: string;
  source_uid: string;
  source_name: string;
  category: 'sip';
  pipeline_id: number;
  created_at: number;
  metadata: Record<string, unknown> & { uniq: string; phone: string };
  account_id: number;
  /** Kept apart from the real leads/contacts: not matchable by /calls until someone accepts it. */
  lead: { id: number; name: string; price: number };
  contact: { id: number; name: string; phone: string };
}

export interface Task {
  id: number;
  text: string;
  complete_till: number;
  entity_id: number | null;
  entity_type: EntityType | null;
  task_type_id: number;
  responsible_user_id: number;
  created_by: number;
  updated_by: number;
  created_at: number;
  updated_at: number;
  is_completed: boolean;
  account_id: number;
}

export const CALL_NOTE_TYPES = ['call_in', 'call_out'] as const;

/** One incoming-call pop-up asked for by POST /api/v2/events (type phone_call). */
export interface PhoneCallEvent {
  id: number;
  uid: string;
  phone_number: string;
  users: number[];
  created_at: number;
  /** Who amoCRM would show: the card with this number when there is one (last 10 digits). */
  element: { type: 'contacts' | 'companies'; id: number; name: string } | null;
}
