/**
 * The few pieces of the S3 REST protocol calltrail needs, as pure functions: where an object
 * lives (path- or virtual-host style), what a Content-Range says, and what went wrong from the
 * XML error document — told without ever repeating a credential.
 * @module
 */

export interface S3Location {
  /** The service's base URL: https://s3.eu-central-1.amazonaws.com, https://<account>.r2.cloudflarestorage.com, http://minio:9000… */
  endpoint: string;
  bucket: string;
  /** endpoint/bucket/key rather than bucket.endpoint/key: MinIO and most self-hosted stores need it. */
  forcePathStyle: boolean;
}

/** The URL an object key is appended to (ends with "/"). A path on the endpoint is kept (a proxy's prefix). */
export function objectBase({ endpoint, bucket, forcePathStyle }: S3Location): URL {
  const base = new URL(endpoint);
  if (base.search || base.hash || base.username || base.password) {
    throw new TypeError('the S3 endpoint is a base URL: no credentials, query or fragment');
  }
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new TypeError(`not an S3 bucket name: ${bucket}`);
  const prefix = base.pathname.replace(/\/+$/, '');
  if (forcePathStyle) {
    base.pathname = `${prefix}/${bucket}/`;
  } else {
    base.hostname = `${bucket}.${base.hostname}`;
    base.pathname = `${prefix}/`;
  }
  return base;
}

/** Keys use a URL-safe alphabet already; encoding each segment anyway keeps "/" the only separator. */
export function objectUrl(base: URL, key: string): URL {
  return new URL(base.href + key.split('/').map(encodeURIComponent).join('/'));
}

/** `bytes 0-99/1000` → the first and last byte and the total; null when it is not one. */
export function parseContentRange(header: string | null): { first: number; last: number; size: number } | null {
  const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header?.trim() ?? '');
  if (!match) return null;
  const [first, last, size] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return first <= last && last < size ? { first, last, size } : null;
}

/** The text of `<tag>…</tag>` in S3's error XML (entities decoded), or undefined. */
export function xmlField(xml: string, tag: string): string | undefined {
  const match = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  return match?.[1]
    ?.replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** A request the store refused or could not answer; the message names the operation, status and S3 code. */
export class S3Error extends Error {
  constructor(
    message: string,
    /** The HTTP status, or undefined when the store could not be reached. */
    readonly status: number | undefined,
    /** S3's error code (NoSuchBucket, AccessDenied, SignatureDoesNotMatch…) when it sent one. */
    readonly code: string | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'S3Error';
  }
}

/** Replaces every secret that might be echoed back (an access key id in InvalidAccessKeyId, say). */
export function redact(text: string, secrets: readonly string[]): string {
  return secrets.filter((s) => s.length >= 4).reduce((out, s) => out.split(s).join('***'), text);
}

/**
 * The error for a response that is not the expected answer. Reads at most the start of the body:
 * S3's error documents are small, and a misconfigured endpoint might answer with anything.
 */
export async function s3Error(what: string, response: Response, secrets: readonly string[]): Promise<S3Error> {
  const xml = await readStart(response, 16 * 1024);
  const code = xmlField(xml, 'Code');
  const detail = xmlField(xml, 'Message');
  const text = `${what}: ${response.status}${code ? ` ${code}` : ''}${detail ? ` (${detail})` : ''}`;
  return new S3Error(redact(text, secrets), response.status, code);
}

async function readStart(response: Response, max: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < max) {
      const { done, value } = await reader.read();
      if (done) return text;
      text += decoder.decode(value, { stream: true });
    }
    await reader.cancel();
  } catch {
    // An error body that breaks off still says what it said so far.
  }
  return text;
}
