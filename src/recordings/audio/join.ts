/**
 * Joining the segments of one conversation (a transfer: caller with the secretary, then with the
 * rep) into one stream: the highest sample rate among them (rounded up to a rate MP3 can carry,
 * capped at 24 kHz) and stereo when any segment is stereo — so nothing audible is lost — with the
 * others resampled and mono copied to both channels. `conform` brings one segment to a given format, so the encoder can take
 * the segments one by one instead of one joined copy of the whole call.
 * @module
 */
import { resample } from './resample';
import type { Pcm } from './wav';

export interface PcmFormat {
  sampleRate: number;
  channelCount: 1 | 2;
}

/** Sample rates MP3 (MPEG-1/2/2.5 layer III) can carry. */
export const MP3_RATES = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000] as const;

/** The smallest MP3 sample rate at or above `rate` (48 kHz above that). */
export function mp3Rate(rate: number): number {
  return MP3_RATES.find((r) => r >= rate) ?? 48000;
}

/**
 * The highest rate we encode at. A call is speech: above 12 kHz of bandwidth there is nothing to
 * hear, while MPEG-1 rates (32–48 kHz, from FreeSWITCH's Opus/WebRTC calls) cost LAME about
 * four times the CPU of 24 kHz — the difference between seconds and the better part of a
 * minute for a long stereo call on a Worker.
 */
export const MAX_RATE = 24000;

/** The format every segment is brought to: highest rate as an MP3 rate (≤ MAX_RATE), stereo if any is. */
export function joinFormat(segments: readonly PcmFormat[]): PcmFormat {
  return {
    sampleRate: Math.min(MAX_RATE, mp3Rate(Math.max(8000, ...segments.map((s) => s.sampleRate)))),
    channelCount: segments.some((s) => s.channelCount === 2) ? 2 : 1,
  };
}

export function formatOf(pcm: Pcm): PcmFormat {
  return { sampleRate: pcm.sampleRate, channelCount: pcm.channels.length > 1 ? 2 : 1 };
}

/**
 * One segment in `to`'s rate and channels. Stereo to mono (only when joined to a mono MP3)
 * averages the channels: in a PBX's stereo file each side is one party, rarely both at once.
 */
export function conform(pcm: Pcm, to: PcmFormat): Pcm {
  let channels = pcm.channels;
  if (to.channelCount === 1 && channels.length === 2) channels = [average(channels[0] as Int16Array, channels[1] as Int16Array)];
  channels = channels.map((c) => resample(c, pcm.sampleRate, to.sampleRate));
  if (to.channelCount === 2 && channels.length === 1) channels = [channels[0] as Int16Array, channels[0] as Int16Array];
  return { sampleRate: to.sampleRate, channels };
}

export function joinSegments(segments: readonly Pcm[]): Pcm {
  const format = joinFormat(segments.map(formatOf));
  const parts = segments.map((s) => conform(s, format).channels);
  const length = parts.reduce((sum, p) => sum + (p[0]?.length ?? 0), 0);
  const channels = Array.from({ length: format.channelCount }, () => new Int16Array(length));
  let at = 0;
  for (const part of parts) {
    for (const [ch, c] of part.entries()) (channels[ch] as Int16Array).set(c, at);
    at += part[0]?.length ?? 0;
  }
  return { sampleRate: format.sampleRate, channels };
}

export function durationMs(pcm: Pcm): number {
  return Math.round(((pcm.channels[0]?.length ?? 0) * 1000) / pcm.sampleRate);
}

function average(a: Int16Array, b: Int16Array): Int16Array {
  const out = new Int16Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = ((a[i] as number) + (b[i] as number)) >> 1;
  return out;
}
