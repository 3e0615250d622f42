/**
 * Frame parsing: headers against known bytes, sox-written MP3s counted against mpg123, tags and
 * junk around and between the frames, and bytes that only look like MP3.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MPEGDecoder, type MPEGDecodedAudio } from 'mpg123-decoder';
import { afterAll, describe, expect, it } from 'vitest';
import { concatFrames, isMp3, mp3DurationMs, parseMp3 } from './frames';
import { frameHeader } from './header';
import { encodeMp3 } from './mp3';
import { audioRange } from './tags';
import { apev2, ascii, concat, id3v1, id3v2, noiseBytes, pcm, tone, wavFile } from './testing/signals';
import { AudioFormatError } from './wav';

const dir = mkdtempSync(join(tmpdir(), 'calltrail-frames-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An MP3 written by sox (libmp3lame): no Xing tag, no ID3. */
function soxMp3(name: string, rate: number, channels: number, seconds: number, extra: string[] = []): Uint8Array {
  const file = join(dir, `${name}.mp3`);
  execFileSync('sox', ['-n', '-r', String(rate), '-c', String(channels), ...extra, file, 'synth', String(seconds), 'sine', '440'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 20_000,
  });
  return new Uint8Array(readFileSync(file));
}

async function decode(bytes: Uint8Array, enableGapless = false): Promise<MPEGDecodedAudio> {
  const decoder = new MPEGDecoder({ enableGapless });
  await decoder.ready;
  try {
    return decoder.decode(bytes);
  } finally {
    decoder.free();
  }
}

describe('frameHeader', () => {
  it('reads MPEG-2.5, MPEG-2 and MPEG-1 layer III headers', () => {
    expect(frameHeader(Uint8Array.of(0xff, 0xe3, 0x38, 0xc4), 0)).toEqual({
      version: 2.5,
      bitrate: 24,
      sampleRate: 8000,
      channelCount: 1,
      crc: false,
      length: 216,
      samples: 576,
      sideInfo: 9,
    });
    expect(frameHeader(Uint8Array.of(0xff, 0xf3, 0x80, 0x04), 0)).toMatchObject({
      version: 2,
      bitrate: 64,
      sampleRate: 22050,
      channelCount: 2,
      length: 208,
      sideInfo: 17,
    });
    // 128 kbit/s, 44.1 kHz, padded, joint stereo, with CRC.
    expect(frameHeader(Uint8Array.of(0xff, 0xfa, 0x92, 0x44), 0)).toMatchObject({
      version: 1,
      bitrate: 128,
      sampleRate: 44100,
      crc: true,
      length: 418,
      samples: 1152,
      sideInfo: 32,
    });
  });

  it('is null for layers I and II, reserved fields, free format, and too few bytes', () => {
    expect(frameHeader(Uint8Array.of(0xff, 0xfd, 0x64, 0xc4), 0)).toBeNull(); // layer II
    expect(frameHeader(Uint8Array.of(0xff, 0xff, 0x64, 0xc4), 0)).toBeNull(); // layer I
    expect(frameHeader(Uint8Array.of(0xff, 0xeb, 0x38, 0xc4), 0)).toBeNull(); // version 01
    expect(frameHeader(Uint8Array.of(0xff, 0xfb, 0xf0, 0xc4), 0)).toBeNull(); // bitrate 15
    expect(frameHeader(Uint8Array.of(0xff, 0xfb, 0x0c, 0xc4), 0)).toBeNull(); // rate 3, free format
    expect(frameHeader(Uint8Array.of(0xff, 0xfb, 0x90, 0xc6), 0)).toBeNull(); // emphasis 2
    expect(frameHeader(Uint8Array.of(0xff, 0xfb, 0x90), 0)).toBeNull();
  });
});

describe('parseMp3 on sox-written files', () => {
  it.each([
    ['8 kHz mono 32 kbit/s', 8000, 1, ['-C', '32']],
    ['8 kHz mono, sox default (8 kbit/s)', 8000, 1, []],
    ['16 kHz stereo', 16000, 2, []],
    ['44.1 kHz stereo', 44100, 2, []],
  ] as const)('%s: the frames mpg123 decodes, rate and channels as sox says', async (_name, rate, channels, extra) => {
    const bytes = soxMp3(`${rate}-${channels}-${extra.length}`, rate, channels, 1.7, [...extra]);
    const audio = parseMp3(bytes);
    expect(audio).toMatchObject({ sampleRate: rate, channelCount: channels, gapless: null, skippedBytes: 0 });
    expect(audio.bitrate).not.toBeNull();
    const decoded = await decode(bytes);
    expect(decoded.sampleRate).toBe(rate);
    expect(audio.frames.length * audio.samplesPerFrame).toBe(decoded.samplesDecoded);
    expect(mp3DurationMs(audio)).toBe(Math.round((decoded.samplesDecoded * 1000) / rate));
    expect(concatFrames(audio.frames)).toEqual(bytes);
    expect(isMp3(bytes)).toBe(true);
  });
});

