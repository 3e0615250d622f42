/**
 * The one MP3 of a conversation from its segments (a transfer gives several files), in the order
 * given. Formats are told by content, never by name.
 *
 * - One MP3 segment: stored as is, byte for byte.
 * - Only WAV: decoded, brought to one format (joinFormat: the highest rate up to 24 kHz, stereo
 *   if any is) and encoded once, as one stream: no gap at the seams.
 * - Several MP3s: their frames concatenated (tags dropped) — they must share sample rate and
 *   channel count, since without an MP3 decoder (there is none on workerd) they cannot be brought
 *   to one; a mismatch is an AudioFormatError naming both segments, not a silently partial call.
 * - MP3 and WAV: each run of consecutive WAVs is encoded at the first MP3's rate and channel
 *   count and its frames put between the MP3s' frames. At each seam between two separately encoded
 *   parts the padding and encoder delay stay in as up to ~0.2 s of silence (only the stream's very
 *   first delay and very last padding are trimmed, through the Info tag).
 * - Every assembled file starts with an Info/Xing frame (frame count, seek table, gapless delay
 *   and padding); durationMs is what a gapless player (browsers, mpg123, ffmpeg) plays — one that
 *   ignores the tag plays about 0.1–0.2 s more, silence at the ends.
 * - Decoding is lazy: a WAV's samples exist only while the encoder works on that segment.
 * - A segment with no samples (a 0-byte file, a WAV header without data, an MP3 that is only
 *   tags) is skipped; if nothing is left, EmptyAudioError.
 * @module
 */
import { detectAudio } from './detect';
import { concatFrames, parseMp3, mp3DurationMs, type Mp3Audio } from './frames';
import { frameHeader, type FrameHeader } from './header';
import { conform, joinFormat, type PcmFormat } from './join';
import { encodeMp3, ENCODER_DELAY } from './mp3';
import { AudioFormatError, decodePcm, readWav, type Pcm, type WavInfo } from './wav';
import { infoFrame, playedSamples, type Gapless } from './xing';

export interface AudioSegment {
  bytes: Uint8Array;
  /** For error messages only. */
  name?: string;
}

export interface CallAudio {
  mp3: Uint8Array;
  durationMs: number;
  /** Segments that went into the file (empty ones skipped are not counted). */
  segments: number;
  /** False when the MP3 holds only the PBX's own frames (as is, or concatenated). */
  transcoded: boolean;
}

/** Every segment was empty: there is nothing to play. */
export class EmptyAudioError extends AudioFormatError {
  constructor(message: string) {
    super(message);
    this.name = 'EmptyAudioError';
  }
}

type Input = { label: string; kind: 'wav'; wav: WavInfo } | { label: string; kind: 'mp3'; mp3: Mp3Audio; bytes: Uint8Array };

/** A stretch of frames of the output and what to trim at its ends for gapless playback. */
interface Run {
  frames: Uint8Array[];
  bitrate: number | null;
  gapless: Gapless;
}

export async function buildCallAudio(segments: readonly AudioSegment[]): Promise<CallAudio> {
  const inputs = segments.map(read).filter((input): input is Input => input !== null);
  if (inputs.length === 0) throw new EmptyAudioError(segments.length === 0 ? 'no segments' : `no audio: all ${segments.length} segments are empty`);
  const only = inputs[0] as Input;
  if (inputs.length === 1 && only.kind === 'mp3') {
    return { mp3: only.bytes, durationMs: mp3DurationMs(only.mp3), segments: 1, transcoded: false };
  }
  const mp3s = inputs.filter((input) => input.kind === 'mp3');
  const reference = mp3s[0];
  if (!reference) {
    const wavs = inputs.map((input) => (input as { wav: WavInfo }).wav);
    return { ...assemble([await encodeRun(wavs, joinFormat(wavs))]), segments: inputs.length, transcoded: true };
  }
  const format: PcmFormat = { sampleRate: reference.mp3.sampleRate, channelCount: reference.mp3.channelCount };
  for (const other of mp3s) {
    if (other.mp3.sampleRate !== format.sampleRate || other.mp3.channelCount !== format.channelCount) {
      throw new AudioFormatError(
        `${other.label} is an MP3 at ${describe(other.mp3)} but ${reference.label} is at ${describe(reference.mp3)}: ` +
          'MP3s of different formats cannot be joined without an MP3 decoder',
      );
    }
  }
  const runs: Run[] = [];
  let pending: WavInfo[] = [];
  for (const input of inputs) {
    if (input.kind === 'wav') {
      pending.push(input.wav);
      continue;
    }
    if (pending.length) runs.push(await encodeRun(pending, format));
    pending = [];
    runs.push({ frames: input.mp3.frames, bitrate: input.mp3.bitrate, gapless: input.mp3.gapless ?? { delay: 0, padding: 0 } });
  }
  if (pending.length) runs.push(await encodeRun(pending, format));
  return { ...assemble(runs), segments: inputs.length, transcoded: mp3s.length < inputs.length };
}

/** The segment's audio, or null when it has none; errors say which segment. */
function read(segment: AudioSegment, index: number): Input | null {
  const label = `segment ${index + 1}${segment.name ? ` (${segment.name})` : ''}`;
  try {
    const kind = detectAudio(segment.bytes);
    if (kind === 'wav') {
      const wav = readWav(segment.bytes);
      return wav.frames > 0 ? { label, kind, wav } : null;
    }
    if (kind === 'mp3') {
      const mp3 = parseMp3(segment.bytes);
      return mp3.frames.length > 0 ? { label, kind, mp3, bytes: segment.bytes } : null;
    }
    return null;
  } catch (error) {
    if (error instanceof AudioFormatError) throw new AudioFormatError(`${label}: ${error.message}`);
    throw error;
  }
}

/** The WAVs as one encoded stream; each is decoded only when the encoder reaches it. */
async function encodeRun(wavs: readonly WavInfo[], format: PcmFormat): Promise<Run> {
  function* pcm(): Generator<Pcm> {
    for (const wav of wavs) yield conform(decodePcm(wav), format);
  }
  const encoded = await encodeMp3(pcm(), format);
  const audio = parseMp3(encoded.bytes);
  const padding = audio.frames.length * audio.samplesPerFrame - ENCODER_DELAY - encoded.samples;
  return { frames: audio.frames, bitrate: encoded.bitrate, gapless: { delay: ENCODER_DELAY, padding } };
}

function assemble(runs: readonly Run[]): { mp3: Uint8Array; durationMs: number } {
  const frames = runs.flatMap((run) => run.frames);
  const header = frameHeader(frames[0] as Uint8Array, 0) as FrameHeader;
  const bitrates = new Set(runs.map((run) => run.bitrate));
  const bitrate = bitrates.size === 1 ? (runs[0] as Run).bitrate : null;
  // The tag's fields are 12 bits; what it cannot say is not trimmed, nor counted as trimmed.
  const gapless = { delay: Math.min(4095, (runs[0] as Run).gapless.delay), padding: Math.min(4095, (runs[runs.length - 1] as Run).gapless.padding) };
  const mp3 = concatFrames([infoFrame(frames, header, bitrate, gapless), ...frames]);
  const samples = playedSamples(frames.length * header.samples, gapless);
  return { mp3, durationMs: Math.round((samples * 1000) / header.sampleRate) };
}

function describe(audio: Mp3Audio): string {
  return `${audio.sampleRate} Hz ${audio.channelCount === 1 ? 'mono' : 'stereo'}`;
}
