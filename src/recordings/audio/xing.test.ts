/**
 * The Info/Xing frame we write: its fields read back, its checksums verified by an independent
 * bitwise CRC, and — what it is for — mpg123 trimming exactly the delay and padding it states.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MPEGDecoder, type MPEGDecodedAudio } from 'mpg123-decoder';
import { afterAll, describe, expect, it } from 'vitest';
import { concatFrames, parseMp3 } from './frames';
import { frameHeader, type FrameHeader } from './header';
import { encodeMp3, ENCODER_DELAY } from './mp3';
import { pcm, tone } from './testing/signals';
import { DECODER_DELAY, infoFrame, playedSamples, readXing } from './xing';

const dir = mkdtempSync(join(tmpdir(), 'calltrail-xing-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function decode(bytes: Uint8Array, enableGapless = true): Promise<MPEGDecodedAudio> {
  const decoder = new MPEGDecoder({ enableGapless });
  await decoder.ready;
  try {
    return decoder.decode(bytes);
  } finally {
    decoder.free();
  }
}

/** CRC-16/ARC bit by bit: an implementation independent of the table-driven one under test. */
function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

async function encoded(seconds: number, rate: number, channels: 1 | 2) {
  const samples = tone(seconds, rate, 440);
  const run = await encodeMp3([pcm(rate, ...Array.from({ length: channels }, () => samples))], { sampleRate: rate, channelCount: channels });
  const audio = parseMp3(run.bytes);
  const padding = audio.frames.length * audio.samplesPerFrame - ENCODER_DELAY - run.samples;
  return { run, audio, padding, header: frameHeader(run.bytes, 0) as FrameHeader };
}

describe('infoFrame', () => {
  it.each([
    [8000, 1],
    [8000, 2],
    [16000, 1],
    [22050, 2],
    [44100, 1],
  ] as const)('%i Hz × %i: a frame of the stream that reads back, with valid checksums', async (rate, channels) => {
    const { run, audio, padding, header } = await encoded(1.3, rate, channels);
    const frame = infoFrame(audio.frames, header, run.bitrate, { delay: ENCODER_DELAY, padding });
    const own = frameHeader(frame, 0);
    expect(own).toMatchObject({ version: header.version, sampleRate: rate, channelCount: channels, crc: false, length: frame.length });
    expect(readXing(frame, own as FrameHeader)).toEqual({ gapless: { delay: ENCODER_DELAY, padding } });

    const at = 4 + header.sideInfo;
    const view = new DataView(frame.buffer);
    expect(String.fromCharCode(...frame.subarray(at, at + 4))).toBe('Info');
    expect(view.getUint32(at + 4)).toBe(15);
    expect(view.getUint32(at + 8)).toBe(audio.frames.length);
    expect(view.getUint32(at + 12)).toBe(frame.length + run.bytes.length);
    // Seek table: where each percent of the frames starts, in 256ths of the audio bytes.
    const starts = audio.frames.map((_, i) => audio.frames.slice(0, i).reduce((sum, f) => sum + f.length, 0));
    const toc = Array.from({ length: 100 }, (_, p) => Math.floor((256 * (starts[Math.floor((p * audio.frames.length) / 100)] as number)) / run.bytes.length));
    expect(Array.from(frame.subarray(at + 16, at + 116))).toEqual(toc);
    // Side information all zero: a player that ignores the tag hears one silent frame.
    expect(frame.subarray(4, at).every((b) => b === 0)).toBe(true);

    const lame = at + 120;
    expect(String.fromCharCode(...frame.subarray(lame, lame + 9))).toBe('LAME3.98r');
    expect(view.getUint32(lame + 28)).toBe(frame.length + run.bytes.length);
    expect(view.getUint16(lame + 32)).toBe(crc16(run.bytes));
    expect(view.getUint16(lame + 34)).toBe(crc16(frame.subarray(0, lame + 34)));
  });

  it('"Xing" when the bitrates differ; a bigger bitrate when the stream’s frames are too small for the tags', async () => {
    const file = join(dir, 'low.mp3');
    // sox's default at 8 kHz mono is 8 kbit/s: 72-byte frames, too small for 169 bytes of tags.
    execFileSync('sox', ['-n', '-r', '8000', '-c', '1', file, 'synth', '1', 'sine', '440'], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
    const audio = parseMp3(new Uint8Array(readFileSync(file)));
    expect(audio.bitrate).toBe(8);
    const header = frameHeader(audio.frames[0] as Uint8Array, 0) as FrameHeader;
    const info = infoFrame(audio.frames, header, audio.bitrate, { delay: 0, padding: 0 });
    expect(frameHeader(info, 0)).toMatchObject({ bitrate: 24, length: 216 });
    const mixed = infoFrame(audio.frames, header, null, { delay: 0, padding: 0 });
    expect(String.fromCharCode(...mixed.subarray(13, 17))).toBe('Xing');
    // With no padding stated, a decoder can stop no later than the end of what it decoded.
    // The audio is still constant-bitrate to parseMp3: the Info frame's own bitrate does not count.
    expect(parseMp3(concatFrames([info, ...audio.frames]))).toMatchObject({ bitrate: 8, frames: audio.frames });
    const decoded = await decode(concatFrames([info, ...audio.frames]));
    expect(decoded.samplesDecoded).toBe(playedSamples(audio.frames.length * 576, { delay: 0, padding: 0 }));
    expect(decoded.samplesDecoded).toBe(audio.frames.length * 576 - DECODER_DELAY);
  });
});

describe('gapless playback of what we encode', () => {
  it.each([
    [8000, 1, 3.21],
    [16000, 2, 1.5],
    [44100, 2, 0.77],
  ] as const)('%i Hz × %i: mpg123 plays exactly the samples that went in', async (rate, channels, seconds) => {
    const { run, audio, padding, header } = await encoded(seconds, rate, channels);
    const gapless = { delay: ENCODER_DELAY, padding };
    const file = concatFrames([infoFrame(audio.frames, header, run.bitrate, gapless), ...audio.frames]);
    const decoded = await decode(file);
    expect(decoded.samplesDecoded).toBe(run.samples);
    expect(playedSamples(audio.frames.length * audio.samplesPerFrame, gapless)).toBe(run.samples);
    // And the tag is what parseMp3 finds (and sets aside) in such a file.
    const parsed = parseMp3(file);
    expect(parsed.gapless).toEqual(gapless);
    expect(parsed.frames).toEqual(audio.frames);
  });
});
