/**
 * Recordings in any S3-compatible bucket (AWS, R2's S3 API, MinIO, Ceph…), signed with SigV4 by
 * aws4fetch, so it runs on Node and workerd alike. Uploads carry their SHA-256 as
 * x-amz-content-sha256, so the store itself refuses a body damaged on the way. Reads stream the
 * response body through; nothing here holds an object in memory on the way out.
 * @module
 */
import { AwsClient } from 'aws4fetch';
import { sha256BytesHex } from '../../lib/crypto';
import { assertKey, type ByteRange, type ObjectBody, RangeNotSatisfiableError, type RecordingStorage, type StoredObject } from './port';
import { checkRange, resolveRange, sliceStream, streamBytes } from './ranges';
import { objectBase, objectUrl, parseContentRange, redact, S3Error, s3Error, type S3Location, xmlField } from './s3-protocol';

export interface S3Options extends S3Location {
  /** 'auto' for R2; AWS needs the bucket's region; MinIO takes any (us-east-1 by default). */
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Temporary credentials (STS) come with one. */
  sessionToken?: string;
  /** Extra attempts when the store answers 500/502/503/504 or cannot be reached (default 2). */
  retries?: number;
  /** The fetch to use (tests; a Node dispatcher with other TLS settings). Default: the global one. */
  fetch?: typeof fetch;
}

/** SHA-256 of no bytes: the payload hash of GET, HEAD and DELETE. */
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const RETRY_STATUSES = new Set([500, 502, 503, 504]);

export class S3Storage implements RecordingStorage {
  readonly kind = 's3';
  readonly #client: AwsClient;
  readonly #base: URL;
  readonly #bucket: string;
  readonly #retries: number;
  readonly #fetch: typeof fetch;
  /** What an error message must never contain. */
  readonly #secrets: string[];

