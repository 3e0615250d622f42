/**
 * What serving a recording link works out once, kept per link for a short while: the link's
 * checked signature and the database's answer about its recording (storage key, size, checksum),
 * so a player's many range requests through one link cost neither an HMAC nor a query each.
 *
 * - Keyed by the link: the recording id with every signed parameter as sent (a changed expiry,
 *   epoch or session is another key, checked afresh). Forged links are never kept.
 * - An entry lives at most `ttlMs` (30 s) and never past the link's own expiry.
 * - Bounded: at most `maxEntries`, the least recently used going first (a Map keeps order).
 * - Concurrent misses of one link share one load; a failed load is not kept.
 * - Deleting recordings (erasure, privacy retention, the MP3 purge) calls forgetServedLinks():
 *   every entry made before it is dropped, in every cache of the process. Another process (a
 *   second replica, another isolate) drops nothing: there the TTL bounds it — and since files are
 *   deleted from storage before their rows, a cached entry whose file is gone finds nothing to
 *   stream, and the route then reads the database again (its 404).
 * Revocations are not cached here: the route checks them on every request (revocations.ts keeps
 * its own per-process copy). Plain Map and numbers: runs on Node and on workerd alike.
 * @module
 */

export const LINK_CACHE_TTL_MS = 30_000;
export const LINK_CACHE_MAX_ENTRIES = 1_000;

/** Bumped by forgetServedLinks(): entries (and loads) from an earlier generation are stale. */
let generation = 0;

/** Recordings were deleted or purged in this process: nothing cached before now is used again. */
export function forgetServedLinks(): void {
  generation++;
}

interface Entry<T> {
  value: T;
  storedAt: number;
  until: number;
  generation: number;
}

/** What a load found: the value, and until when the link itself is good (ms; null: no expiry). */
export interface Loaded<T> {
  value: T;
  linkExpiresAt: number | null;
}

export interface CacheAnswer<T> {
  value: T;
  /** Whether it came from the cache (no load ran for this request). */
  hit: boolean;
}

export class LinkCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly loading = new Map<string, { generation: number; promise: Promise<Loaded<T> | null> }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;

  constructor(options: { ttlMs?: number; maxEntries?: number } = {}) {
    this.ttlMs = options.ttlMs ?? LINK_CACHE_TTL_MS;
    this.maxEntries = options.maxEntries ?? LINK_CACHE_MAX_ENTRIES;
  }

  /**
   * The link's value: cached, or loaded by `load` (null: nothing to keep — a forged or expired
   * link; the load runs again next time).
   */
  async get(key: string, nowMs: number, load: () => Promise<Loaded<T> | null>): Promise<CacheAnswer<T> | null> {
    const entry = this.entries.get(key);
    if (entry) {
      if (entry.generation === generation && nowMs >= entry.storedAt && nowMs < entry.until) {
        // Most recently used last.
        this.entries.delete(key);
        this.entries.set(key, entry);
        return { value: entry.value, hit: true };
      }
      this.entries.delete(key);
    }
    const loaded = await this.load(key, nowMs, load);
    return loaded ? { value: loaded.value, hit: false } : null;
  }

  /** Drops one link's entry (its file turned out to be gone). */
  forget(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  private load(key: string, nowMs: number, load: () => Promise<Loaded<T> | null>): Promise<Loaded<T> | null> {
    const pending = this.loading.get(key);
    if (pending && pending.generation === generation) return pending.promise;
    const startedIn = generation;
    const promise = load()
      .then((loaded) => {
        if (loaded && startedIn === generation) this.store(key, loaded, nowMs, startedIn);
        return loaded;
      })
      .finally(() => {
        if (this.loading.get(key)?.promise === promise) this.loading.delete(key);
      });
    this.loading.set(key, { generation: startedIn, promise });
    return promise;
  }

  private store(key: string, loaded: Loaded<T>, nowMs: number, at: number): void {
    const until = Math.min(nowMs + this.ttlMs, loaded.linkExpiresAt ?? Number.POSITIVE_INFINITY);
    if (until <= nowMs) return;
    this.entries.delete(key);
    this.entries.set(key, { value: loaded.value, storedAt: nowMs, until, generation: at });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}
