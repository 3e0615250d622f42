/**
 * SandboxStore: the fake account's whole state, in memory. Routes read and write it; tests and the
 * bench seed and inspect it directly. Getters return the live records (it is a fake: poking them
 * is allowed), in id order. `records()` and `restore()` hand the whole account over as plain JSON,
 * which core/state.ts keeps across restarts where the runtime gives it somewhere to write.
 *
 * Ids are incrementing integers, one counter per kind, each kind in its own range (contacts from
 * 1 000 001, companies 2 000 001, leads 3 000 001, customers 4 000 001, notes 5 000 001, tasks
 * 6 000 001) so that a client that mixes up a contact id and a lead id fails loudly instead of
 * hitting some other record by accident.
 * @module
 */
import {
  ENTITY_TYPES,
  type Company,
  type Contact,
  type Customer,
  type CustomFieldValues,
  type EntityType,
  type Lead,
  type Note,
  type Party,
  CLOSED_STATUS_IDS,
  LEAD_STATUSES,
  type Phone,
  type PhoneCallEvent,
  type PhoneEnum,
  PHONE_ENUMS,
  PIPELINE_ID,
  type Task,
  type TypedNote,
  type UnsortedItem,
  type User,
} from './model';
import type { PhoneInput, SeedContact } from './options';
import type { Random } from './prng';
import type { TokenVault } from './tokens';

export const ACCOUNT_ID = 31_000_001;

/** The first id of each kind (see the module comment). */
const FIRST_IDS = { contact: 1_000_001, company: 2_000_001, lead: 3_000_001, customer: 4_000_001, note: 5_000_001, task: 6_000_001, event: 1 };
export type IdKind = keyof typeof FIRST_IDS;

/** Everything the account holds, as plain JSON: what a restart keeps (core/state.ts). */
export interface SandboxRecords {
  users: User[];
  contacts: Contact[];
  companies: Company[];
  leads: Lead[];
  customers: Customer[];
  notes: Record<EntityType, Note[]>;
  unsorted: UnsortedItem[];
  tasks: Task[];
  events: PhoneCallEvent[];
  next_ids: Record<IdKind, number>;
}

export function toPhone(p: PhoneInput): Phone {
  if (typeof p === 'string') return { value: p, enum_code: 'WORK' };
  const code = (p.enum_code ?? 'WORK').toUpperCase();
  return { value: p.value, enum_code: code in PHONE_ENUMS ? (code as PhoneEnum) : 'OTHER' };
}

export class SandboxStore {
  readonly accountId = ACCOUNT_ID;
  private readonly userMap = new Map<number, User>();
  private readonly contactMap = new Map<number, Contact>();
  private readonly companyMap = new Map<number, Company>();
  private readonly leadMap = new Map<number, Lead>();
  private readonly customerMap = new Map<number, Customer>();
  private readonly noteMaps = new Map<EntityType, Map<number, Note>>(ENTITY_TYPES.map((t) => [t, new Map()]));
  private readonly unsortedItems: UnsortedItem[] = [];
  private readonly taskList: Task[] = [];
  private readonly events: PhoneCallEvent[] = [];
  private nextIds: Record<IdKind, number> = { ...FIRST_IDS };
  readonly nextId: Record<IdKind, () => number> = {
    contact: () => this.nextIds.contact++,
    company: () => this.nextIds.company++,
    lead: () => this.nextIds.lead++,
    customer: () => this.nextIds.customer++,
    note: () => this.nextIds.note++,
    task: () => this.nextIds.task++,
    event: () => this.nextIds.event++,
  };

  constructor(
    /** Unix seconds, from the sandbox clock. */
    readonly clock: () => number,
    readonly tokens: TokenVault,
    /** Seeded dice for generated identifiers (unsorted uids), so runs repeat exactly. */
    readonly random: Random,
  ) {}

  // --- users -------------------------------------------------------------------------------
  addUser(user: { id?: number; name: string }): User {
    const id = user.id ?? Math.max(999, ...this.userMap.keys()) + 1;
    const record = { id, name: user.name };
    this.userMap.set(id, record);
    return record;
  }
  users(): User[] {
    return [...this.userMap.values()].sort((a, b) => a.id - b.id);
  }
  user(id: number): User | undefined {
    return this.userMap.get(id);
  }
  /** The user the API acts as (amoCRM: whoever installed the integration): the lowest id. */
  currentUserId(): number {
    return this.users()[0]?.id ?? 0;
  }