  constructor(options: S3Options) {
    this.#client = new AwsClient({
      accessKeyId: options.accessKeyId,
      secretAccessKey: options.secretAccessKey,
      ...(options.sessionToken ? { sessionToken: options.sessionToken } : {}),
      service: 's3',
      region: options.region,
      // Retries are ours (below): aws4fetch's would re-send without draining the failed answer.
      retries: 0,
    });
    this.#base = objectBase(options);
    this.#bucket = options.bucket;
    this.#retries = options.retries ?? 2;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#secrets = [options.secretAccessKey, options.accessKeyId, options.sessionToken ?? ''];
  }

  async put(key: string, bytes: Uint8Array, contentType: string): Promise<void> {
    const headers = {
      'content-type': contentType,
      'content-length': String(bytes.byteLength),
      'x-amz-content-sha256': sha256BytesHex(bytes),
    };
    const response = await this.#send('PUT', key, headers, bytes);
    if (!response.ok) throw await s3Error(this.#what('PUT', key), response, this.#secrets);
    await response.body?.cancel();
  }

  async get(key: string, range?: ByteRange): Promise<ObjectBody | null> {
    if (range) checkRange(range);
    const headers: Record<string, string> = { 'x-amz-content-sha256': EMPTY_SHA256 };
    if (range) headers.range = `bytes=${range.offset}-${range.offset + range.length - 1}`;
    const response = await this.#send('GET', key, headers);
    if (response.status === 404) return this.#missing('GET', key, response);
    if (response.status === 416 && range) throw await this.#unsatisfiable(key, response);
    if (response.status !== 200 && response.status !== 206) throw await s3Error(this.#what('GET', key), response, this.#secrets);
    const body = response.body ?? streamBytes(new Uint8Array(0));

    if (response.status === 206) {
      const served = parseContentRange(response.headers.get('content-range'));
      if (!range || !served || served.first !== range.offset) {
        await body.cancel();
        throw new S3Error(`${this.#what('GET', key)}: 206 with an unexpected Content-Range`, 206, undefined);
      }
      const slice = { offset: served.first, length: served.last - served.first + 1 };
      return { ...this.#meta(response, served.size), range: slice, body };
    }
    const size = await this.#contentLength('GET', key, response);
    if (!range) return { ...this.#meta(response, size), body };
    // The store ignored Range (some gateways do): cut the slice from the whole object.
    let slice: ByteRange;
    try {
      slice = resolveRange(key, range, size);
    } catch (error) {
      await body.cancel();
      throw error;
    }
    return { ...this.#meta(response, size), range: slice, body: sliceStream(body, slice.offset, slice.length) };
  }

  async head(key: string): Promise<StoredObject | null> {
    const response = await this.#send('HEAD', key, { 'x-amz-content-sha256': EMPTY_SHA256 });
    // A HEAD answer has no body, so a missing bucket looks like a missing key here; put and get tell them apart.
    if (response.status === 404) return null;
    if (response.status !== 200) throw await s3Error(this.#what('HEAD', key), response, this.#secrets);
    return this.#meta(response, await this.#contentLength('HEAD', key, response));
  }

  async delete(key: string): Promise<void> {
    const response = await this.#send('DELETE', key, { 'x-amz-content-sha256': EMPTY_SHA256 });
    // S3 answers 204 whether or not the key existed; some compatible stores answer 404.
    if (response.ok || response.status === 404) {
      await response.body?.cancel();
      return;
    }
    throw await s3Error(this.#what('DELETE', key), response, this.#secrets);
  }

  /** Signs and sends, signing again for each retry (the date is part of the signature). */
  async #send(method: string, key: string, headers: Record<string, string>, body?: Uint8Array): Promise<Response> {
    assertKey(key);
    const url = objectUrl(this.#base, key);
    for (let attempt = 0; ; attempt += 1) {
      // Uint8Array<ArrayBufferLike> is not BodyInit by type only: recordings never live in shared memory.
      const request = await this.#client.sign(url, { method, headers, ...(body ? { body: body as Uint8Array<ArrayBuffer> } : {}) });
      let response: Response;
      try {
        response = await this.#fetch(request);
      } catch (error) {
        if (attempt < this.#retries) {
          await pause(attempt);
          continue;
        }
        const detail = redact(describeCause(error), this.#secrets);
        throw new S3Error(`${this.#what(method, key)}: the store could not be reached (${detail})`, undefined, undefined, { cause: error });
      }
      if (!RETRY_STATUSES.has(response.status) || attempt >= this.#retries) return response;
      await response.body?.cancel();
      await pause(attempt);
    }
  }

  #what(method: string, key: string): string {
    return `S3 ${method} ${this.#bucket}/${key}`;
  }

  #meta(response: Response, size: number): StoredObject {
    const etag = response.headers.get('etag');
    const modified = new Date(response.headers.get('last-modified') ?? '');
    return {
      size,
      contentType: response.headers.get('content-type') ?? 'application/octet-stream',
      ...(etag ? { etag } : {}),
      ...(Number.isNaN(modified.getTime()) ? {} : { lastModified: modified }),
    };
  }

  async #contentLength(method: string, key: string, response: Response): Promise<number> {
    const size = Number(response.headers.get('content-length') ?? 'NaN');
    if (Number.isSafeInteger(size) && size >= 0) return size;
    await response.body?.cancel();
    throw new S3Error(`${this.#what(method, key)}: the answer has no Content-Length`, response.status, undefined);
  }

  /** 404 NoSuchKey is "no such object"; a 404 for the bucket (NoSuchBucket) is a misconfiguration. */
  async #missing(method: string, key: string, response: Response): Promise<null> {
    const error = await s3Error(this.#what(method, key), response, this.#secrets);
    if (error.code === undefined || error.code === 'NoSuchKey') return null;
    throw error;
  }

  /** The size for 416: AWS says it in the error (ActualObjectSize), Content-Range may; else ask. */
  async #unsatisfiable(key: string, response: Response): Promise<Error> {
    const fromHeader = /^bytes \*\/(\d+)$/.exec(response.headers.get('content-range') ?? '')?.[1];
    const text = await response.text().catch(() => '');
    const known = fromHeader ?? xmlField(text, 'ActualObjectSize');
    if (known !== undefined) return new RangeNotSatisfiableError(key, Number(known));
    const head = await this.head(key);
    if (!head) return new S3Error(`${this.#what('GET', key)}: 416, and the object is gone`, 416, 'InvalidRange');
    return new RangeNotSatisfiableError(key, head.size);
  }
}

/** 100 ms, then 400 ms, with jitter so many workers do not retry in step. */
function pause(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 100 * 4 ** attempt * (0.5 + Math.random())));
}

/** fetch's own "fetch failed" says nothing; the cause (ECONNREFUSED, a TLS error) does. */
function describeCause(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e instanceof Error && parts.length < 3; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    parts.push(typeof code === 'string' ? `${e.message} [${code}]` : e.message);
  }
  return parts.join(': ') || String(error);
}
