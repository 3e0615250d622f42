/**
 * The Xing/Info frame: a silent first frame that tells players the frame count, byte count and a
 * seek table, and — in its LAME extension — the encoder delay and padding, which gapless players
 * (browsers, mpg123, ffmpeg) trim so the audio starts without LAME's ~1105 samples of leading
 * silence and ends where the recording ended. Read from source files (and dropped: its counts are
 * wrong once files are joined); written in front of every MP3 we assemble.
 * @module
 */
import { bitrateTable, frameLength, type FrameHeader } from './header';

/** Samples to trim at the start (the decoder adds its own 529) and at the end. */
export interface Gapless {
  delay: number;
  padding: number;
}

/** Samples an MP3 decoder's filter bank lags behind the encoder's timeline. */
export const DECODER_DELAY = 529;

/**
 * Samples a gapless player plays of `total` decoded samples: it skips delay + DECODER_DELAY at the
 * start and stops DECODER_DELAY after the end of the encoder's padding — which is the end of
 * the decoded stream when the padding is shorter than that.
 */
export function playedSamples(total: number, gapless: Gapless | null): number {
  if (!gapless) return total;
  return Math.max(0, total - gapless.delay - Math.max(gapless.padding, DECODER_DELAY));
}

export interface XingTag {
  gapless: Gapless | null;
}

const XING_FRAMES = 1;
const XING_BYTES = 2;
const XING_TOC = 4;
const XING_QUALITY = 8;
/** "Xing"/"Info" + flags + frames + bytes + 100-byte TOC + quality. */
const XING_LENGTH = 120;
const LAME_LENGTH = 36;
/** Encoder names whose tag carries delay and padding (LAME, and ffmpeg which copies its layout). */
const LAME_LIKE = ['LAME', 'Lavf', 'Lavc'];
/** The 12-bit fields of the LAME tag. */
const MAX_DELAY = 4095;

/** The Xing/Info (or Fraunhofer VBRI) tag in a frame, or null when it is an audio frame. */
export function readXing(frame: Uint8Array, header: FrameHeader): XingTag | null {
  const at = 4 + (header.crc ? 2 : 0) + header.sideInfo;
  const id = ascii(frame, at, 4);
  if (ascii(frame, 36, 4) === 'VBRI') return { gapless: null };
  if (id !== 'Xing' && id !== 'Info') return null;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (at + 8 > frame.length) return { gapless: null };
  const flags = view.getUint32(at + 4, false);
  let lame = at + 8;
  for (const [flag, size] of [
    [XING_FRAMES, 4],
    [XING_BYTES, 4],
    [XING_TOC, 100],
    [XING_QUALITY, 4],
  ] as const)
    if (flags & flag) lame += size;
  if (lame + 24 > frame.length || !LAME_LIKE.includes(ascii(frame, lame, 4))) return { gapless: null };
  const b0 = frame[lame + 21] as number;
  const b1 = frame[lame + 22] as number;
  const b2 = frame[lame + 23] as number;
  return { gapless: { delay: (b0 << 4) | (b1 >> 4), padding: ((b1 & 0x0f) << 8) | b2 } };
}

/**
 * An Info (constant bitrate) or Xing (mixed bitrates) frame for `frames`, in their stream's
 * version, rate and channel mode, at the smallest bitrate whose frame holds the tags.
 */
export function infoFrame(frames: readonly Uint8Array[], header: FrameHeader, bitrate: number | null, gapless: Gapless): Uint8Array {
  const first = frames[0];
  if (!first) throw new Error('an Info frame needs at least one audio frame');
  const at = 4 + header.sideInfo;
  const needed = at + XING_LENGTH + LAME_LENGTH;
  const table = bitrateTable(header.version);
  let index = bitrate !== null && frameLength(header.version, bitrate, header.sampleRate, false) >= needed ? table.indexOf(bitrate) : -1;
  if (index < 0) index = table.findIndex((kbps) => kbps > 0 && frameLength(header.version, kbps, header.sampleRate, false) >= needed);
  const frame = new Uint8Array(frameLength(header.version, table[index] as number, header.sampleRate, false));
  // The audio frame's header with no CRC, the chosen bitrate and no padding; side info all zero (silence).
  frame[0] = 0xff;
  frame[1] = (first[1] as number) | 1;
  frame[2] = (index << 4) | ((first[2] as number) & 0x0d);
  frame[3] = first[3] as number;

  const audioBytes = frames.reduce((sum, f) => sum + f.length, 0);
  const view = new DataView(frame.buffer);
  frame.set(bytesOf(bitrate !== null ? 'Info' : 'Xing'), at);
  view.setUint32(at + 4, XING_FRAMES | XING_BYTES | XING_TOC | XING_QUALITY);
  view.setUint32(at + 8, frames.length);
  view.setUint32(at + 12, frame.length + audioBytes);
  frame.set(seekTable(frames, audioBytes), at + 16);
  view.setUint32(at + 116, 0);

  const lame = at + XING_LENGTH;
  frame.set(bytesOf('LAME3.98r'), lame);
  // Tag revision 0; VBR method 1 (constant) or 0 (unknown) for a join of several bitrates.
  frame[lame + 9] = bitrate !== null ? 1 : 0;
  frame[lame + 20] = Math.min(255, bitrate ?? 0);
  const delay = Math.min(MAX_DELAY, Math.max(0, gapless.delay));
  const padding = Math.min(MAX_DELAY, Math.max(0, gapless.padding));
  frame[lame + 21] = delay >> 4;
  frame[lame + 22] = ((delay & 0x0f) << 4) | (padding >> 8);
  frame[lame + 23] = padding & 0xff;
  view.setUint32(lame + 28, frame.length + audioBytes);
  let music = 0;
  for (const f of frames) music = crc16(f, music);
  view.setUint16(lame + 32, music);
  view.setUint16(lame + 34, crc16(frame.subarray(0, lame + 34), 0));
  return frame;
}

/** Byte position of each percent of the frames, in 1/256 of the audio bytes. */
function seekTable(frames: readonly Uint8Array[], audioBytes: number): Uint8Array {
  const toc = new Uint8Array(100);
  let frame = 0;
  let position = 0;
  for (let percent = 0; percent < 100; percent++) {
    const target = Math.floor((percent * frames.length) / 100);
    for (; frame < target; frame++) position += (frames[frame] as Uint8Array).length;
    toc[percent] = Math.min(255, Math.floor((256 * position) / audioBytes));
  }
  return toc;
}

/** CRC-16 (polynomial 0x8005, reflected, initial 0): the LAME tag's two checksums. */
function crc16(bytes: Uint8Array, crc: number): number {
  for (let i = 0; i < bytes.length; i++) crc = (crc >> 8) ^ (CRC_TABLE[(crc ^ (bytes[i] as number)) & 0xff] as number);
  return crc;
}

const CRC_TABLE = Uint16Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
  return c;
});

function bytesOf(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

function ascii(bytes: Uint8Array, at: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + length));
}
