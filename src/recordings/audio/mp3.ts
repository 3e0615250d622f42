/**
 * PCM → MP3 frames with lamejs (LAME compiled to plain JavaScript: no WASM, so it runs on
 * workerd), constant bitrate, fed 1152 × 8 samples at a time so memory grows with the output, not
 * with a second copy of the input. Several segments go through one encoder, so a join has no
 * silence at the seams. The frames come back without an Info tag; the caller adds one (xing.ts)
 * with ENCODER_DELAY and the padding, which it derives from the frame count.
 * @module
 */
import { Mp3Encoder } from '@breezystack/lamejs';
import { concatFrames } from './frames';
import type { PcmFormat } from './join';
import type { Pcm } from './wav';

/**
 * Samples of silence LAME puts before the first input sample, as the LAME tag records it; the
 * decoder adds 529 of its own (1105 in all, measured in mp3.test.ts).
 */
export const ENCODER_DELAY = 576;

/** Samples per encodeBuffer call: whole MPEG-1 frames, large enough to amortise the call. */
const CHUNK = 1152 * 8;

/**
 * Constant bitrate for speech, per channel, by sample rate: about 3 bits per sample at 8 kHz and
 * less above it, where the extra bandwidth carries little speech energy. A stereo PBX file holds
 * one party per channel — no redundancy for joint stereo to exploit — so stereo gets twice the
 * mono rate. All values are legal layer III bitrates for their MPEG version (MPEG-2/2.5 up to
 * 160 kbit/s, MPEG-1 from 32).
 */
export function mp3Bitrate(sampleRate: number, channelCount: 1 | 2): number {
  const mono = sampleRate <= 8000 ? 24 : sampleRate <= 12000 ? 32 : sampleRate <= 16000 ? 48 : sampleRate <= 24000 ? 56 : 64;
  return mono * channelCount;
}

export interface EncodedRun {
  /** MP3 frames, no tags. */
  bytes: Uint8Array;
  /** Samples per channel that went in. */
  samples: number;
  bitrate: number;
}

/** Encodes the parts, in order, as one stream; every part must already be in `format`. */
export function encodeMp3(parts: Iterable<Pcm>, format: PcmFormat): EncodedRun {
  const bitrate = mp3Bitrate(format.sampleRate, format.channelCount);
  const encoder = new Mp3Encoder(format.channelCount, format.sampleRate, bitrate);
  const out: Uint8Array[] = [];
  let samples = 0;
  for (const part of parts) {
    if (part.sampleRate !== format.sampleRate || part.channels.length !== format.channelCount) {
      throw new Error(
        `encodeMp3: a ${part.sampleRate} Hz ${part.channels.length}-channel part in a ${format.sampleRate} Hz ${format.channelCount}-channel stream`,
      );
    }
    const [left, right] = part.channels as [Int16Array, Int16Array | undefined];
    for (let at = 0; at < left.length; at += CHUNK) {
      const end = Math.min(left.length, at + CHUNK);
      out.push(bytes(encoder.encodeBuffer(left.subarray(at, end), right?.subarray(at, end))));
    }
    samples += left.length;
  }
  out.push(bytes(encoder.flush()));
  return { bytes: concatFrames(out), samples, bitrate };
}

/** lamejs returns Int8Array (its typings say Uint8Array): the same bytes, unsigned. */
function bytes(chunk: ArrayBufferView): Uint8Array {
  return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}
