/**
 * Where archived recordings live: a local directory (Node), any S3-compatible bucket, or an R2
 * binding (Workers). Objects are written whole (recordings are minutes of compressed audio) and
 * read as streams, whole or by byte range, so serving never holds a file in memory.
 * @module
 */
export interface StoredObject {
  /** Total size of the object in bytes. */
  size: number;
  contentType: string;
  /** The store's entity tag, when it has one (served as ETag). */
  etag?: string;
  lastModified?: Date;
}

/** An inclusive-exclusive slice: `length` bytes from `offset`. */
export interface ByteRange {
  offset: number;
  length: number;
}

export interface ObjectBody extends StoredObject {
  /** The bytes asked for: the whole object, or exactly `range`. */
  body: ReadableStream<Uint8Array>;
  /**
   * Set when a range was asked for: the slice actually returned, which is the one asked for cut
   * at the object's end (as HTTP does with `bytes=a-b` past the end) — serve it as Content-Range.
   */
  range?: ByteRange;
}

export interface RecordingStorage {
  readonly kind: 'local' | 's3' | 'r2' | 'memory';
  /** Writes the object; resolves only once it is durably stored. Overwrites an existing key. */
  put(key: string, bytes: Uint8Array, contentType: string): Promise<void>;
  /**
   * null when there is no such object. A range is cut at the object's end; one that starts at or
   * past the end throws RangeNotSatisfiableError (answer 416 with its size). A negative or
   * fractional offset, or a length under 1, is a bug in the caller: TypeError.
   */
  get(key: string, range?: ByteRange): Promise<ObjectBody | null>;
  head(key: string): Promise<StoredObject | null>;
  /** Deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
}

/** A range that starts at or past the object's end: the caller answers 416 with `bytes *\/size`. */
export class RangeNotSatisfiableError extends Error {
  constructor(
    readonly key: string,
    /** The object's size, for Content-Range: bytes *\/size. */
    readonly size: number,
  ) {
    super(`range not satisfiable: ${key} has ${size} bytes`);
    this.name = 'RangeNotSatisfiableError';
  }
}

/** Keys are ours (ids and dates), never user input: a conservative alphabet keeps every store happy. */
export const KEY_PATTERN = /^[a-z0-9][a-z0-9/_.-]{0,511}$/;

/**
 * Also refuses empty and "." segments (`a/./b`, `a/`): on a disk they would name the same file as
 * another key, or a directory.
 */
export function assertKey(key: string): void {
  if (!KEY_PATTERN.test(key) || key.includes('..') || key.split('/').some((s) => s === '' || s === '.')) {
    throw new Error(`not a storage key: ${key}`);
  }
}
