import { describe, expect, it } from 'vitest';
import { MemoryStorage } from './memory';
import { prefixedStorage } from './prefixed';

describe('a storage shared by accounts', () => {
  it("keeps each account's keys under its prefix: one account neither reads nor deletes another's", async () => {
    const bucket = new MemoryStorage();
    const acme = prefixedStorage(bucket, 'accounts/acme/');
    const globex = prefixedStorage(bucket, 'accounts/globex/');
    await acme.put('calls/1.mp3', new Uint8Array([1, 2, 3]), 'audio/mpeg');
    expect(await bucket.head('accounts/acme/calls/1.mp3')).toMatchObject({ size: 3 });
    expect(await acme.head('calls/1.mp3')).toMatchObject({ size: 3, contentType: 'audio/mpeg' });
    expect(await globex.head('calls/1.mp3')).toBeNull();
    expect(await globex.get('calls/1.mp3')).toBeNull();
    await globex.delete('calls/1.mp3');
    expect(await acme.head('calls/1.mp3')).not.toBeNull();
    await acme.delete('calls/1.mp3');
    expect(await bucket.head('accounts/acme/calls/1.mp3')).toBeNull();
  });

  it('refuses a prefix that could escape or collide', () => {
    for (const bad of ['', 'acme', '../acme/', '/acme/', 'Acme/']) expect(() => prefixedStorage(new MemoryStorage(), bad)).toThrow(TypeError);
  });
});
