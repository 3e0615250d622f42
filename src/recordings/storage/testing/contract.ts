/**
 * Test-only: what every RecordingStorage must do, as one describe block each adapter's test runs
 * against its own store — the memory Map, a temp directory, an emulated S3 endpoint, a fake R2
 * binding — so the adapters cannot drift apart on ranges, missing keys or overwrites.
 * @module
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { type ObjectBody, RangeNotSatisfiableError, type RecordingStorage } from '../port';

/** Deterministic bytes that differ at every offset that matters (no period shorter than 251). */
export function pattern(size: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 1) bytes[i] = (i * 7 + seed * 13 + (i >> 8)) % 251;
  return bytes;
}

export async function readAll(body: ReadableStream<Uint8Array>): Promise<{ bytes: Uint8Array; chunks: number }> {
  const parts: Uint8Array[] = [];
  for await (const chunk of body) parts.push(chunk);
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.byteLength;
  }
  return { bytes, chunks: parts.length };
}

async function bodyOf(object: ObjectBody | null): Promise<Uint8Array> {
  expect(object).not.toBeNull();
  return (await readAll((object as ObjectBody).body)).bytes;
}

/** The error a promise rejects with (fails when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

/** The store under test: each test gets a fresh one from the contract's beforeEach, so a test reads it when it runs. */
type Current = () => RecordingStorage;

export function describeStorageContract(name: string, make: () => RecordingStorage | Promise<RecordingStorage>): void {
  describe(`RecordingStorage contract: ${name}`, () => {
    let storage: RecordingStorage;
    beforeEach(async () => {
      storage = await make();
    });
    const current: Current = () => storage;
    describeWrites(current);
    describeRanges(current);
    describeReads(current);
    describeDeletesAndKeys(current);
  });
}

