import { describe, expect, it } from 'vitest';
import { aad, generateKeyLine, isSealed, parseSealKeys, reseal, SealError, seal, sealedKid, unseal, type SealKey } from './seal';

const key = (line: string): SealKey => {
  const parsed = parseSealKeys(line);
  if (!('keys' in parsed)) throw new Error(parsed.problem);
  return parsed.keys[0] as SealKey;
};
const OLD = key(generateKeyLine('k1'));
const NEW = key(generateKeyLine('k2'));
const PLACE = aad('crm_accounts', 'refresh_token', 'amocrm:acme.amocrm.ru');
const SECRET = 'def50200-refresh-token-Ω-0123456789';

describe('seal and unseal', () => {
  it('seals to v1:<kid>:<iv>:<ciphertext> that holds nothing of the plaintext, and opens again', async () => {
    const sealed = await seal([OLD], SECRET, PLACE);
    expect(sealed).toMatch(/^v1:k1:[A-Za-z0-9+/]+=*:[A-Za-z0-9+/]+=*$/);
    expect(sealed).not.toContain('def50200');
    expect(isSealed(sealed)).toBe(true);
    expect(sealedKid(sealed)).toBe('k1');
    expect(await unseal([OLD], sealed, PLACE)).toBe(SECRET);
    // A fresh IV each time: the same secret never seals to the same text.
    expect(await seal([OLD], SECRET, PLACE)).not.toBe(sealed);
  });

  it('refuses a wrong key under the same kid, an unknown kid, another place, a tampered value', async () => {
    const sealed = await seal([OLD], SECRET, PLACE);
    const impostor = { kid: 'k1', key: NEW.key };
    await expect(unseal([impostor], sealed, PLACE)).rejects.toBeInstanceOf(SealError);
    await expect(unseal([NEW], sealed, PLACE)).rejects.toThrow(/does not list/);
    await expect(unseal([OLD], sealed, aad('crm_accounts', 'refresh_token', 'amocrm:other.amocrm.ru'))).rejects.toBeInstanceOf(SealError);
    await expect(unseal([OLD], sealed, aad('crm_accounts', 'access_token', 'amocrm:acme.amocrm.ru'))).rejects.toBeInstanceOf(SealError);
    const parts = sealed.split(':');
    const data = atob(parts[3] as string);
    const flipped = btoa(String.fromCharCode(data.charCodeAt(0) ^ 1) + data.slice(1));
    await expect(unseal([OLD], [...parts.slice(0, 3), flipped].join(':'), PLACE)).rejects.toBeInstanceOf(SealError);
    await expect(unseal([OLD], `${sealed}:x`, PLACE)).rejects.toThrow(/malformed/);
    await expect(unseal([OLD], 'v1:k1:!!:??', PLACE)).rejects.toThrow(/malformed/);
  });

  it('refuses to seal without a key', async () => {
    await expect(seal([], SECRET, PLACE)).rejects.toThrow(/SECRETS_KEYS is not set/);
  });

  it('reads a legacy value (stored before sealing) as it is', async () => {
    expect(await unseal([OLD], 'eyJhbGciOi.legacy', PLACE)).toBe('eyJhbGciOi.legacy');
    expect(await unseal([], 'eyJhbGciOi.legacy', PLACE)).toBe('eyJhbGciOi.legacy');
  });
});

describe('rotation', () => {
  it('opens a value sealed with an old kid while that kid is listed, and re-seals it with the first key', async () => {
    const sealed = await seal([OLD], SECRET, PLACE);
    const rotated = [NEW, OLD];
    expect(await unseal(rotated, sealed, PLACE)).toBe(SECRET);
    const resealed = await reseal(rotated, sealed, PLACE);
    expect(sealedKid(resealed as string)).toBe('k2');
    expect(await unseal([NEW], resealed as string, PLACE)).toBe(SECRET);
    expect(await reseal(rotated, resealed as string, PLACE)).toBeNull();
    await expect(unseal([NEW], sealed, PLACE)).rejects.toBeInstanceOf(SealError);
    const legacy = await reseal([NEW], SECRET, PLACE);
    expect(await unseal([NEW], legacy as string, PLACE)).toBe(SECRET);
  });
});

describe('SECRETS_KEYS', () => {
  it('takes kid:base64key pairs, the first first', () => {
    const line = `${generateKeyLine('new')}, ${generateKeyLine('old')}`;
    const parsed = parseSealKeys(line);
    expect('keys' in parsed && parsed.keys.map((k) => k.kid)).toEqual(['new', 'old']);
    const urlSafe = `a:${'_'.repeat(43)}`;
    expect(parseSealKeys(urlSafe)).toHaveProperty('keys');
  });

  it.each([
    ['nokid', /kid:base64key/],
    ['a:short', /32 bytes/],
    [`a:${btoa('x'.repeat(31))}`, /32 bytes/],
    [`${'x'.repeat(17)}:${btoa('x'.repeat(32))}`, /kid/],
    [`a:${btoa('x'.repeat(32))},a:${btoa('y'.repeat(32))}`, /listed twice/],
    [' , ', /no key/],
  ])('refuses %s', (text, problem) => {
    const parsed = parseSealKeys(text);
    expect('problem' in parsed && parsed.problem).toMatch(problem);
  });
});
