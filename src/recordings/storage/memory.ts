/**
 * Recordings kept in a Map: for tests and the in-process sandbox mode, where losing them on
 * restart is the point. Behaves like the real stores — copies in and out, ranges cut at the end,
 * bodies streamed in chunks — so code tested against it meets no surprise elsewhere.
 * @module
 */
import { assertKey, type ByteRange, type ObjectBody, type RecordingStorage, type StoredObject } from './port';
import { resolveRange, streamBytes } from './ranges';

interface Entry extends StoredObject {
  bytes: Uint8Array;
}

export class MemoryStorage implements RecordingStorage {
  readonly kind = 'memory';
  readonly #objects = new Map<string, Entry>();
  /** Gives each version a distinct ETag without hashing. */
  #version = 0;

  /** How many objects are stored (for tests and the sandbox's stats). */
  get count(): number {
    return this.#objects.size;
  }

  async put(key: string, bytes: Uint8Array, contentType: string): Promise<void> {
    assertKey(key);
    this.#version += 1;
    this.#objects.set(key, {
      // A copy: the caller may reuse its buffer.
      bytes: bytes.slice(),
      size: bytes.byteLength,
      contentType,
      etag: `"m${this.#version.toString(36)}"`,
      lastModified: new Date(),
    });
  }

  async get(key: string, range?: ByteRange): Promise<ObjectBody | null> {
    assertKey(key);
    const entry = this.#objects.get(key);
    if (!entry) return null;
    const { bytes, ...meta } = entry;
    if (!range) return { ...meta, body: streamBytes(bytes) };
    const slice = resolveRange(key, range, entry.size);
    return { ...meta, range: slice, body: streamBytes(bytes.subarray(slice.offset, slice.offset + slice.length)) };
  }

  async head(key: string): Promise<StoredObject | null> {
    assertKey(key);
    const entry = this.#objects.get(key);
    if (!entry) return null;
    const { bytes: _bytes, ...meta } = entry;
    return meta;
  }

  async delete(key: string): Promise<void> {
    assertKey(key);
    this.#objects.delete(key);
  }
}