// Top level: it.each's table below is built from these at collection time.
const plain = (await encodeMp3([pcm(8000, tone(1, 8000, 440))], { sampleRate: 8000, channelCount: 1 })).bytes;
const frames = parseMp3(plain).frames;
// A fake frame sync inside the tag: the parser must skip the tag, not believe the sync.
const fakeSync = concat(ascii('TIT2'), Uint8Array.of(0, 0, 0, 8, 0, 0), plain.subarray(0, 4), plain.subarray(0, 4));

describe('tags and junk', () => {
  it.each([
    ['ID3v2', concat(id3v2(fakeSync), plain)],
    ['ID3v2.4 with footer, twice', concat(id3v2(fakeSync, true), id3v2(noiseBytes(300)), plain)],
    ['ID3v1', concat(plain, id3v1('call 42'))],
    ['APEv2 then ID3v1', concat(id3v2(fakeSync), plain, apev2('Title', 'call'), id3v1('call'))],
  ])('%s: the same frames, nothing skipped', (_name, tagged) => {
    const audio = parseMp3(tagged);
    expect(audio.frames).toEqual(frames);
    expect(audio.skippedBytes).toBe(0);
    expect(concatFrames(audio.frames)).toEqual(plain);
    expect(isMp3(tagged)).toBe(true);
  });

  it('audioRange finds where the audio starts and ends', () => {
    const head = id3v2(fakeSync, true);
    const tail = concat(apev2('A', 'b'), id3v1('x'));
    expect(audioRange(concat(head, plain, tail))).toEqual({ start: head.length, end: head.length + plain.length });
    expect(audioRange(plain)).toEqual({ start: 0, end: plain.length });
  });

  it('junk between frames is skipped and counted', () => {
    const junk = noiseBytes(333, 7);
    const at = (frames[0] as Uint8Array).length * 3;
    const audio = parseMp3(concat(plain.subarray(0, at), junk, plain.subarray(at)));
    expect(audio.frames).toEqual(frames);
    expect(audio.skippedBytes).toBe(junk.length);
  });

  it('a truncated last frame is dropped; a file of tags only has no frames', () => {
    const audio = parseMp3(plain.subarray(0, plain.length - 50));
    expect(audio.frames).toEqual(frames.slice(0, -1));
    expect(audio.skippedBytes).toBe((frames.at(-1) as Uint8Array).length - 50);
    expect(parseMp3(concat(id3v2(noiseBytes(100)), id3v1('empty'))).frames).toEqual([]);
  });

  it('a file of one frame is MP3: the frame ends exactly where the file does', () => {
    const one = frames[0] as Uint8Array;
    expect(isMp3(one)).toBe(true);
    expect(parseMp3(one).frames).toEqual([one]);
    expect(isMp3(one.subarray(0, one.length - 1))).toBe(false);
  });

  it('frames of another rate mid-file are junk, not a second stream', async () => {
    const other = (await encodeMp3([pcm(16000, tone(0.2, 16000, 440))], { sampleRate: 16000, channelCount: 1 })).bytes;
    const audio = parseMp3(concat(plain, other));
    expect(audio.frames).toEqual(frames);
    expect(audio.skippedBytes).toBe(other.length);
  });
});

describe('not MP3', () => {
  it.each([
    ['noise', noiseBytes(20_000, 3)],
    ['a WAV', wavFile({ code: 1, channels: 1, sampleRate: 8000, bits: 16, data: noiseBytes(4000) })],
    ['text with one frame sync', concat(ascii('error: '), Uint8Array.of(0xff, 0xfb, 0x90, 0x64), ascii(' no recording'))],
    ['an empty file', new Uint8Array(0)],
  ])('%s', (_name, bytes) => {
    expect(isMp3(bytes)).toBe(false);
    if (bytes.length) expect(() => parseMp3(bytes)).toThrow(AudioFormatError);
  });

  it('a layer II file (sox) has no layer III frames', () => {
    const file = join(dir, 'x.mp2');
    execFileSync('sox', ['-n', '-r', '16000', file, 'synth', '0.5', 'sine', '440'], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
    const bytes = new Uint8Array(readFileSync(file));
    expect(isMp3(bytes)).toBe(false);
    expect(() => parseMp3(bytes)).toThrow(/no MPEG layer III frames/);
  });
});
