import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseSealKeys } from '../../lib/seal';
import { parseEnv } from '../../settings/env';
import { KeysUsageError, keysCommand, localSealKeys } from './keys-command';

const noDeps = async () => {
  throw new Error('generate opens no database');
};

describe('calltrail keys generate', () => {
  afterEach(() => vi.restoreAllMocks());

  it('prints a key line SECRETS_KEYS accepts', async () => {
    vi.spyOn(process.stderr, 'write').mockReturnValue(true);
    const lines: string[] = [];
    expect(await keysCommand(['generate', '--kid', 'k2'], noDeps, (line) => lines.push(line))).toBe(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^k2:[A-Za-z0-9+/]{43}=$/);
    const parsed = parseSealKeys(lines[0] as string);
    expect('keys' in parsed && parsed.keys[0]?.kid).toBe('k2');
    const dated: string[] = [];
    await keysCommand(['generate'], noDeps, (line) => dated.push(line));
    expect(dated[0]).toMatch(/^k\d{8}:/);
  });

  it.each([[['generate', '--kid', 'no spaces']], [['generate', '--bogus']], [['rotate', '--batch', '0']], [['shred']], [[]]])('refuses %j', async (args) => {
    await expect(keysCommand(args, noDeps, () => {})).rejects.toBeInstanceOf(KeysUsageError);
  });
});

describe('the key file of a local deployment', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('is made once, readable by its owner only, and read again on the next start', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'calltrail-keys-')), 'data');
    dirs.push(dir);
    const first = localSealKeys(dir);
    expect(first).toHaveLength(1);
    expect(first[0]?.kid).toBe('local');
    expect(statSync(join(dir, 'secrets.key')).mode & 0o777).toBe(0o600);
    expect(localSealKeys(dir)).toEqual(first);
    expect(readFileSync(join(dir, 'secrets.key'), 'utf8').trim()).toBe(`local:${first[0]?.key}`);
  });

  it('names the file when it is damaged', () => {
    const dir = mkdtempSync(join(tmpdir(), 'calltrail-keys-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'secrets.key'), 'local:too-short\n');
    expect(() => localSealKeys(dir)).toThrow(/secrets\.key: .*32 bytes/);
  });
});

describe('SECRETS_KEYS in the environment', () => {
  it('is parsed into keys, the first first; none when unset', () => {
    const line = `a:${btoa('a'.repeat(32))},b:${btoa('b'.repeat(32))}`;
    expect(parseEnv({ SECRETS_KEYS: line }).secretsKeys.map((k) => k.kid)).toEqual(['a', 'b']);
    expect(parseEnv({}).secretsKeys).toEqual([]);
  });

  it('refuses a malformed list, naming the variable and the form, never echoing a key', () => {
    expect(() => parseEnv({ SECRETS_KEYS: 'a:c2VjcmV0LXZhbHVl' })).toThrow(/SECRETS_KEYS.*kid:base64key.*not 32 bytes/s);
    try {
      parseEnv({ SECRETS_KEYS: 'a:c2VjcmV0LXZhbHVl' });
    } catch (error) {
      expect((error as Error).message).not.toContain('c2VjcmV0LXZhbHVl');
    }
  });
});
