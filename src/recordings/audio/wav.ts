/**
 * WAV (RIFF) reading for the recordings PBXs write: PCM 8/16/24/32-bit, 32/64-bit float, G.711
 * µ-law and A-law, plain or WAVE_FORMAT_EXTENSIBLE, mono or stereo, any plausible sample rate — as
 * 16-bit samples per channel. Telephony files are often written while the call runs and never
 * finalized (data size 0 or 0xFFFFFFFF, or larger than the file): the data then runs to the end of
 * the file. A 44-byte file is a header with no samples (Asterisk/FreePBX when nobody spoke).
 * `readWav` only walks the chunks, so a caller can learn the format and length without decoding.
 * @module
 */
import { ALAW, MULAW } from './g711';

export interface Pcm {
  sampleRate: number;
  /** One Int16Array per channel, all the same length. */
  channels: Int16Array[];
}

export class AudioFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AudioFormatError';
  }
}

export type WavEncoding = 'pcm' | 'float' | 'alaw' | 'mulaw';

export interface WavInfo {
  encoding: WavEncoding;
  sampleRate: number;
  channelCount: 1 | 2;
  bitsPerSample: number;
  /** Sample frames (samples per channel) in the data chunk; a trailing partial frame is ignored. */
  frames: number;
  /** The data chunk's bytes (a view, not a copy). */
  data: Uint8Array;
}

const ENCODINGS: Record<number, WavEncoding> = { 1: 'pcm', 3: 'float', 6: 'alaw', 7: 'mulaw' };
const FORMAT_EXTENSIBLE = 0xfffe;
/** Codecs PBXs are known to put in WAV files that we do not decode: named in the error message. */
const UNSUPPORTED: Record<number, string> = {
  0x0002: 'Microsoft ADPCM',
  0x0011: 'IMA ADPCM',
  0x0031: 'GSM 6.10 ("wav49")',
  0x0050: 'MPEG audio',
  0x0055: 'MP3',
};

export function isWav(bytes: Uint8Array): boolean {
  return bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WAVE';
}

export function readWav(bytes: Uint8Array): WavInfo {
  if (!isWav(bytes)) throw new AudioFormatError('not a RIFF/WAVE file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let format: { code: number; channels: number; sampleRate: number; bits: number } | null = null;
  let data: Uint8Array | null = null;
  let offset = 12;
  // Chunks in any order (a fmt after the data is legal); stop at a data chunk that runs to the end.
  while (offset + 8 <= bytes.length && !(format && data)) {
    const id = ascii(bytes, offset, 4);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'data') {
      const open = size === 0 || size === 0xffffffff || body + size > bytes.length;
      data = bytes.subarray(body, open ? bytes.length : body + size);
      if (open) break;
    } else if (id === 'fmt ') {
      if (size < 16 || body + 16 > bytes.length) throw new AudioFormatError('fmt chunk too short');
      let code = view.getUint16(body, true);
      // The real format code is the first two bytes of the SubFormat GUID.
      if (code === FORMAT_EXTENSIBLE && size >= 26 && body + 26 <= bytes.length) code = view.getUint16(body + 24, true);
      format = { code, channels: view.getUint16(body + 2, true), sampleRate: view.getUint32(body + 4, true), bits: view.getUint16(body + 14, true) };
    }
    offset = body + size + (size % 2);
  }
  if (!format) throw new AudioFormatError('WAV without a fmt chunk');
  const encoding = ENCODINGS[format.code];
  if (!encoding) {
    const name = UNSUPPORTED[format.code] ?? `format 0x${format.code.toString(16).padStart(4, '0')}`;
    throw new AudioFormatError(`WAV with ${name} audio is not supported (PCM, float, A-law and µ-law are)`);
  }
  if (format.channels !== 1 && format.channels !== 2) throw new AudioFormatError(`WAV with ${format.channels} channels: only mono and stereo are supported`);
  if (format.sampleRate < 4000 || format.sampleRate > 192_000) throw new AudioFormatError(`WAV sample rate ${format.sampleRate} Hz is not plausible`);
  const valid = encoding === 'pcm' ? [8, 16, 24, 32] : encoding === 'float' ? [32, 64] : [8];
  if (!valid.includes(format.bits)) throw new AudioFormatError(`${format.bits}-bit ${encoding} WAV is not supported`);
  const body = data ?? new Uint8Array(0);
  const frames = Math.floor(body.length / ((format.bits / 8) * format.channels));
  return { encoding, sampleRate: format.sampleRate, channelCount: format.channels, bitsPerSample: format.bits, frames, data: body };
}

export function decodeWav(bytes: Uint8Array): Pcm {
  return decodePcm(readWav(bytes));
}

/** The samples of a WAV already read with readWav. */
export function decodePcm(info: WavInfo): Pcm {
  return { sampleRate: info.sampleRate, channels: deinterleave(info) };
}

function deinterleave(info: WavInfo): Int16Array[] {
  const { data, frames, channelCount } = info;
  const width = info.bitsPerSample / 8;
  const read = sampleReader(info);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out: Int16Array[] = [];
  for (let ch = 0; ch < channelCount; ch++) {
    const channel = new Int16Array(frames);
    const stride = width * channelCount;
    for (let i = 0, at = ch * width; i < frames; i++, at += stride) channel[i] = read(view, at);
    out.push(channel);
  }
  return out;
}

type Reader = (view: DataView, at: number) => number;

function sampleReader(info: WavInfo): Reader {
  switch (info.encoding) {
    case 'mulaw':
      return (view, at) => MULAW[view.getUint8(at)] as number;
    case 'alaw':
      return (view, at) => ALAW[view.getUint8(at)] as number;
    case 'float':
      return info.bitsPerSample === 32 ? (view, at) => fromFloat(view.getFloat32(at, true)) : (view, at) => fromFloat(view.getFloat64(at, true));
    case 'pcm':
      break;
  }
  switch (info.bitsPerSample) {
    case 8:
      // 8-bit WAV is unsigned, centred on 128.
      return (view, at) => (view.getUint8(at) - 128) << 8;
    case 16:
      return (view, at) => view.getInt16(at, true);
    // Wider samples are rounded to 16 bits, not truncated (truncation biases every sample down
    // by half a step) — as sox does, so the tests can compare with it exactly.
    case 24:
      return (view, at) => clip((((view.getInt8(at + 2) << 16) | (view.getUint8(at + 1) << 8) | view.getUint8(at)) + 0x80) >> 8);
    default:
      return (view, at) => clip(Math.floor((view.getInt32(at, true) + 0x8000) / 0x10000));
  }
}

function fromFloat(value: number): number {
  return clip(Math.round(value * 32768) || 0);
}

function clip(value: number): number {
  return Math.min(32767, Math.max(-32768, value));
}

function ascii(bytes: Uint8Array, at: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + length));
}
