/**
 * Initial state. 'demo' is a small account a person can click through: three users (the admin and
 * two reps named after their extensions), three contacts that exercise the three places a call
 * can land — the contact card, its single active lead, its single customer — and a company with
 * its own number, a won deal and an open one, whose contact is Olga: so a caller lookup finds a
 * responsible user, a company and the open deal (never the closed one), and a number only the
 * company has. Without a seed the account still has its admin user, because a real account always
 * has at least one.
 * @module
 */
import type { SeedData } from './options';
import type { SandboxStore } from './store';

export const DEMO_SEED: SeedData = {
  users: [
    { id: 1000, name: 'Admin' },
    { id: 1001, name: 'Anna (101)' },
    { id: 1002, name: 'Boris (102)' },
  ],
  companies: [{ name: 'ООО Вектор', phones: [{ value: '+7 (495) 700-00-00', enum_code: 'WORK' }], responsible_user_id: 1002, closed_leads: 1, leads: 1 }],
  contacts: [
    { name: 'Ivan Petrov', phones: [{ value: '+7 495 123-45-67', enum_code: 'WORK' }] },
    { name: 'Olga Smirnova', phones: [{ value: '8 (916) 555-12-34', enum_code: 'MOB' }], leads: 1, responsible_user_id: 1001, company: 'ООО Вектор' },
    { name: 'ООО Ромашка', phones: [{ value: '+7 812 600-00-01', enum_code: 'WORK' }], customers: 1, responsible_user_id: 1002 },
  ],
};

export function applySeed(store: SandboxStore, seed: SeedData | 'demo' | undefined): void {
  const data = seed === 'demo' ? DEMO_SEED : (seed ?? {});
  const users = data.users?.length ? data.users : [{ id: 1000, name: 'Admin' }];
  for (const user of users) store.addUser(user);
  for (const company of data.companies ?? []) store.addCompany(company);
  for (const contact of data.contacts ?? []) store.addContact(contact);
}