  // --- contacts, companies, leads, customers ------------------------------------------------
  addContact(input: SeedContact & { responsible_user_id?: number; company_id?: number; custom_fields?: CustomFieldValues[]; tags?: string[] }): Contact {
    const contact = { ...this.newParty(this.nextId.contact(), input), custom_fields: input.custom_fields ?? [], tags: input.tags ?? [] };
    const company = input.company_id ?? (input.company ? this.companies().find((c) => c.name === input.company)?.id : undefined);
    contact.company_id = company ?? null;
    this.contactMap.set(contact.id, contact);
    this.attach(contact, input, true);
    return contact;
  }

  addCompany(input: SeedContact & { responsible_user_id?: number }): Company {
    const company = this.newParty(this.nextId.company(), input);
    this.companyMap.set(company.id, company);
    this.attach(company, input, false);
    return company;
  }

  private newParty(id: number, input: SeedContact & { responsible_user_id?: number }): Party {
    const now = this.clock();
    return {
      id,
      name: input.name,
      responsible_user_id: input.responsible_user_id ?? this.currentUserId(),
      created_at: now,
      updated_at: now,
      phones: input.phones.map(toPhone),
      lead_ids: [],
      customer_ids: [],
      company_id: null,
      custom_fields: [],
      tags: [],
    };
  }

  /** Seeds the party's active leads and customers (companies link them on their own card). */
  private attach(party: Party, input: SeedContact, isContact: boolean) {
    const contact_ids = isContact ? [party.id] : [];
    const owner = { contact_ids, company_id: isContact ? null : party.id, responsible_user_id: party.responsible_user_id };
    for (let i = 0; i < (input.closed_leads ?? 0); i++) {
      this.addLead({ name: `Closed deal with ${party.name}`, status_id: LEAD_STATUSES.won, ...owner });
    }
    for (let i = 0; i < (input.leads ?? 0); i++) {
      this.addLead({ name: `Deal with ${party.name}`, ...owner });
    }
    for (let i = 0; i < (input.customers ?? 0); i++) {
      const customer = this.addCustomer({ name: party.name, contact_ids });
      if (!isContact) party.customer_ids.push(customer.id);
    }
  }

  /**
   * A lead linked to the given contacts and company (a closed one too, to show closed leads do not
   * attract calls). `status: 'closed'` without a status_id is a lost lead (143).
   */
  addLead(input: {
    name: string;
    status?: Lead['status'];
    status_id?: number;
    contact_ids?: number[];
    company_id?: number | null;
    responsible_user_id?: number;
  }): Lead {
    const status_id = input.status_id ?? (input.status === 'closed' ? LEAD_STATUSES.lost : LEAD_STATUSES.new);
    const now = this.clock();
    const lead: Lead = {
      id: this.nextId.lead(),
      name: input.name,
      status: CLOSED_STATUS_IDS.includes(status_id) ? 'closed' : 'active',
      status_id,
      pipeline_id: PIPELINE_ID,
      responsible_user_id: input.responsible_user_id ?? this.currentUserId(),
      created_at: now,
      updated_at: now,
      contact_ids: input.contact_ids ?? [],
      company_id: input.company_id ?? null,
    };
    this.leadMap.set(lead.id, lead);
    for (const id of lead.contact_ids) this.contactMap.get(id)?.lead_ids.push(lead.id);
    if (lead.company_id !== null) this.companyMap.get(lead.company_id)?.lead_ids.push(lead.id);
    return lead;
  }

  addCustomer(input: { name: string; contact_ids?: number[] }): Customer {
    const customer: Customer = { id: this.nextId.customer(), name: input.name, contact_ids: input.contact_ids ?? [] };
    this.customerMap.set(customer.id, customer);
    for (const id of customer.contact_ids) this.contactMap.get(id)?.customer_ids.push(customer.id);
    return customer;
  }

  contacts(): Contact[] {
    return [...this.contactMap.values()];
  }
  contact(id: number): Contact | undefined {
    return this.contactMap.get(id);
  }
  companies(): Company[] {
    return [...this.companyMap.values()];
  }
  company(id: number): Company | undefined {
    return this.companyMap.get(id);
  }
  leads(): Lead[] {
    return [...this.leadMap.values()];
  }
  lead(id: number): Lead | undefined {
    return this.leadMap.get(id);
  }
  customers(): Customer[] {
    return [...this.customerMap.values()];
  }

