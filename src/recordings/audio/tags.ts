/**
 * Where the audio of an MP3 file starts and ends once its metadata tags are set aside: ID3v2 at
 * the start (repeated tags, and the optional footer, included), ID3v1 and APEv2 at the end. Tags
 * must go when files are joined — an ID3v2 tag in the middle of a stream is garbage to a player —
 * and their binary payloads (cover art) could hide false frame syncs.
 * @module
 */

export interface AudioRange {
  start: number;
  end: number;
}

export function audioRange(bytes: Uint8Array): AudioRange {
  let start = 0;
  for (let size = id3v2Size(bytes, 0); size > 0; size = id3v2Size(bytes, start)) start += size;
  let end = bytes.length;
  for (let size = trailerSize(bytes, start, end); size > 0; size = trailerSize(bytes, start, end)) end -= size;
  return { start: Math.min(start, bytes.length), end: Math.max(end, Math.min(start, bytes.length)) };
}

/** Bytes of the ID3v2 tag at `at` (header, syncsafe size, optional footer), or 0. */
export function id3v2Size(bytes: Uint8Array, at: number): number {
  if (at + 10 > bytes.length || bytes[at] !== 0x49 || bytes[at + 1] !== 0x44 || bytes[at + 2] !== 0x33) return 0;
  const version = bytes[at + 3] as number;
  const flags = bytes[at + 5] as number;
  const size = [6, 7, 8, 9].map((i) => bytes[at + i] as number);
  if (version === 0xff || size.some((b) => b >= 0x80)) return 0;
  const body = size.reduce((sum, b) => (sum << 7) | b, 0);
  return 10 + body + (flags & 0x10 ? 10 : 0);
}

/** Bytes of an ID3v1 or APEv2 tag ending at `end`, or 0. */
function trailerSize(bytes: Uint8Array, start: number, end: number): number {
  if (end - start >= 128 && ascii(bytes, end - 128, 3) === 'TAG') return 128;
  if (end - start >= 32 && ascii(bytes, end - 32, 8) === 'APETAGEX') {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // The size counts the items and this footer; bit 31 of the flags says a 32-byte header precedes them.
    const size = view.getUint32(end - 20, true) + (view.getUint32(end - 12, true) & 0x80000000 ? 32 : 0);
    return size >= 32 && size <= end - start ? size : 0;
  }
  return 0;
}

function ascii(bytes: Uint8Array, at: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + length));
}
