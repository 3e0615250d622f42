/**
 * Initial state. 'demo' is a small account a person can click through: three users (the admin and
 * two reps named after their extensions) and three contacts that exercise the three places a call
 * can land — the contact card, its single active lead, its single customer. Without a seed the
 * account still has its admin user, because a real account always has at least one.
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
  contacts: [
    { name: 'Ivan Petrov', phones: [{ value: '+7 495 123-45-67', enum_code: 'WORK' }] },
    { name: 'Olga Smirnova', phones: [{ value: '8 (916) 555-12-34', enum_code: 'MOB' }], leads: 1 },
    { name: 'ООО Ромашка', phones: [{ value: '+7 812 600-00-01', enum_code: 'WORK' }], customers: 1 },
  ],
};

export function applySeed(store: SandboxStore, seed: SeedData | 'demo' | undefined): void {
  const data = seed === 'demo' ? DEMO_SEED : (seed ?? {});
  const users = data.users?.length ? data.users : [{ id: 1000, name: 'Admin' }];
  for (const user of users) store.addUser(user);
  for (const contact of data.contacts ?? []) store.addContact(contact);
}
