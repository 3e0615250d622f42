import type { R2Bucket } from '@cloudflare/workers-types/index';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { RangeNotSatisfiableError } from './port';
import { type R2BucketLike, type R2ObjectBodyLike, R2Storage } from './r2';
import { streamBytes } from './ranges';
import { describeStorageContract, pattern, readAll } from './testing/contract';
import { FakeR2Bucket } from './testing/r2-fake';

describeStorageContract('r2 binding', () => new R2Storage(new FakeR2Bucket()));

describe('R2Storage', () => {
  it('takes the real binding type (workers-types R2Bucket) as it is', () => {
    expectTypeOf<R2Bucket>().toExtend<R2BucketLike>();
  });

  it('passes the range and content type through to the binding', async () => {
    const bucket = new FakeR2Bucket();
    const storage = new R2Storage(bucket);
    await storage.put('a/b.mp3', pattern(100), 'audio/mpeg');
    expect(bucket.objects.get('a/b.mp3')?.contentType).toBe('audio/mpeg');
    await readAll((await storage.get('a/b.mp3', { offset: 10, length: 20 }))!.body);
    expect(bucket.calls).toEqual(['put a/b.mp3', 'get a/b.mp3 10+20']);
  });

  it("turns R2's InvalidRange into RangeNotSatisfiableError with the size (one head to learn it)", async () => {
    const bucket = new FakeR2Bucket();
    const storage = new R2Storage(bucket);
    await storage.put('x.wav', pattern(10), 'audio/wav');
    await expect(storage.get('x.wav', { offset: 10, length: 5 })).rejects.toEqual(new RangeNotSatisfiableError('x.wav', 10));
    expect(bucket.calls).toEqual(['put x.wav', 'get x.wav 10+5', 'head x.wav']);
  });

  it('asks again for what is there when a binding refuses a range running past the end', async () => {
    const bucket = new FakeR2Bucket();
    const strict: R2BucketLike = {
      head: (key) => bucket.head(key),
      put: (key, value, options) => bucket.put(key, value, options),
      delete: (key) => bucket.delete(key),
      get: async (key, options) => {
        const object = await bucket.head(key);
        if (object && options?.range && options.range.offset + options.range.length > object.size) throw new Error('get: invalid range (10039)');
        return bucket.get(key, options);
      },
    };
    const storage = new R2Storage(strict);
    await storage.put('x.wav', pattern(10), 'audio/wav');
    const object = await storage.get('x.wav', { offset: 8, length: 5 });
    expect(object?.range).toEqual({ offset: 8, length: 2 });
    expect((await readAll(object!.body)).bytes).toEqual(pattern(10).subarray(8));
  });

  it('passes on other errors of the binding', async () => {
    const bucket = new FakeR2Bucket();
    await bucket.put('x.wav', pattern(10));
    const failing: R2BucketLike = {
      head: (key) => bucket.head(key),
      put: (key, value) => bucket.put(key, value),
      delete: (key) => bucket.delete(key),
      get: async () => Promise.reject(new Error('get: internal error (10001)')),
    };
    const storage = new R2Storage(failing);
    await expect(storage.get('x.wav', { offset: 0, length: 5 })).rejects.toThrow('internal error');
  });

  it('refuses a put the binding did not store whole', async () => {
    const short = Object.assign(new FakeR2Bucket(), {
      put: async () => ({ size: 1, httpEtag: '"x"', uploaded: new Date() }),
    });
    await expect(new R2Storage(short).put('x.wav', pattern(10), 'audio/wav')).rejects.toThrow('stored 1 bytes of 10');
  });

  it('falls back to application/octet-stream for an object stored without a type', async () => {
    const bucket = new FakeR2Bucket();
    await bucket.put('x.bin', pattern(3));
    expect((await new R2Storage(bucket).head('x.bin'))?.contentType).toBe('application/octet-stream');
  });

  it("hands over R2's body stream as it is", async () => {
    const body = streamBytes(pattern(3));
    const object: R2ObjectBodyLike = { size: 3, httpEtag: '"e"', uploaded: new Date(0), body };
    const bucket = { ...new FakeR2Bucket(), get: async () => object } as unknown as R2BucketLike;
    expect((await new R2Storage(bucket).get('x.bin'))?.body).toBe(body);
  });
});
