import { describe, expect, it } from 'vitest';
import { forgetServedLinks, LinkCache, type Loaded } from './link-cache';

/** A loader that counts its calls and answers `value` (null: a link not to keep). */
function counting<T>(value: T | null, linkExpiresAt: number | null = null) {
  const loader = async (): Promise<Loaded<T> | null> => {
    loader.calls++;
    return value === null ? null : { value, linkExpiresAt };
  };
  loader.calls = 0;
  return loader;
}

describe('LinkCache', () => {
  it('loads a link once and answers from the cache until the TTL is over', async () => {
    const cache = new LinkCache<string>({ ttlMs: 1_000 });
    const load = counting('row');
    expect(await cache.get('a', 0, load)).toEqual({ value: 'row', hit: false });
    expect(await cache.get('a', 999, load)).toEqual({ value: 'row', hit: true });
    expect(load.calls).toBe(1);
    expect(await cache.get('a', 1_000, load)).toEqual({ value: 'row', hit: false });
    expect(load.calls).toBe(2);
    // Another link is loaded on its own.
    expect(await cache.get('b', 1_000, load)).toMatchObject({ hit: false });
    expect(load.calls).toBe(3);
  });

  it('never answers past the link’s own expiry, and keeps nothing for a link that expires now', async () => {
    const cache = new LinkCache<string>({ ttlMs: 60_000 });
    const load = counting('row', 5_000);
    await cache.get('a', 0, load);
    expect(await cache.get('a', 4_999, load)).toMatchObject({ hit: true });
    expect(await cache.get('a', 5_000, load)).toMatchObject({ hit: false });
    expect(cache.size).toBe(0);
    expect(load.calls).toBe(2);
  });

  it('does not keep what the loader refused (a forged link): it is checked every time', async () => {
    const cache = new LinkCache<string>();
    const load = counting<string>(null);
    expect(await cache.get('forged', 0, load)).toBeNull();
    expect(await cache.get('forged', 1, load)).toBeNull();
    expect(load.calls).toBe(2);
    expect(cache.size).toBe(0);
  });

  it('does not keep a failed load', async () => {
    const cache = new LinkCache<string>();
    let calls = 0;
    const failing = async (): Promise<Loaded<string> | null> => {
      calls++;
      throw new Error('database down');
    };
    await expect(cache.get('a', 0, failing)).rejects.toThrow('database down');
    await expect(cache.get('a', 0, failing)).rejects.toThrow('database down');
    expect(calls).toBe(2);
    expect(cache.size).toBe(0);
  });

  it('shares one load between concurrent misses of a link', async () => {
    const cache = new LinkCache<string>();
    let release: () => void = () => {};
    let calls = 0;
    const slow = () => {
      calls++;
      return new Promise<Loaded<string>>((resolve) => {
        release = () => resolve({ value: 'row', linkExpiresAt: null });
      });
    };
    const answers = [cache.get('a', 0, slow), cache.get('a', 0, slow), cache.get('a', 0, slow)];
    release();
    expect((await Promise.all(answers)).map((a) => a?.value)).toEqual(['row', 'row', 'row']);
    expect(calls).toBe(1);
  });

  it('holds at most maxEntries, dropping the least recently used', async () => {
    const cache = new LinkCache<string>({ maxEntries: 3 });
    const load = counting('row');
    for (const key of ['a', 'b', 'c']) await cache.get(key, 0, load);
    // a is used again: b is now the oldest and goes when d arrives.
    expect(await cache.get('a', 1, load)).toMatchObject({ hit: true });
    await cache.get('d', 2, load);
    expect(cache.size).toBe(3);
    expect(await cache.get('a', 3, load)).toMatchObject({ hit: true });
    expect(await cache.get('c', 3, load)).toMatchObject({ hit: true });
    expect(await cache.get('b', 3, load)).toMatchObject({ hit: false });
  });

  it('drops everything cached before forgetServedLinks(), in every cache, and a load that was under way', async () => {
    const one = new LinkCache<string>();
    const two = new LinkCache<string>();
    const load = counting('row');
    await one.get('a', 0, load);
    await two.get('a', 0, load);
    let release: () => void = () => {};
    const during = one.get('b', 0, () => new Promise<Loaded<string>>((resolve) => (release = () => resolve({ value: 'old', linkExpiresAt: null }))));
    forgetServedLinks();
    release();
    expect(await during).toEqual({ value: 'old', hit: false });
    expect(await one.get('a', 1, load)).toMatchObject({ hit: false });
    expect(await two.get('a', 1, load)).toMatchObject({ hit: false });
    expect(await one.get('b', 1, load)).toEqual({ value: 'row', hit: false });
    expect(load.calls).toBe(5);
  });

  it('forgets one link on request, and an entry whose clock went backwards', async () => {
    const cache = new LinkCache<string>();
    const load = counting('row');
    await cache.get('a', 10_000, load);
    cache.forget('a');
    expect(await cache.get('a', 10_000, load)).toMatchObject({ hit: false });
    expect(await cache.get('a', 9_000, load)).toMatchObject({ hit: false });
    expect(load.calls).toBe(3);
  });
});
