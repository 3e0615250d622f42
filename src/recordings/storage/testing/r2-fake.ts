/**
 * Test-only: an in-memory stand-in for an R2 binding that behaves as R2 documents — a range
 * starting past the end throws InvalidRange (10039), one running past the end is cut, put
 * returns the stored object — and counts calls, so tests see what the adapter asked.
 * @module
 */
import type { R2BucketLike, R2ObjectBodyLike, R2ObjectLike } from '../r2';
import { streamBytes } from '../ranges';

interface Stored {
  bytes: Uint8Array;
  contentType?: string;
  uploaded: Date;
  version: number;
}

export class FakeR2Bucket implements R2BucketLike {
  readonly objects = new Map<string, Stored>();
  readonly calls: string[] = [];
  #version = 0;

  async head(key: string): Promise<R2ObjectLike | null> {
    this.calls.push(`head ${key}`);
    const stored = this.objects.get(key);
    return stored ? describe(stored) : null;
  }

  async get(key: string, options?: { range?: { offset: number; length: number } }): Promise<R2ObjectBodyLike | null> {
    const range = options?.range;
    this.calls.push(range ? `get ${key} ${range.offset}+${range.length}` : `get ${key}`);
    const stored = this.objects.get(key);
    if (!stored) return null;
    if (!range) return { ...describe(stored), body: streamBytes(stored.bytes) };
    if (range.offset >= stored.bytes.byteLength) throw new Error('get: The requested range is not satisfiable (10039)');
    return { ...describe(stored), body: streamBytes(stored.bytes.subarray(range.offset, range.offset + range.length)) };
  }

  async put(key: string, value: Uint8Array, options?: { httpMetadata?: { contentType?: string } }): Promise<R2ObjectLike> {
    this.calls.push(`put ${key}`);
    this.#version += 1;
    const stored: Stored = { bytes: value.slice(), uploaded: new Date(), version: this.#version };
    if (options?.httpMetadata?.contentType) stored.contentType = options.httpMetadata.contentType;
    this.objects.set(key, stored);
    return describe(stored);
  }

  async delete(key: string): Promise<void> {
    this.calls.push(`delete ${key}`);
    this.objects.delete(key);
  }
}

function describe(stored: Stored): R2ObjectLike {
  return {
    size: stored.bytes.byteLength,
    httpEtag: `"r2-${stored.version}"`,
    uploaded: stored.uploaded,
    ...(stored.contentType ? { httpMetadata: { contentType: stored.contentType } } : {}),
  };
}
