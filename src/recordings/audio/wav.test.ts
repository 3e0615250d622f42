/**
 * WAV decoding against sox: the fixtures are written by sox (the encoder PBX files most resemble),
 * and every decoded sample is compared with sox's own conversion of the same file to 16-bit — so
 * the G.711 tables, the 8-bit offset and the 24/32-bit rounding are checked against a reference,
 * not against themselves.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ALAW, MULAW } from './g711';
import { concat, interleave16, riff, chunk, tone, wavFile } from './testing/signals';
import { AudioFormatError, decodeWav, isWav, readWav, type Pcm } from './wav';

const dir = mkdtempSync(join(tmpdir(), 'calltrail-wav-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sox(...args: string[]): void {
  execFileSync('sox', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
}

function soxInfo(file: string, flag: '-r' | '-c' | '-s'): number {
  return Number(execFileSync('sox', ['--i', flag, file], { encoding: 'utf8', timeout: 20_000 }).trim());
}

/** sox's own reading of `file` as 16-bit interleaved samples (no dither: exact conversions). */
function soxSamples(file: string, type: string[] = []): Int16Array {
  const raw = join(dir, 'reference.raw');
  sox('-D', ...type, file, '-t', 'raw', '-e', 'signed-integer', '-b', '16', '-L', raw);
  const bytes = readFileSync(raw);
  return new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2).slice();
}

function interleaved(pcm: Pcm): Int16Array {
  const n = pcm.channels[0]?.length ?? 0;
  const out = new Int16Array(n * pcm.channels.length);
  for (const [ch, c] of pcm.channels.entries()) {
    for (const [i, v] of c.entries()) out[i * pcm.channels.length + ch] = v;
  }
  return out;
}

