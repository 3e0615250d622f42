/**
 * The frames of an MP3 file (MPEG-1, 2 or 2.5 layer III), and joining files frame by frame. A frame is self-describing (rate,
 * channels, length), so files of the same rate and channel count can be joined by concatenating
 * their frames without decoding — the only way on workerd, which has no MP3 decoder. A frame is
 * only believed when the next one follows where it says (or it ends the file): a lone 0xFFE sync
 * in tag or junk bytes is no frame. Junk between frames is skipped; a truncated last frame dropped.
 * @module
 */
import { frameHeader, type FrameHeader } from './header';
import { audioRange } from './tags';
import { AudioFormatError } from './wav';
import { playedSamples, readXing, type Gapless } from './xing';

export interface Mp3Audio {
  sampleRate: number;
  channelCount: 1 | 2;
  /** Samples per channel per frame: 1152 (MPEG-1) or 576. */
  samplesPerFrame: number;
  /** The audio frames, as views into the file: no tags, no Xing/Info/VBRI frame. */
  frames: Uint8Array[];
  /** The bitrate every frame has, or null when it varies. */
  bitrate: number | null;
  /** Encoder delay and padding from a LAME/Lavf tag, when the file has one. */
  gapless: Gapless | null;
  /** Bytes between frames that were no frame (junk, a dropped truncated frame). */
  skippedBytes: number;
}

/** How far into the audio the first frame is looked for: files with more junk are not MP3. */
const FIRST_FRAME_WITHIN = 64 * 1024;

/** An ID3v2 tag or a confirmed layer III frame near the start. */
export function isMp3(bytes: Uint8Array): boolean {
  if (bytes.length >= 3 && bytes[0] === 0x49 && bytes[1] === 0x44 && bytes[2] === 0x33) return true;
  return findFrame(bytes, 0, bytes.length, Math.min(bytes.length, FIRST_FRAME_WITHIN), null) >= 0;
}

/**
 * The audio frames of an MP3 file. A file that is only tags has no frames; one whose bytes hold no
 * layer III stream at all is an AudioFormatError.
 */
export function parseMp3(bytes: Uint8Array): Mp3Audio {
  const { start, end } = audioRange(bytes);
  if (start >= end) return { sampleRate: 0, channelCount: 1, samplesPerFrame: 0, frames: [], bitrate: null, gapless: null, skippedBytes: 0 };
  const first = findFrame(bytes, start, end, Math.min(end, start + FIRST_FRAME_WITHIN), null);
  const head = first < 0 ? null : frameHeader(bytes, first);
  if (!head) throw new AudioFormatError('no MPEG layer III frames found');
  const frames: Uint8Array[] = [];
  // Of the audio frames: an Info frame may have a bitrate of its own (big enough for its tags).
  let bitrate: number | null = null;
  let gapless: Gapless | null = null;
  let skippedBytes = first - start;
  let at = first;
  while (at < end) {
    const header = frameHeader(bytes, at);
    if (!header || !sameStream(header, head) || at + header.length > end) {
      const next = findFrame(bytes, at + 1, end, end, head);
      skippedBytes += (next < 0 ? end : next) - at;
      if (next < 0) break;
      at = next;
      continue;
    }
    const frame = bytes.subarray(at, at + header.length);
    const xing = at === first ? readXing(frame, header) : null;
    if (xing) gapless = xing.gapless;
    else {
      if (frames.length === 0) bitrate = header.bitrate;
      else if (header.bitrate !== bitrate) bitrate = null;
      frames.push(frame);
    }
    at += header.length;
  }
  return { sampleRate: head.sampleRate, channelCount: head.channelCount, samplesPerFrame: head.samples, frames, bitrate, gapless, skippedBytes };
}

/** Duration of the frames as a gapless player plays them: less the delay and padding its tag gives. */
export function mp3DurationMs(audio: Mp3Audio): number {
  if (audio.frames.length === 0) return 0;
  return Math.round((playedSamples(audio.frames.length * audio.samplesPerFrame, audio.gapless) * 1000) / audio.sampleRate);
}

/** One buffer of the given frames, in order. */
export function concatFrames(frames: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(frames.reduce((sum, f) => sum + f.length, 0));
  let at = 0;
  for (const frame of frames) {
    out.set(frame, at);
    at += frame.length;
  }
  return out;
}

function sameStream(a: FrameHeader, b: FrameHeader): boolean {
  return a.version === b.version && a.sampleRate === b.sampleRate && a.channelCount === b.channelCount;
}

/**
 * The first offset in [from, searchEnd) holding a frame whose successor is a frame of the same
 * stream (or that ends exactly at `end`); -1 when none. `like` pins the stream's parameters.
 */
function findFrame(bytes: Uint8Array, from: number, end: number, searchEnd: number, like: FrameHeader | null): number {
  for (let at = bytes.indexOf(0xff, from); at >= 0 && at < searchEnd; at = bytes.indexOf(0xff, at + 1)) {
    const header = frameHeader(bytes, at);
    if (!header || (like && !sameStream(header, like))) continue;
    const next = at + header.length;
    if (next === end) return at;
    const following = next < end ? frameHeader(bytes, next) : null;
    if (following && sameStream(following, header)) return at;
  }
  return -1;
}