/** put: the bytes, size and content type come back; copies in, overwrites, empty objects. */
function describeWrites(current: Current): void {
  it('gives back exactly the bytes put, with their size and content type', async () => {
    const storage = current();
    const bytes = pattern(100_003);
    await storage.put('2024/05/01/call-1.mp3', bytes, 'audio/mpeg');
    const object = await storage.get('2024/05/01/call-1.mp3');
    expect(object).toMatchObject({ size: 100_003, contentType: 'audio/mpeg' });
    expect(object?.range).toBeUndefined();
    expect(await bodyOf(object)).toEqual(bytes);
    const head = await storage.head('2024/05/01/call-1.mp3');
    expect(head).toMatchObject({ size: 100_003, contentType: 'audio/mpeg' });
    expect(head).not.toHaveProperty('body');
    if (head?.etag !== undefined) expect(head.etag).toMatch(/^"[^"]+"$/);
    if (head?.lastModified !== undefined) expect(Math.abs(head.lastModified.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('keeps the content type of each object', async () => {
    const storage = current();
    await storage.put('a/one.wav', pattern(10), 'audio/wav');
    await storage.put('a/two.bin', pattern(10), 'audio/mpeg');
    expect((await storage.head('a/one.wav'))?.contentType).toBe('audio/wav');
    expect((await storage.get('a/two.bin'))?.contentType).toBe('audio/mpeg');
  });

  it("copies the bytes in: changing the caller's buffer afterwards changes nothing", async () => {
    const storage = current();
    const bytes = pattern(1000);
    await storage.put('copy.bin', bytes, 'application/octet-stream');
    const before = bytes.slice();
    bytes.fill(0);
    expect(await bodyOf(await storage.get('copy.bin'))).toEqual(before);
  });

  it('overwrites: the second put wins, size, type and all', async () => {
    const storage = current();
    await storage.put('o/x.wav', pattern(5000, 1), 'audio/wav');
    const first = await storage.head('o/x.wav');
    await storage.put('o/x.wav', pattern(300, 2), 'audio/mpeg');
    const object = await storage.get('o/x.wav');
    expect(object).toMatchObject({ size: 300, contentType: 'audio/mpeg' });
    expect(await bodyOf(object)).toEqual(pattern(300, 2));
    if (first?.etag !== undefined) expect(object?.etag).not.toBe(first.etag);
  });

  it('stores an empty object', async () => {
    const storage = current();
    await storage.put('empty.wav', new Uint8Array(0), 'audio/wav');
    const object = await storage.get('empty.wav');
    expect(object).toMatchObject({ size: 0, contentType: 'audio/wav' });
    expect(await bodyOf(object)).toEqual(new Uint8Array(0));
    expect(await rejection(storage.get('empty.wav', { offset: 0, length: 1 }))).toBeInstanceOf(RangeNotSatisfiableError);
  });
}

/** get with a range: the bytes asked for, cut at the end; past the end a RangeNotSatisfiableError. */
function describeRanges(current: Current): void {
  describe('ranges', () => {
    const bytes = pattern(1000, 3);
    let storage: RecordingStorage;
    beforeEach(async () => {
      storage = current();
      await storage.put('r/object.mp3', bytes, 'audio/mpeg');
    });

    it.each([
      ['the start', 0, 10],
      ['the middle', 400, 123],
      ['the last bytes', 990, 10],
      ['the last byte', 999, 1],
      ['exactly to the end', 500, 500],
      ['the whole object', 0, 1000],
    ])('returns %s (offset %i, length %i) and the total size', async (_what, offset, length) => {
      const object = await storage.get('r/object.mp3', { offset, length });
      expect(object).toMatchObject({ size: 1000, contentType: 'audio/mpeg', range: { offset, length } });
      expect(await bodyOf(object)).toEqual(bytes.subarray(offset, offset + length));
    });

    it('cuts a range that runs past the end there', async () => {
      const object = await storage.get('r/object.mp3', { offset: 995, length: 100 });
      expect(object?.range).toEqual({ offset: 995, length: 5 });
      expect(await bodyOf(object)).toEqual(bytes.subarray(995));
    });

    it.each([1000, 5000])('refuses a range starting at %i (past the end) with the size', async (offset) => {
      const error = await rejection(storage.get('r/object.mp3', { offset, length: 10 }));
      expect(error).toBeInstanceOf(RangeNotSatisfiableError);
      expect(error).toMatchObject({ size: 1000, key: 'r/object.mp3' });
    });

    it.each([
      [-1, 10],
      [0, 0],
      [1.5, 10],
    ])('calls offset %d, length %d a bug (TypeError)', async (offset, length) => {
      expect(await rejection(storage.get('r/object.mp3', { offset, length }))).toBeInstanceOf(TypeError);
    });

    it('answers a range of a missing key with null', async () => {
      expect(await storage.get('r/missing.mp3', { offset: 0, length: 10 })).toBeNull();
    });
  });
}

/** get and head of missing keys; streaming large objects, and readers that stop early. */
function describeReads(current: Current): void {
  it('answers get and head of a missing key with null', async () => {
    const storage = current();
    expect(await storage.get('nothing/here.mp3')).toBeNull();
    expect(await storage.head('nothing/here.mp3')).toBeNull();
  });

  it('streams a 1 MB object in chunks, byte for byte', async () => {
    const storage = current();
    const bytes = pattern(1024 * 1024, 5);
    await storage.put('big/one-mb.wav', bytes, 'audio/wav');
    const object = await storage.get('big/one-mb.wav');
    const { bytes: read, chunks } = await readAll((object as ObjectBody).body);
    expect(chunks).toBeGreaterThan(1);
    expect(read.byteLength).toBe(bytes.byteLength);
    expect(read).toEqual(bytes);
  });

  it('lets a reader stop early without disturbing later calls', async () => {
    const storage = current();
    const bytes = pattern(512 * 1024, 6);
    await storage.put('big/half-read.wav', bytes, 'audio/wav');
    const object = await storage.get('big/half-read.wav');
    const reader = (object as ObjectBody).body.getReader();
    expect((await reader.read()).done).toBe(false);
    await reader.cancel();
    await storage.delete('big/half-read.wav');
    expect(await storage.head('big/half-read.wav')).toBeNull();
  });
}

/** delete is idempotent; keys that could escape or alias another are refused by every method. */
function describeDeletesAndKeys(current: Current): void {
  it('deletes: get and head then answer null; deleting again or a missing key is fine', async () => {
    const storage = current();
    await storage.put('d/x.mp3', pattern(10), 'audio/mpeg');
    await storage.delete('d/x.mp3');
    expect(await storage.get('d/x.mp3')).toBeNull();
    expect(await storage.head('d/x.mp3')).toBeNull();
    await storage.delete('d/x.mp3');
    await storage.delete('never/was.mp3');
  });

  it.each(['../escape', '/absolute', 'a//b', 'a/./b', 'a/', 'Upper.mp3', ''])('refuses the key %j', async (key) => {
    const storage = current();
    expect(await rejection(storage.put(key, pattern(1), 'audio/wav'))).toBeInstanceOf(Error);
    expect(await rejection(storage.get(key))).toBeInstanceOf(Error);
    expect(await rejection(storage.delete(key))).toBeInstanceOf(Error);
  });
}