  /** Does an entity of this type exist (for tasks and notes that point at one)? */
  hasEntity(type: EntityType, id: number): boolean {
    const maps = { leads: this.leadMap, contacts: this.contactMap, companies: this.companyMap, customers: this.customerMap };
    return maps[type].has(id);
  }

  // --- notes -------------------------------------------------------------------------------
  addNote(type: EntityType, fields: Omit<Note, 'id' | 'account_id'>): Note {
    const note: Note = { id: this.nextId.note(), account_id: this.accountId, ...fields };
    this.notesOf(type).set(note.id, note);
    return note;
  }
  notesOf(type: EntityType): Map<number, Note> {
    const map = this.noteMaps.get(type);
    if (!map) throw new Error(`no notes for ${type}`);
    return map;
  }
  allNotes(): TypedNote[] {
    return ENTITY_TYPES.flatMap((t) => [...this.notesOf(t).values()].map((n) => ({ ...n, entity_type: t })));
  }
  callNotes(): TypedNote[] {
    return this.allNotes().filter((n) => n.note_type === 'call_in' || n.note_type === 'call_out');
  }
  notesByUniq(uniq: string): TypedNote[] {
    return this.callNotes().filter((n) => n.params.uniq === uniq);
  }
  /** Someone deleted the note in the CRM: the reconciliation must notice. */
  deleteNote(type: EntityType, id: number): boolean {
    return this.notesOf(type).delete(id);
  }

  // --- unsorted, tasks -----------------------------------------------------------------------
  addUnsorted(item: UnsortedItem): UnsortedItem {
    this.unsortedItems.push(item);
    return item;
  }
  unsorted(): UnsortedItem[] {
    return [...this.unsortedItems];
  }
  addTask(task: Omit<Task, 'id' | 'account_id'>): Task {
    const record: Task = { id: this.nextId.task(), account_id: this.accountId, ...task };
    this.taskList.push(record);
    return record;
  }
  tasks(): Task[] {
    return [...this.taskList];
  }

  // --- incoming-call pop-ups (POST /api/v2/events) ---------------------------------------------
  addEvent(event: Omit<PhoneCallEvent, 'id'>): PhoneCallEvent {
    const record = { id: this.nextId.event(), ...event };
    this.events.push(record);
    return record;
  }
  /** The pop-ups asked for so far, oldest first. */
  phoneCallEvents(): PhoneCallEvent[] {
    return [...this.events];
  }

  // --- the whole account, to keep it across restarts -------------------------------------------
  /** The live records (serialize them before the next request changes them). */
  records(): SandboxRecords {
    const notes = Object.fromEntries(ENTITY_TYPES.map((t) => [t, [...this.notesOf(t).values()]])) as Record<EntityType, Note[]>;
    return {
      users: this.users(),
      contacts: this.contacts(),
      companies: this.companies(),
      leads: this.leads(),
      customers: this.customers(),
      notes,
      unsorted: this.unsorted(),
      tasks: this.tasks(),
      events: this.phoneCallEvents(),
      next_ids: { ...this.nextIds },
    };
  }

  /** Replaces everything the account holds with `records` (a store saved before). */
  restore(records: SandboxRecords): void {
    const fill = <T extends { id: number }>(map: Map<number, T>, rows: readonly T[]) => {
      map.clear();
      for (const row of rows) map.set(row.id, row);
    };
    fill(this.userMap, records.users);
    fill(this.contactMap, records.contacts);
    fill(this.companyMap, records.companies);
    fill(this.leadMap, records.leads);
    fill(this.customerMap, records.customers);
    for (const type of ENTITY_TYPES) fill(this.notesOf(type), records.notes[type] ?? []);
    this.unsortedItems.splice(0, Infinity, ...records.unsorted);
    this.taskList.splice(0, Infinity, ...records.tasks);
    this.events.splice(0, Infinity, ...records.events);
    this.nextIds = { ...FIRST_IDS, ...records.next_ids };
  }

  // --- auth ----------------------------------------------------------------------------------
  /** What the consent screen hands the client: a code valid for 20 minutes, once. */
  issueAuthorizationCode(clientId: string): string {
    return this.tokens.issueCode(clientId, this.clock());
  }
  revokeAllTokens(): void {
    this.tokens.revokeAll();
  }
}
