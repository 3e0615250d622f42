/**
 * PCM → MP3 frames with LAME compiled to WebAssembly (lame.ts; 3–4× faster than lamejs, LAME
 * compiled to JavaScript, which it replaced: bench/recordings), constant bitrate, fed 1152 × 8
 * samples at a time so memory grows with the output, not with a second copy of the input. Several segments go through one encoder, so a join has no
 * silence at the seams. The frames come back without an Info tag; the caller adds one (xing.ts)
 * with ENCODER_DELAY and the padding, which it derives from the frame count.
 * @module
 */
import { concatFrames } from './frames';
import type { PcmFormat } from './join';
import { lameEncoder } from './lame';
import type { Pcm } from './wav';

/**
 * Samples of silence LAME puts before the first input sample, as the LAME tag records it; the
 * decoder adds 529 of its own (1105 in all, measured in mp3.test.ts).
 */
export const ENCODER_DELAY = 576;

/** Samples per encode call: whole MPEG-1 frames, large enough to amortise the call. */
const CHUNK = 1152 * 8;

/**
 * Constant bitrate for speech, per channel, by sample rate: about 3 bits per sample at 8 kHz and
 * less above it, where the extra bandwidth carries little speech energy. A stereo PBX file holds
 * one party per channel — no redundancy for joint stereo to exploit — so stereo gets twice the
 * mono rate. All values are legal layer III bitrates for their MPEG version (MPEG-2/2.5 up to
 * 160 kbit/s, MPEG-1 from 32) that the encoder takes (it has no 56: 22.05/24 kHz get 64).
 */
export function mp3Bitrate(sampleRate: number, channelCount: 1 | 2): Mp3Bitrate {
  const mono = sampleRate <= 8000 ? 24 : sampleRate <= 12000 ? 32 : sampleRate <= 16000 ? 48 : 64;
  return (mono * channelCount) as Mp3Bitrate;
}

/** The constant bitrates mp3Bitrate chooses. */
export type Mp3Bitrate = 24 | 32 | 48 | 64 | 96 | 128;

export interface EncodedRun {
  /** MP3 frames, no tags. */
  bytes: Uint8Array;
  /** Samples per channel that went in. */
  samples: number;
  bitrate: number;
}

/** Encodes the parts, in order, as one stream; every part must already be in `format`. */
export async function encodeMp3(parts: Iterable<Pcm>, format: PcmFormat): Promise<EncodedRun> {
  const bitrate = mp3Bitrate(format.sampleRate, format.channelCount);
  const encoder = await lameEncoder();
  // The output rate is the input's: left unset, LAME may resample to suit the bitrate.
  encoder.configure({ channels: format.channelCount, sampleRate: format.sampleRate, bitrate, outputSampleRate: format.sampleRate as Mp3Rate });
  const out: Uint8Array[] = [];
  const floats = Array.from({ length: format.channelCount }, () => new Float32Array(CHUNK));
  let samples = 0;
  for (const part of parts) {
    if (part.sampleRate !== format.sampleRate || part.channels.length !== format.channelCount) {
      throw new Error(
        `encodeMp3: a ${part.sampleRate} Hz ${part.channels.length}-channel part in a ${format.sampleRate} Hz ${format.channelCount}-channel stream`,
      );
    }
    const length = (part.channels[0] as Int16Array).length;
    for (let at = 0; at < length; at += CHUNK) {
      const end = Math.min(length, at + CHUNK);
      const input = part.channels.map((channel, index) => toFloat(channel, at, end, floats[index] as Float32Array));
      // The encoder answers with a view of its own memory, overwritten by the next call: copied.
      out.push(encoder.encode(input).slice());
    }
    samples += length;
  }
  out.push(encoder.finalize().slice());
  return { bytes: concatFrames(out), samples, bitrate };
}

type Mp3Rate = 8000 | 11025 | 12000 | 16000 | 22050 | 24000 | 32000 | 44100 | 48000;

/** Samples [from, to) of 16-bit PCM as the encoder's floats in [-1, 1). */
function toFloat(channel: Int16Array, from: number, to: number, into: Float32Array): Float32Array {
  const view = into.subarray(0, to - from);
  for (let i = from; i < to; i++) view[i - from] = (channel[i] as number) / 32768;
  return view;
}
