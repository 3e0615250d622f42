import { strictMswServer } from '#test/msw';
import { afterEach, describe, expect, it } from 'vitest';
import { RangeNotSatisfiableError } from './port';
import { S3Storage, type S3Options } from './s3';
import { S3Error } from './s3-protocol';
import { describeStorageContract, pattern, readAll } from './testing/contract';
import { createS3Fake, type S3FakeOptions } from './testing/s3-fake';

const server = strictMswServer();
let fakes: ReturnType<typeof createS3Fake>[] = [];
afterEach(() => {
  // Every request of every test carried a valid SigV4 signature for these credentials.
  expect(fakes.flatMap((f) => f.problems)).toEqual([]);
  fakes = [];
});

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const AWS: S3Options = {
  endpoint: 'https://s3.eu-central-1.amazonaws.com',
  bucket: 'calltrail-recordings',
  region: 'eu-central-1',
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: SECRET,
  forcePathStyle: false,
  retries: 0,
};
const MINIO: S3Options = { ...AWS, endpoint: 'http://minio.internal:9000', region: 'us-east-1', forcePathStyle: true };
const R2_S3: S3Options = { ...AWS, endpoint: 'https://0123abcd.r2.cloudflarestorage.com', region: 'auto', forcePathStyle: true };

function fakeFor(options: S3Options, extra: Partial<S3FakeOptions> = {}) {
  const fake = createS3Fake({ ...options, ...extra });
  server.use(fake.handler);
  fakes.push(fake);
  return fake;
}

function storageWith(options: S3Options, extra: Partial<S3FakeOptions> = {}) {
  const fake = fakeFor(options, extra);
  return { fake, storage: new S3Storage(options) };
}

describeStorageContract('s3, virtual-host style (AWS)', () => storageWith(AWS).storage);
describeStorageContract('s3, path style (MinIO)', () => storageWith(MINIO).storage);
describeStorageContract('s3, R2 S3 API (region auto)', () => storageWith(R2_S3).storage);
describeStorageContract('s3, a gateway that ignores Range', () => storageWith(MINIO, { ignoreRange: true }).storage);
describeStorageContract('s3, 416 without the object size', () => storageWith(MINIO, { bare416: true }).storage);

async function failure(promise: Promise<unknown>): Promise<S3Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(S3Error);
  const s3 = error as S3Error;
  expect(s3.message).not.toContain(SECRET);
  expect(s3.message).not.toContain(AWS.accessKeyId);
  return s3;
}

describe('S3Storage: addressing', () => {
  it('puts the bucket in the host name (virtual-host style)', async () => {
    const { fake, storage } = storageWith(AWS);
    await storage.put('2024/05/call.mp3', pattern(10), 'audio/mpeg');
    expect(fake.requests).toEqual([{ method: 'PUT', key: '2024/05/call.mp3', range: null }]);
    expect(fake.objects.has('2024/05/call.mp3')).toBe(true);
  });

  it('keeps a path on the endpoint (a proxy prefix) before bucket and key', async () => {
    const options = { ...MINIO, endpoint: 'https://gateway.example.com/s3/' };
    const { fake, storage } = storageWith(options);
    await storage.put('k.wav', pattern(3), 'audio/wav');
    expect(fake.objects.has('k.wav')).toBe(true);
  });

  it('refuses an endpoint with credentials in it and a malformed bucket name', () => {
    expect(() => new S3Storage({ ...AWS, endpoint: 'https://user:pw@s3.example.com' })).toThrow(TypeError);
    expect(() => new S3Storage({ ...AWS, bucket: 'No_Such' })).toThrow(TypeError);
  });

  it('asks for a range with an inclusive Range header', async () => {
    const { fake, storage } = storageWith(AWS);
    await storage.put('r.mp3', pattern(1000), 'audio/mpeg');
    await readAll((await storage.get('r.mp3', { offset: 400, length: 123 }))!.body);
    expect(fake.requests.at(-1)).toEqual({ method: 'GET', key: 'r.mp3', range: 'bytes=400-522' });
  });

  it('asks for the size with HEAD only when a 416 does not say it', async () => {
    const quiet = storageWith(MINIO, { bare416: true });
    await quiet.storage.put('r.mp3', pattern(10), 'audio/mpeg');
    await expect(quiet.storage.get('r.mp3', { offset: 10, length: 1 })).rejects.toBeInstanceOf(RangeNotSatisfiableError);
    expect(quiet.fake.requests.map((r) => r.method)).toEqual(['PUT', 'GET', 'HEAD']);
    const aws = storageWith(AWS);
    await aws.storage.put('r.mp3', pattern(10), 'audio/mpeg');
    await expect(aws.storage.get('r.mp3', { offset: 10, length: 1 })).rejects.toMatchObject({ size: 10 });
    expect(aws.fake.requests.map((r) => r.method)).toEqual(['PUT', 'GET']);
  });
});

