/**
 * Test-only: an S3 endpoint emulated with msw. Objects live in a Map and are answered as S3
 * answers — 206 with Content-Range, 416 InvalidRange with ActualObjectSize, 404 NoSuchKey XML,
 * 204 for DELETE — and every request's SigV4 signature is checked from scratch (credential scope,
 * signed headers, payload hash, signature), independently of the signing library. A request that
 * fails a check is answered 403 SignatureDoesNotMatch and listed in `problems`.
 * @module
 */
import { http, HttpResponse } from 'msw';
import { streamBytes } from '../ranges';
import { objectBase, type S3Location } from '../s3-protocol';

export interface S3FakeOptions extends S3Location {
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Answer a ranged GET with 200 and the whole object, as some gateways do. */
  ignoreRange?: boolean;
  /** Answer 416 without ActualObjectSize (MinIO-like), so the size must be asked for. */
  bare416?: boolean;
}

interface FakeObject {
  bytes: Uint8Array;
  contentType: string;
  etag: string;
  lastModified: Date;
}

export interface SeenRequest {
  method: string;
  key: string;
  range: string | null;
}

export function createS3Fake(options: S3FakeOptions) {
  const objects = new Map<string, FakeObject>();
  const problems: string[] = [];
  const requests: SeenRequest[] = [];
  /** Answers for the next requests, before any emulation: injected failures. */
  const faults: { status: number; code: string }[] = [];
  const base = objectBase(options);

  const handler = http.all(`${base.href}*`, async ({ request }) => {
    const url = new URL(request.url);
    const key = decodeURIComponent(url.pathname.slice(base.pathname.length));
    const body = new Uint8Array(await request.arrayBuffer());
    requests.push({ method: request.method, key, range: request.headers.get('range') });
    const wrong = await signatureProblems(request, body, options);
    if (wrong.length > 0) {
      problems.push(...wrong.map((p) => `${request.method} ${key}: ${p}`));
      return xmlError(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
    }
    const fault = faults.shift();
    if (fault) return xmlError(fault.status, fault.code, `injected ${fault.code}`);

    const object = objects.get(key);
    switch (request.method) {
      case 'PUT': {
        const declared = request.headers.get('content-length');
        if (declared !== String(body.byteLength)) problems.push(`PUT ${key}: Content-Length ${declared} for ${body.byteLength} bytes`);
        const etag = `"${(await hex(await crypto.subtle.digest('SHA-256', body))).slice(0, 32)}"`;
        objects.set(key, { bytes: body, contentType: request.headers.get('content-type') ?? 'binary/octet-stream', etag, lastModified: new Date() });
        return new HttpResponse(null, { status: 200, headers: { etag } });
      }
      case 'DELETE':
        objects.delete(key);
        return new HttpResponse(null, { status: 204 });
      case 'HEAD':
        return object
          ? new HttpResponse(null, { status: 200, headers: objectHeaders(object, object.bytes.byteLength) })
          : new HttpResponse(null, { status: 404 });
      case 'GET':
        if (!object) return xmlError(404, 'NoSuchKey', 'The specified key does not exist.');
        return answerGet(object, options.ignoreRange ? null : request.headers.get('range'), options.bare416 ?? false);
      default:
        return xmlError(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
    }
  });

  return {
    handler,
    objects,
    problems,
    requests,
    /** The next `times` requests (after their signature is checked) are answered with this error. */
    fail(status: number, code: string, times = 1) {
      for (let i = 0; i < times; i += 1) faults.push({ status, code });
    },
  };
}

function answerGet(object: FakeObject, range: string | null, bare416: boolean): Response {
  const size = object.bytes.byteLength;
  if (range === null) return new HttpResponse(streamBytes(object.bytes), { status: 200, headers: objectHeaders(object, size) });
  const match = /^bytes=(\d+)-(\d*)$/.exec(range);
  if (!match) return xmlError(400, 'InvalidArgument', `unsupported Range ${range}`);
  const first = Number(match[1]);
  const last = Math.min(match[2] ? Number(match[2]) : size - 1, size - 1);
  if (first >= size) {
    const extra = bare416 ? '' : `<RangeRequested>${range}</RangeRequested><ActualObjectSize>${size}</ActualObjectSize>`;
    return xmlError(416, 'InvalidRange', 'The requested range is not satisfiable', extra);
  }
  const slice = object.bytes.subarray(first, last + 1);
  return new HttpResponse(streamBytes(slice), {
    status: 206,
    headers: { ...objectHeaders(object, slice.byteLength), 'content-range': `bytes ${first}-${last}/${size}` },
  });
}

function objectHeaders(object: FakeObject, length: number): Record<string, string> {
  return {
    'content-type': object.contentType,
    'content-length': String(length),
    etag: object.etag,
    'last-modified': object.lastModified.toUTCString(),
    'accept-ranges': 'bytes',
  };
}

function xmlError(status: number, code: string, message: string, extra = ''): Response {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>${extra}<RequestId>fake</RequestId></Error>`;
  return new HttpResponse(xml, { status, headers: { 'content-type': 'application/xml' } });
}

const encoder = new TextEncoder();

async function hex(buffer: ArrayBuffer): Promise<string> {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function hmac(key: ArrayBuffer | Uint8Array<ArrayBuffer>, text: string): Promise<ArrayBuffer> {
  const imported = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return crypto.subtle.sign('HMAC', imported, encoder.encode(text));
}

/** What is wrong with the request's SigV4 header signature, per AWS's specification; [] when nothing. */
async function signatureProblems(request: Request, body: Uint8Array<ArrayBuffer>, options: S3FakeOptions): Promise<string[]> {
  const auth = request.headers.get('authorization') ?? '';
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(
    auth,
  );
  if (!match) return [`no SigV4 Authorization header (got "${auth.slice(0, 30)}")`];
  const [, accessKeyId, date, region, service, signedHeaders = '', signature] = match;
  const problems: string[] = [];
  if (accessKeyId !== options.accessKeyId) problems.push(`access key id ${accessKeyId}`);
  if (region !== options.region) problems.push(`region ${region}, expected ${options.region}`);
  if (service !== 's3') problems.push(`service ${service}`);
  const amzDate = request.headers.get('x-amz-date') ?? '';
  if (!/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== date) problems.push(`x-amz-date ${amzDate} for scope date ${date}`);
  const signed = signedHeaders.split(';');
  for (const required of ['host', 'x-amz-content-sha256', 'x-amz-date']) {
    if (!signed.includes(required)) problems.push(`${required} is not signed`);
  }
  const payloadHash = request.headers.get('x-amz-content-sha256');
  if (!payloadHash) problems.push('no x-amz-content-sha256 header');
  else if (payloadHash !== 'UNSIGNED-PAYLOAD' && payloadHash !== (await hex(await crypto.subtle.digest('SHA-256', body)))) {
    problems.push('x-amz-content-sha256 does not match the body');
  }
  if (problems.length > 0) return problems;

  const url = new URL(request.url);
  const query = [...url.searchParams]
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .sort()
    .join('&');
  const headers = signed.map((name) => `${name}:${name === 'host' ? url.host : (request.headers.get(name) ?? '').trim().replace(/\s+/g, ' ')}`);
  const canonical = [request.method, url.pathname, query, `${headers.join('\n')}\n`, signedHeaders, payloadHash].join('\n');
  const scope = `${date}/${region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, await hex(await crypto.subtle.digest('SHA-256', encoder.encode(canonical)))].join('\n');
  let key = await hmac(encoder.encode(`AWS4${options.secretAccessKey}`), date ?? '');
  for (const part of [region ?? '', 's3', 'aws4_request']) key = await hmac(key, part);
  const expected = await hex(await hmac(key, toSign));
  return expected === signature ? [] : ['signature does not match'];
}
