/**
 * Test signals and probes for the audio tests: tones, hand-made WAV and ID3 bytes (for the cases
 * sox will not write: every G.711 code, broken headers), and a Goertzel filter to check that a
 * tone came out at the frequency it went in. Pure functions, no Node: the architecture test
 * holds every non-test file under src/ to the workerd rules.
 * @module
 */
import type { Pcm } from '../wav';

/** A sine at `frequency`, `seconds` long, at `amplitude` (16-bit full scale is 32767). */
export function tone(seconds: number, sampleRate: number, frequency: number, amplitude = 8000): Int16Array {
  const out = new Int16Array(Math.round(seconds * sampleRate));
  for (let i = 0; i < out.length; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * frequency * i) / sampleRate));
  return out;
}

export function pcm(sampleRate: number, ...channels: Int16Array[]): Pcm {
  return { sampleRate, channels };
}

/**
 * Relative power of `frequency` in the samples (Goertzel), normalised so a full-length sine of
 * amplitude A gives about A²/4 whatever the length.
 */
export function power(samples: ArrayLike<number>, sampleRate: number, frequency: number, from = 0, to = samples.length): number {
  const k = 2 * Math.cos((2 * Math.PI * frequency) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (let i = from; i < to; i++) {
    const s0 = (samples[i] as number) + k * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const n = to - from;
  return (s1 * s1 + s2 * s2 - k * s1 * s2) / (n * n);
}

export interface WavSpec {
  /** 1 PCM, 3 float, 6 A-law, 7 µ-law, 0x31 GSM, 0xfffe extensible (then `subFormat`). */
  code: number;
  channels: number;
  sampleRate: number;
  bits: number;
  data: Uint8Array;
  subFormat?: number;
  /** What the data chunk's size field says (default: the data's length). */
  dataSize?: number;
  /** Chunks to put after the data chunk (fmt after data is legal). */
  fmtAfterData?: boolean;
}

/** A RIFF/WAVE file as specified: fmt (16 bytes, or 40 for extensible), then data. */
export function wavFile(spec: WavSpec): Uint8Array {
  const extensible = spec.code === 0xfffe;
  const fmt = new Uint8Array(extensible ? 40 : 16);
  const f = new DataView(fmt.buffer);
  const blockAlign = (spec.bits / 8) * spec.channels;
  f.setUint16(0, spec.code, true);
  f.setUint16(2, spec.channels, true);
  f.setUint32(4, spec.sampleRate, true);
  f.setUint32(8, spec.sampleRate * blockAlign, true);
  f.setUint16(12, blockAlign, true);
  f.setUint16(14, spec.bits, true);
  if (extensible) {
    f.setUint16(16, 22, true);
    f.setUint16(18, spec.bits, true);
    f.setUint16(24, spec.subFormat ?? 1, true);
    // The rest of the KSDATAFORMAT GUID: 0000-0010-8000-00AA00389B71.
    fmt.set([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71], 26);
  }
  const fmtChunk = chunk('fmt ', fmt);
  const dataChunk = chunk('data', spec.data, spec.dataSize);
  const body = spec.fmtAfterData ? [dataChunk, fmtChunk] : [fmtChunk, dataChunk];
  return riff(body);
}

export function chunk(id: string, body: Uint8Array, size = body.length): Uint8Array {
  const out = new Uint8Array(8 + body.length + (body.length % 2));
  out.set(ascii(id), 0);
  new DataView(out.buffer).setUint32(4, size, true);
  out.set(body, 8);
  return out;
}

export function riff(chunks: readonly Uint8Array[]): Uint8Array {
  const body = concat(ascii('WAVE'), ...chunks);
  const out = concat(ascii('RIFF'), new Uint8Array(4), body);
  new DataView(out.buffer).setUint32(4, body.length, true);
  return out;
}

/** 16-bit little-endian interleaved bytes of the channels. */
export function interleave16(...channels: Int16Array[]): Uint8Array {
  const frames = channels[0]?.length ?? 0;
  const out = new Uint8Array(frames * channels.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < frames; i++) {
    for (const [ch, c] of channels.entries()) view.setInt16((i * channels.length + ch) * 2, c[i] as number, true);
  }
  return out;
}

/** An ID3v2.3 tag around `payload`, with the footer flag when asked (the footer itself is ID3v2.4's). */
export function id3v2(payload: Uint8Array, footer = false): Uint8Array {
  const size = payload.length;
  const header = Uint8Array.from([
    0x49,
    0x44,
    0x33,
    footer ? 4 : 3,
    0,
    footer ? 0x10 : 0,
    (size >> 21) & 0x7f,
    (size >> 14) & 0x7f,
    (size >> 7) & 0x7f,
    size & 0x7f,
  ]);
  const tail = footer ? Uint8Array.from([0x33, 0x44, 0x49, 4, 0, 0x10, ...header.subarray(6)]) : new Uint8Array(0);
  return concat(header, payload, tail);
}

/** A 128-byte ID3v1 tag. */
export function id3v1(title: string): Uint8Array {
  const out = new Uint8Array(128);
  out.set(ascii('TAG'), 0);
  out.set(ascii(title.slice(0, 30)), 3);
  return out;
}

/** An APEv2 tag with header and footer around one text item. */
export function apev2(key: string, value: string): Uint8Array {
  const item = concat(new Uint8Array(8), ascii(key), new Uint8Array(1), ascii(value));
  new DataView(item.buffer).setUint32(0, value.length, true);
  const block = (isHeader: boolean) => {
    const b = new Uint8Array(32);
    const v = new DataView(b.buffer);
    b.set(ascii('APETAGEX'), 0);
    v.setUint32(8, 2000, true);
    v.setUint32(12, item.length + 32, true);
    v.setUint32(16, 1, true);
    v.setUint32(20, (0x80000000 | (isHeader ? 0x20000000 : 0)) >>> 0, true);
    return b;
  };
  return concat(block(true), item, block(false));
}

/** Deterministic pseudo-random bytes (xorshift32). */
export function noiseBytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
}
