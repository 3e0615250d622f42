/**
 * The 4-byte header of an MPEG audio layer III frame (MPEG-1, 2 and 2.5: 8 to 48 kHz): version,
 * bitrate, sample rate, channel mode, and from them the frame's length and sample count.
 * @module
 */

export type MpegVersion = 1 | 2 | 2.5;

export interface FrameHeader {
  version: MpegVersion;
  /** kbit/s */
  bitrate: number;
  sampleRate: number;
  channelCount: 1 | 2;
  /** A 16-bit CRC follows the header. */
  crc: boolean;
  /** Whole frame in bytes, header included. */
  length: number;
  /** Samples per channel the frame decodes to. */
  samples: number;
  /** Bytes of layer III side information after the header (and CRC). */
  sideInfo: number;
}

/** Layer III bitrates (kbit/s) by index: MPEG-1, then MPEG-2 and 2.5. Index 0 is free format. */
export const BITRATES: Record<'1' | '2', readonly number[]> = {
  '1': [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  '2': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const RATES: Record<string, readonly number[]> = { '1': [44100, 48000, 32000], '2': [22050, 24000, 16000], '2.5': [11025, 12000, 8000] };
/** The 2-bit version field: 0 is MPEG-2.5, 1 reserved, 2 MPEG-2, 3 MPEG-1. */
const VERSIONS: readonly (MpegVersion | null)[] = [2.5, null, 2, 1];

export function bitrateTable(version: MpegVersion): readonly number[] {
  return version === 1 ? BITRATES['1'] : BITRATES['2'];
}

/** Frame length in bytes for a layer III frame of these parameters. */
export function frameLength(version: MpegVersion, bitrate: number, sampleRate: number, padding: boolean): number {
  return Math.floor(((version === 1 ? 144_000 : 72_000) * bitrate) / sampleRate) + (padding ? 1 : 0);
}

/** The layer III frame header at `at`, or null when there is none (other layers included). */
export function frameHeader(bytes: Uint8Array, at: number): FrameHeader | null {
  if (at + 4 > bytes.length) return null;
  const b1 = bytes[at + 1] as number;
  const b2 = bytes[at + 2] as number;
  const b3 = bytes[at + 3] as number;
  if (bytes[at] !== 0xff || (b1 & 0xe0) !== 0xe0) return null;
  const version = VERSIONS[(b1 >> 3) & 3];
  if (!version || ((b1 >> 1) & 3) !== 1) return null;
  const bitrate = bitrateTable(version)[b2 >> 4];
  const sampleRate = RATES[String(version)]?.[(b2 >> 2) & 3];
  // Free format (index 0) has no length in the header; index 15 and emphasis 2 are reserved.
  if (!bitrate || !sampleRate || (b3 & 3) === 2) return null;
  const channelCount = b3 >> 6 === 3 ? 1 : 2;
  return {
    version,
    bitrate,
    sampleRate,
    channelCount,
    crc: (b1 & 1) === 0,
    length: frameLength(version, bitrate, sampleRate, (b2 & 2) !== 0),
    samples: version === 1 ? 1152 : 576,
    sideInfo: version === 1 ? (channelCount === 1 ? 17 : 32) : channelCount === 1 ? 9 : 17,
  };
}
