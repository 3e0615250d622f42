import { describe, expect, it } from 'vitest';
import { userFor, type PeopleConfig } from './people';

// Written for this test: one extension mapped to a user, one to a user and a department, one to a department only.
const config: PeopleConfig = {
  extensions: { '101': 1001, '205': { user: 1205, department: 'sales' }, '300': { department: 'support' } },
  default_user: 1000,
};

describe('userFor: who is behind an extension', () => {
  it('reads a user id, or a user and department', () => {
    expect(userFor(config, '101')).toEqual({ userId: 1001, department: null });
    expect(userFor(config, '205')).toEqual({ userId: 1205, department: 'sales' });
  });

  it('falls back to the default user for unmapped extensions and department-only entries', () => {
    expect(userFor(config, '300')).toEqual({ userId: 1000, department: 'support' });
    expect(userFor(config, '999')).toEqual({ userId: 1000, department: null });
    expect(userFor(config, null)).toEqual({ userId: 1000, department: null });
  });

  it('leaves a call of an unmapped extension without a user when there is no default', () => {
    expect(userFor({ ...config, default_user: null }, '999')).toEqual({ userId: null, department: null });
  });
});
