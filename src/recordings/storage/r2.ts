/**
 * Recordings in an R2 bucket bound to the Worker (binding RECORDINGS). The binding is declared
 * here as the little of it we use, so the portable code needs no Workers type package; the
 * real R2Bucket satisfies it.
 * @module
 */
import { assertKey, type ByteRange, type ObjectBody, RangeNotSatisfiableError, type RecordingStorage, type StoredObject } from './port';
import { checkRange } from './ranges';

export interface R2ObjectLike {
  readonly size: number;
  /** The ETag, quoted, as HTTP wants it. */
  readonly httpEtag: string;
  readonly uploaded: Date;
  readonly httpMetadata?: { contentType?: string };
}

export interface R2ObjectBodyLike extends R2ObjectLike {
  /**
   * A ReadableStream of bytes. Typed by the one method used here because workers-types' stream
   * type and the DOM's differ in detail; the object is a web ReadableStream all the same.
   */
  readonly body: { cancel(reason?: unknown): Promise<void> };
}

/** The methods of an R2 binding this adapter calls. */
export interface R2BucketLike {
  head(key: string): Promise<R2ObjectLike | null>;
  get(key: string, options?: { range?: { offset: number; length: number } }): Promise<R2ObjectBodyLike | null>;
  put(key: string, value: Uint8Array, options?: { httpMetadata?: { contentType?: string } }): Promise<R2ObjectLike | null>;
  delete(key: string): Promise<void>;
}

export class R2Storage implements RecordingStorage {
  readonly kind = 'r2';

  constructor(private readonly bucket: R2BucketLike) {}

  async put(key: string, bytes: Uint8Array, contentType: string): Promise<void> {
    assertKey(key);
    const stored = await this.bucket.put(key, bytes, { httpMetadata: { contentType } });
    // null only answers a failed precondition, which we never set: a binding that says so is wrong.
    if (!stored || stored.size !== bytes.byteLength) {
      throw new Error(`R2 put ${key}: the bucket stored ${stored ? `${stored.size} bytes` : 'nothing'} of ${bytes.byteLength}`);
    }
  }

  async get(key: string, range?: ByteRange): Promise<ObjectBody | null> {
    assertKey(key);
    if (!range) {
      const object = await this.bucket.get(key);
      return object ? { ...meta(object), body: object.body as ReadableStream<Uint8Array> } : null;
    }
    checkRange(range);
    let object: R2ObjectBodyLike | null;
    try {
      object = await this.bucket.get(key, { range });
    } catch (error) {
      // R2 throws for a range that starts past the end (InvalidRange, 10039); one that runs past it is cut.
      return this.#retryRange(key, range, error);
    }
    if (!object) return null;
    if (range.offset >= object.size) {
      await object.body.cancel();
      throw new RangeNotSatisfiableError(key, object.size);
    }
    const slice = { offset: range.offset, length: Math.min(range.length, object.size - range.offset) };
    return { ...meta(object), range: slice, body: object.body as ReadableStream<Uint8Array> };
  }

  async head(key: string): Promise<StoredObject | null> {
    assertKey(key);
    const object = await this.bucket.head(key);
    return object ? meta(object) : null;
  }

  async delete(key: string): Promise<void> {
    assertKey(key);
    await this.bucket.delete(key);
  }

  /** After R2 refused a range: 416 when it starts past the end, else ask again for what is there. */
  async #retryRange(key: string, range: ByteRange, error: unknown): Promise<ObjectBody | null> {
    const head = await this.bucket.head(key);
    if (!head) return null;
    if (range.offset >= head.size) throw new RangeNotSatisfiableError(key, head.size);
    const length = Math.min(range.length, head.size - range.offset);
    if (length === range.length) throw error;
    return this.get(key, { offset: range.offset, length });
  }
}

function meta(object: R2ObjectLike): StoredObject {
  return {
    size: object.size,
    contentType: object.httpMetadata?.contentType ?? 'application/octet-stream',
    etag: object.httpEtag,
    lastModified: object.uploaded,
  };
}
