/**
 * Byte ranges the same way in every adapter: a malformed range is the caller's bug, a range past
 * the end is cut there, one that starts past the end is 416; and the two stream shapes adapters
 * need — bytes handed out in chunks, and a slice cut from a stream that holds the whole object.
 * @module
 */
import { type ByteRange, RangeNotSatisfiableError } from './port';

/** A negative or fractional offset, or a length under 1, cannot come from a parsed Range header. */
export function checkRange(range: ByteRange): void {
  const { offset, length } = range;
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 1) {
    throw new TypeError(`not a byte range: offset ${offset}, length ${length}`);
  }
}

/** The slice `range` selects from an object of `size` bytes, cut at its end. */
export function resolveRange(key: string, range: ByteRange, size: number): ByteRange {
  checkRange(range);
  if (range.offset >= size) throw new RangeNotSatisfiableError(key, size);
  return { offset: range.offset, length: Math.min(range.length, size - range.offset) };
}

/** 64 KiB: what Node's file streams and most HTTP stacks hand out at a time. */
export const CHUNK_SIZE = 64 * 1024;

/** Hands `bytes` out in chunks, as a file or a socket would, so no consumer relies on one block. */
export function streamBytes(bytes: Uint8Array, chunkSize = CHUNK_SIZE): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.byteLength) {
        controller.close();
        return;
      }
      // A copy: the consumer may transfer or keep the chunk while the store changes.
      controller.enqueue(bytes.slice(at, at + chunkSize));
      at += chunkSize;
    },
  });
}

/**
 * `length` bytes from `offset` of a stream holding the whole object (a store that ignored the
 * Range header). The rest of the source is cancelled rather than read; a source that ends early
 * errors the slice, so a short range is never mistaken for a whole one.
 */
export function sliceStream(source: ReadableStream<Uint8Array>, offset: number, length: number): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let skip = offset;
  let left = length;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          controller.error(new Error(`the object ended ${left} bytes before the end of the range`));
          return;
        }
        let chunk = value;
        if (skip >= chunk.byteLength) {
          skip -= chunk.byteLength;
          continue;
        }
        chunk = chunk.subarray(skip, skip + left);
        skip = 0;
        left -= chunk.byteLength;
        controller.enqueue(chunk);
        if (left === 0) {
          controller.close();
          await reader.cancel();
        }
        return;
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}
