import { describe, expect, it } from 'vitest';
import { hashPassword, temporaryPassword, verifyPassword } from './password';

describe('passwords', () => {
  it('hashes with scrypt N=2^15, r=8, p=1 and a 16-byte salt, and verifies', async () => {
    const hash = await hashPassword('correct horse');
    const [name, n, r, p, salt] = hash.split('$');
    expect([name, n, r, p]).toEqual(['scrypt', String(2 ** 15), '8', '1']);
    expect(atob(salt ?? '').length).toBe(16);
    expect(await verifyPassword('correct horse', hash)).toBe(true);
    expect(await verifyPassword('correct horsE', hash)).toBe(false);
    expect(await hashPassword('correct horse')).not.toBe(hash);
  });

  it('refuses hashes it cannot read or that ask for too much work', async () => {
    expect(await verifyPassword('x', 'bcrypt$whatever')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$3$8$1$AAAA$AAAA')).toBe(false);
    expect(await verifyPassword('x', `scrypt$${2 ** 24}$8$1$AAAA$AAAA`)).toBe(false);
  });

  it('makes temporary passwords of 16 unambiguous characters', () => {
    const pw = temporaryPassword();
    expect(pw).toMatch(/^[A-HJ-NP-Za-km-z2-9]{16}$/);
    for (let i = 0; i < 200; i++) expect(temporaryPassword()).toHaveLength(16);
    expect(temporaryPassword()).not.toBe(pw);
  });
});
