/**
 * One bucket shared by several accounts: each account's keys live under its own prefix
 * (`accounts/<slug>/`), so no account reads, overwrites or deletes another's recordings.
 * @module
 */
import type { RecordingStorage } from './port';

export function prefixedStorage(storage: RecordingStorage, prefix: string): RecordingStorage {
  if (!/^[a-z0-9][a-z0-9/_-]*\/$/.test(prefix)) throw new TypeError(`a storage prefix is lower-case words ending in /, got ${prefix}`);
  return {
    kind: storage.kind,
    put: (key, bytes, contentType) => storage.put(`${prefix}${key}`, bytes, contentType),
    get: (key, range) => storage.get(`${prefix}${key}`, range),
    head: (key) => storage.head(`${prefix}${key}`),
    delete: (key) => storage.delete(`${prefix}${key}`),
  };
}
