/**
 * How amoCRM decides where a posted call lands. The number is reduced to its **last 10 digits**
 * (all of them when there are fewer) and compared with every phone of every contact, then every
 * company — phones are stored as typed, so "8 (495) 123-45-67" and "+74951234567" meet here and
 * nowhere else. When several cards share a number the oldest (lowest id) wins; contacts before
 * companies. The note then goes to the card's single active lead, else its single customer, else
 * the card itself.
 * @module
 */
import type { EntityType, Party } from './model';
import type { SandboxStore } from './store';

export function phoneKey(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  return digits.length > 10 ? digits.slice(-10) : digits;
}

export interface PhoneOwner {
  type: 'contacts' | 'companies';
  party: Party;
}

export function findByPhone(store: SandboxStore, phone: string): PhoneOwner | undefined {
  const key = phoneKey(phone);
  if (key === '') return undefined;
  const hit = (p: Party) => p.phones.some((ph) => phoneKey(ph.value) === key);
  const contact = store.contacts().find(hit);
  if (contact) return { type: 'contacts', party: contact };
  const company = store.companies().find(hit);
  return company ? { type: 'companies', party: company } : undefined;
}

export function callTarget(store: SandboxStore, owner: PhoneOwner): { entity_type: EntityType; entity_id: number } {
  const { party } = owner;
  const activeLeads = party.lead_ids.filter((id) => store.lead(id)?.status === 'active');
  const customers = party.customer_ids;
  const [lead] = activeLeads;
  const [customer] = customers;
  if (activeLeads.length === 1 && customers.length === 0 && lead !== undefined) return { entity_type: 'leads', entity_id: lead };
  if (customers.length === 1 && activeLeads.length === 0 && customer !== undefined) return { entity_type: 'customers', entity_id: customer };
  return { entity_type: owner.type, entity_id: party.id };
}
