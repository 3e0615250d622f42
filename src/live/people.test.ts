import { describe, expect, it } from 'vitest';
import { defaultIntegratorConfig, parseIntegratorConfig } from '../settings/integrator';
import { extensionOfUser, lineRules, outsideNumber, popUsers, ringingExtensions } from './people';

const config = parseIntegratorConfig(
  JSON.stringify({
    extensions: { '101': 1001, '102': { user: 1002, department: 'sales' }, '103': { department: 'support' } },
    default_user: 999,
    lines: { '+7 495 123-45-67': { pop_users: [7, 8] }, '+44 20 7946 0000': { default_country: 'GB' } },
    live: { pop: { ring_groups: { '600': ['101', '102', '103'] } } },
  }),
  'calltrail.json',
);

describe('who a live call concerns', () => {
  it('finds a line written another way than in the config', () => {
    expect(lineRules(config, '74951234567')?.pop_users).toEqual([7, 8]);
    expect(lineRules(config, '84951234567')?.pop_users).toEqual([7, 8]);
    expect(lineRules(config, '+7 (495) 123-45-68')).toBeNull();
    expect(lineRules(config, null)).toBeNull();
  });

  it("reads national numbers in the line's country", () => {
    expect(outsideNumber(config, '020 7946 0018', '442079460000')).toBe('+442079460018');
    expect(outsideNumber(config, '8 (916) 123-45-67', null)).toBe('+79161234567');
    // Extensions and withheld callers are nobody to look up.
    expect(outsideNumber(config, '101', null)).toBeNull();
    expect(outsideNumber(config, 'anonymous', null)).toBeNull();
  });

  it('pops the users of the ringing extensions, a ring group as its members, unmapped ones and the default user left out', () => {
    expect(ringingExtensions(config, ['600', '101'])).toEqual(['101', '102', '103']);
    expect([...popUsers(config, ['600'], null)]).toEqual([
      ['1001', '101'],
      ['1002', '102'],
    ]);
    expect([...popUsers(config, ['103', '555'], null)]).toEqual([]);
  });

  it("pops a line's own users whatever rings", () => {
    expect([...popUsers(config, ['101'], '+74951234567').keys()]).toEqual(['7', '8']);
  });

  it('finds the extension of a CRM user, never through the default user', () => {
    expect(extensionOfUser(config, 1002)).toBe('102');
    expect(extensionOfUser(config, '1001')).toBe('101');
    expect(extensionOfUser(config, 999)).toBeNull();
    expect(extensionOfUser(defaultIntegratorConfig(), 1)).toBeNull();
  });
});