describe('S3Storage: errors', () => {
  it('says the status and S3 code, never the credentials', async () => {
    const { fake, storage } = storageWith(AWS);
    fake.fail(403, 'AccessDenied');
    const error = await failure(storage.put('x.mp3', pattern(3), 'audio/mpeg'));
    expect(error.message).toBe('S3 PUT calltrail-recordings/x.mp3: 403 AccessDenied (injected AccessDenied)');
    expect(error).toMatchObject({ status: 403, code: 'AccessDenied' });
  });

  it('fails on a wrong secret: the store refuses the signature', async () => {
    const fake = fakeFor(AWS);
    const storage = new S3Storage({ ...AWS, secretAccessKey: 'not-the-secret-at-all' });
    const error = await failure(storage.get('x.mp3'));
    expect(error.code).toBe('SignatureDoesNotMatch');
    expect(fake.problems).toEqual(['GET x.mp3: signature does not match']);
    fake.problems.length = 0;
  });

  it('tells a missing bucket (404 NoSuchBucket) from a missing key', async () => {
    const { fake, storage } = storageWith(AWS);
    fake.fail(404, 'NoSuchBucket');
    expect((await failure(storage.get('x.mp3'))).code).toBe('NoSuchBucket');
    expect(await storage.get('x.mp3')).toBeNull();
  });

  it.each(['head', 'delete'] as const)('%s: a 500 is an error', async (method) => {
    const { fake, storage } = storageWith(AWS);
    fake.fail(500, 'InternalError');
    expect((await failure(storage[method]('x.mp3'))).status).toBe(500);
  });

  it('retries 503 SlowDown, signing afresh, and gives up after the retries', async () => {
    const { fake, storage } = storageWith({ ...AWS, retries: 2 });
    fake.fail(503, 'SlowDown', 2);
    await storage.put('x.mp3', pattern(3), 'audio/mpeg');
    expect(fake.requests.map((r) => r.method)).toEqual(['PUT', 'PUT', 'PUT']);
    fake.fail(503, 'SlowDown', 3);
    expect((await failure(storage.head('x.mp3'))).code).toBeUndefined();
    expect(fake.requests).toHaveLength(6);
  });

  it('does not retry a 4xx', async () => {
    const { fake, storage } = storageWith({ ...AWS, retries: 2 });
    fake.fail(400, 'InvalidRequest');
    await failure(storage.put('x.mp3', pattern(3), 'audio/mpeg'));
    expect(fake.requests).toHaveLength(1);
  });

  it('says when the store cannot be reached, without the credentials', async () => {
    const refused = Object.assign(new Error(`connect ECONNREFUSED (${AWS.accessKeyId})`), { code: 'ECONNREFUSED' });
    let calls = 0;
    const storage = new S3Storage({
      ...AWS,
      retries: 1,
      fetch: async () => {
        calls += 1;
        throw new TypeError('fetch failed', { cause: refused });
      },
    });
    const error = await failure(storage.head('x.mp3'));
    expect(error.message).toBe('S3 HEAD calltrail-recordings/x.mp3: the store could not be reached (fetch failed: connect ECONNREFUSED (***) [ECONNREFUSED])');
    expect(error.status).toBeUndefined();
    expect(calls).toBe(2);
  });
});

describe('S3Storage: streaming', () => {
  it('hands the body over before the store has sent all of it', async () => {
    let sendRest: () => void = () => undefined;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array([1, 2, 3]));
        sendRest = () => {
          controller.enqueue(new Uint8Array([4]));
          controller.close();
        };
      },
    });
    const storage = new S3Storage({
      ...AWS,
      fetch: async () => new Response(body, { status: 200, headers: { 'content-length': '4', 'content-type': 'audio/wav' } }),
    });
    const object = await storage.get('x.wav');
    expect(object).toMatchObject({ size: 4, contentType: 'audio/wav' });
    const reader = object!.body.getReader();
    expect((await reader.read()).value).toEqual(new Uint8Array([1, 2, 3]));
    sendRest();
    expect((await reader.read()).value).toEqual(new Uint8Array([4]));
  });

  it('refuses a 206 whose Content-Range is not the range asked for', async () => {
    const storage = new S3Storage({
      ...AWS,
      fetch: async () => new Response('abc', { status: 206, headers: { 'content-range': 'bytes 0-2/10' } }),
    });
    await failure(storage.get('x.wav', { offset: 5, length: 3 }));
  });
});