function maxDifference(a: Int16Array, b: Int16Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

/** A sox-written WAV: a tone on the left, noise on the right when stereo; an odd length on purpose. */
function soxWav(name: string, rate: number, channels: number, encoding: string[], seconds = 1.2345): string {
  const file = join(dir, `${name}.wav`);
  const synth = channels === 2 ? ['sine', '440', 'whitenoise'] : ['sine', '440'];
  sox('-n', '-r', String(rate), '-c', String(channels), ...encoding, file, 'synth', String(seconds), ...synth, 'vol', '0.7');
  return file;
}

const FIXTURES: { name: string; rate: number; channels: number; encoding: string[]; tolerance: number; expected: string }[] = [
  { name: 'pcm16-8k-mono', rate: 8000, channels: 1, encoding: ['-b', '16', '-e', 'signed-integer'], tolerance: 0, expected: 'pcm' },
  { name: 'pcm16-16k-stereo', rate: 16000, channels: 2, encoding: ['-b', '16', '-e', 'signed-integer'], tolerance: 0, expected: 'pcm' },
  { name: 'pcm8-8k-mono', rate: 8000, channels: 1, encoding: ['-b', '8', '-e', 'unsigned-integer'], tolerance: 0, expected: 'pcm' },
  { name: 'ulaw-8k-mono', rate: 8000, channels: 1, encoding: ['-e', 'u-law'], tolerance: 0, expected: 'mulaw' },
  { name: 'alaw-8k-mono', rate: 8000, channels: 1, encoding: ['-e', 'a-law'], tolerance: 0, expected: 'alaw' },
  { name: 'ulaw-8k-stereo', rate: 8000, channels: 2, encoding: ['-e', 'u-law'], tolerance: 0, expected: 'mulaw' },
  { name: 'alaw-16k-stereo', rate: 16000, channels: 2, encoding: ['-e', 'a-law'], tolerance: 0, expected: 'alaw' },
  // sox writes 24- and 32-bit as WAVE_FORMAT_EXTENSIBLE.
  { name: 'pcm24-16k-mono', rate: 16000, channels: 1, encoding: ['-b', '24'], tolerance: 0, expected: 'pcm' },
  { name: 'pcm32-8k-stereo', rate: 8000, channels: 2, encoding: ['-b', '32'], tolerance: 0, expected: 'pcm' },
  { name: 'float32-8k-mono', rate: 8000, channels: 1, encoding: ['-e', 'floating-point', '-b', '32'], tolerance: 1, expected: 'float' },
];

describe('decodeWav on sox-written files', () => {
  it.each(FIXTURES)('$name: length, rate, channels and every sample as sox reads them', ({ name, rate, channels, encoding, tolerance, expected }) => {
    const file = soxWav(name, rate, channels, encoding);
    const bytes = new Uint8Array(readFileSync(file));
    const info = readWav(bytes);
    expect(info.encoding).toBe(expected);
    const pcm = decodeWav(bytes);
    expect(pcm.sampleRate).toBe(soxInfo(file, '-r'));
    expect(pcm.channels).toHaveLength(soxInfo(file, '-c'));
    // sox --i -s counts sample frames (samples per channel).
    expect(pcm.channels[0]?.length).toBe(soxInfo(file, '-s'));
    expect(pcm.channels[0]).toHaveLength(Math.round(1.2345 * rate));
    expect(maxDifference(interleaved(pcm), soxSamples(file))).toBeLessThanOrEqual(tolerance);
    // Not silence: a decoder that returned zeros would match nothing above, but say it plainly.
    expect(Math.max(...(pcm.channels[0] as Int16Array).subarray(0, 400))).toBeGreaterThan(5000);
  });

  it('an empty recording: sox writes a 44-byte header, which decodes to no samples', () => {
    const file = join(dir, 'empty.wav');
    sox('-n', '-r', '8000', '-c', '1', '-b', '16', file, 'trim', '0', '0');
    const bytes = new Uint8Array(readFileSync(file));
    expect(bytes.length).toBe(44);
    expect(readWav(bytes).frames).toBe(0);
    expect(decodeWav(bytes)).toEqual({ sampleRate: 8000, channels: [new Int16Array(0)] });
  });
});

describe('G.711 and 8-bit tables against sox, every code', () => {
  const codes = Uint8Array.from({ length: 256 }, (_, i) => i);
  it.each([
    ['µ-law', 7, MULAW],
    ['A-law', 6, ALAW],
  ] as const)('%s', (_name, code, table) => {
    const file = join(dir, `codes-${code}.wav`);
    const bytes = wavFile({ code, channels: 1, sampleRate: 8000, bits: 8, data: codes });
    writeFileSync(file, bytes);
    const reference = soxSamples(file);
    expect(Array.from(table)).toEqual(Array.from(reference));
    expect(Array.from(decodeWav(bytes).channels[0] as Int16Array)).toEqual(Array.from(reference));
  });

  it('unsigned 8-bit PCM', () => {
    const file = join(dir, 'codes-u8.wav');
    const bytes = wavFile({ code: 1, channels: 1, sampleRate: 8000, bits: 8, data: codes });
    writeFileSync(file, bytes);
    expect(Array.from(decodeWav(bytes).channels[0] as Int16Array)).toEqual(Array.from(soxSamples(file)));
  });
});

describe('headers PBXs leave unfinished', () => {
  const samples = tone(0.25, 8000, 440);
  const data = interleave16(samples);
  const finalized = wavFile({ code: 1, channels: 1, sampleRate: 8000, bits: 16, data });

  it.each([
    ['0', 0],
    ['0xFFFFFFFF', 0xffffffff],
    ['larger than the file (a cut download)', data.length + 10_000],
  ])('data size %s: the samples run to the end of the file', (_what, dataSize) => {
    const open = wavFile({ code: 1, channels: 1, sampleRate: 8000, bits: 16, data, dataSize });
    // The RIFF size of an unfinished file is as wrong as the data size.
    new DataView(open.buffer).setUint32(4, 0, true);
    expect(decodeWav(open).channels[0]).toEqual(samples);
    expect(decodeWav(open)).toEqual(decodeWav(finalized));
  });

  it('a sox file whose size fields were zeroed decodes as sox reads the finalized one', () => {
    const file = soxWav('to-unfinalize', 8000, 1, ['-b', '16', '-e', 'signed-integer']);
    const bytes = new Uint8Array(readFileSync(file));
    const patched = bytes.slice();
    const view = new DataView(patched.buffer);
    view.setUint32(4, 0, true);
    view.setUint32(40, 0, true);
    expect(String.fromCharCode(...patched.subarray(36, 40))).toBe('data');
    expect(interleaved(decodeWav(patched))).toEqual(soxSamples(file));
  });

  it('a trailing partial sample frame (the left sample only) is ignored', () => {
    const stereo = wavFile({ code: 1, channels: 2, sampleRate: 8000, bits: 16, data: concat(interleave16(samples, samples), new Uint8Array(2)), dataSize: 0 });
    expect(readWav(stereo).frames).toBe(samples.length);
  });

  it('a fmt chunk after the data chunk, and unknown chunks around them', () => {
    const reordered = wavFile({ code: 1, channels: 1, sampleRate: 8000, bits: 16, data, fmtAfterData: true });
    expect(decodeWav(reordered).channels[0]).toEqual(samples);
    const fmt = wavFile({ code: 1, channels: 1, sampleRate: 8000, bits: 16, data: new Uint8Array(0) }).subarray(12, 36);
    const withList = riff([chunk('LIST', new Uint8Array(7)), fmt, chunk('fact', new Uint8Array(4)), chunk('data', data)]);
    expect(decodeWav(withList).channels[0]).toEqual(samples);
  });

  it('WAVE_FORMAT_EXTENSIBLE with a µ-law sub-format', () => {
    const bytes = wavFile({ code: 0xfffe, subFormat: 7, channels: 1, sampleRate: 8000, bits: 8, data: Uint8Array.of(0, 0x7f, 0x80, 0xff) });
    expect(Array.from(decodeWav(bytes).channels[0] as Int16Array)).toEqual([MULAW[0], MULAW[0x7f], MULAW[0x80], MULAW[0xff]]);
  });
});

describe('what is not a WAV we can read', () => {
  const error = (bytes: Uint8Array) => {
    try {
      decodeWav(bytes);
    } catch (caught) {
      expect(caught).toBeInstanceOf(AudioFormatError);
      return (caught as Error).message;
    }
    throw new Error('decoded');
  };

  it.each([
    ['gsm-full-rate', /GSM 6\.10 \("wav49"\)/],
    ['ima-adpcm', /IMA ADPCM/],
    ['ms-adpcm', /Microsoft ADPCM/],
  ])('sox %s WAV: named in the error', (encoding, message) => {
    const file = soxWav(encoding, 8000, 1, ['-e', encoding], 0.5);
    expect(error(new Uint8Array(readFileSync(file)))).toMatch(message);
  });

  it('three channels (sox)', () => {
    const file = join(dir, 'three.wav');
    sox('-n', '-r', '8000', '-c', '3', '-b', '16', file, 'synth', '0.1', 'sine', '440');
    expect(error(new Uint8Array(readFileSync(file)))).toMatch(/3 channels/);
  });

  it('not RIFF, RIFF but not WAVE, no fmt chunk, a short fmt, an implausible rate, 12-bit PCM', () => {
    expect(isWav(new TextEncoder().encode('ID3\x03\x00\x00\x00\x00\x00\x00'))).toBe(false);
    expect(error(new TextEncoder().encode('<html>not found</html>'))).toMatch(/not a RIFF\/WAVE/);
    expect(error(new TextEncoder().encode('RIFF\x04\x00\x00\x00AVI LIST'))).toMatch(/not a RIFF\/WAVE/);
    expect(error(riff([chunk('data', new Uint8Array(8))]))).toMatch(/without a fmt chunk/);
    expect(error(riff([chunk('fmt ', new Uint8Array(8)), chunk('data', new Uint8Array(8))]))).toMatch(/fmt chunk too short/);
    expect(error(wavFile({ code: 1, channels: 1, sampleRate: 100, bits: 16, data: new Uint8Array(8) }))).toMatch(/100 Hz/);
    expect(error(wavFile({ code: 1, channels: 1, sampleRate: 8000, bits: 12, data: new Uint8Array(8) }))).toMatch(/12-bit pcm/);
    expect(error(wavFile({ code: 7, channels: 1, sampleRate: 8000, bits: 16, data: new Uint8Array(8) }))).toMatch(/16-bit mulaw/);
  });
});
