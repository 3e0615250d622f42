/**
 * buildCallAudio, the pipeline's entry point, on sox-written WAVs and MP3s: each of its rules,
 * with the result decoded by mpg123 (gapless, as browsers play it) to check duration, rate,
 * channels and that the segments are in order.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MPEGDecoder, type MPEGDecodedAudio } from 'mpg123-decoder';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCallAudio, EmptyAudioError, type CallAudio } from './build';
import { concatFrames, parseMp3 } from './frames';
import { frameHeader } from './header';
import { ascii, concat, id3v2, noiseBytes, power } from './testing/signals';
import { AudioFormatError } from './wav';
import { DECODER_DELAY } from './xing';

const dir = mkdtempSync(join(tmpdir(), 'calltrail-build-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A file sox writes from a synth: `options` are its output options, `synth` the generator. */
function sox(name: string, options: string[], synth: string[]): Uint8Array {
  const file = join(dir, name);
  execFileSync('sox', ['-n', ...options, file, 'synth', ...synth], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
  return new Uint8Array(readFileSync(file));
}

async function decode(bytes: Uint8Array): Promise<MPEGDecodedAudio> {
  const decoder = new MPEGDecoder();
  await decoder.ready;
  try {
    return decoder.decode(bytes);
  } finally {
    decoder.free();
  }
}

async function decodedMs(audio: CallAudio): Promise<number> {
  const decoded = await decode(audio.mp3);
  expect(decoded.errors).toEqual([]);
  return Math.round((decoded.samplesDecoded * 1000) / decoded.sampleRate);
}

const pcm8k = sox('a.wav', ['-r', '8000', '-c', '1', '-b', '16'], ['1.5', 'sine', '440']);
const stereo16k = sox('b.wav', ['-r', '16000', '-c', '2', '-b', '16'], ['2', 'sine', '1000', 'sine', '1000']);
const ulaw = sox('u.wav', ['-r', '8000', '-c', '1', '-e', 'u-law'], ['1', 'sine', '700']);
const alaw = sox('al.wav', ['-r', '8000', '-c', '1', '-e', 'a-law'], ['0.75', 'sine', '700']);
const u8 = sox('u8.wav', ['-r', '8000', '-c', '1', '-b', '8', '-e', 'unsigned-integer'], ['0.5', 'sine', '700']);
// Not `synth 0`: to sox that means forever.
const emptyWav = sox('empty.wav', ['-r', '8000', '-c', '1', '-b', '16'], ['1', 'sine', '440', 'trim', '0', '0']);
const mp3a = sox('a.mp3', ['-r', '8000', '-c', '1', '-C', '32'], ['1.2', 'sine', '440']);
const mp3b = sox('b.mp3', ['-r', '8000', '-c', '1', '-C', '32'], ['0.9', 'sine', '880']);
const mp3Stereo16k = sox('c.mp3', ['-r', '16000', '-c', '2'], ['1', 'sine', '440']);
const gsm = sox('gsm.wav', ['-r', '8000', '-c', '1', '-e', 'gsm-full-rate'], ['1', 'sine', '440']);
const mp2 = sox('x.mp2', ['-r', '16000', '-c', '1'], ['0.5', 'sine', '440']);
const frames = (bytes: Uint8Array) => parseMp3(bytes).frames;
const samples = (bytes: Uint8Array) => frames(bytes).length * 576;

describe('one MP3 segment', () => {
  it('is stored as is, byte for byte, with its duration', async () => {
    const audio = await buildCallAudio([{ bytes: mp3a, name: 'twilio.mp3' }]);
    expect(audio.mp3).toEqual(mp3a);
    expect(audio).toMatchObject({ segments: 1, transcoded: false });
    expect(audio.durationMs).toBe(await decodedMs(audio));
    expect(audio.durationMs).toBe(Math.round(samples(mp3a) / 8));
  });

  it('with its tags, and also when empty segments come with it', async () => {
    const tagged = concat(id3v2(ascii('TIT2 some call')), mp3a);
    const audio = await buildCallAudio([{ bytes: emptyWav }, { bytes: tagged }, { bytes: new Uint8Array(0) }]);
    expect(audio.mp3).toEqual(tagged);
    expect(audio).toMatchObject({ segments: 1, transcoded: false });
  });
});

describe('WAV segments only', () => {
  it('8 kHz mono + 16 kHz stereo: one 16 kHz stereo MP3, the durations summed, in order', async () => {
    const audio = await buildCallAudio([{ bytes: pcm8k }, { bytes: stereo16k }]);
    expect(audio).toMatchObject({ segments: 2, transcoded: true, durationMs: 3500 });
    expect(frameHeader(audio.mp3, 0)).toMatchObject({ sampleRate: 16000, channelCount: 2 });
    expect(parseMp3(audio.mp3)).toMatchObject({ sampleRate: 16000, channelCount: 2, bitrate: 96 });
    const decoded = await decode(audio.mp3);
    expect(decoded.sampleRate).toBe(16000);
    // Gapless: exactly the samples that went in, 1.5 s and 2 s at 16 kHz.
    expect(decoded.samplesDecoded).toBe(24_000 + 32_000);
    const [left, right] = decoded.channelData as [Float32Array, Float32Array];
    for (const side of [left, right]) {
      expect(power(side, 16000, 440, 0, 24_000)).toBeGreaterThan(100 * power(side, 16000, 1000, 0, 24_000));
      expect(power(side, 16000, 1000, 24_000, 56_000)).toBeGreaterThan(100 * power(side, 16000, 440, 24_000, 56_000));
    }
  });

  it('µ-law, A-law and 8-bit WAVs: one 8 kHz mono MP3 at 24 kbit/s', async () => {
    const audio = await buildCallAudio([{ bytes: ulaw }, { bytes: alaw }, { bytes: u8 }]);
    expect(audio).toMatchObject({ segments: 3, transcoded: true, durationMs: 2250 });
    expect(parseMp3(audio.mp3)).toMatchObject({ sampleRate: 8000, channelCount: 1, bitrate: 24 });
    expect((await decode(audio.mp3)).samplesDecoded).toBe(18_000);
    // 24 kbit/s for 2.25 s, plus the Info frame and the last frame's padding.
    expect(audio.mp3.length).toBeGreaterThan(6750);
    expect(audio.mp3.length).toBeLessThan(6750 + 4 * 216);
  });

  it('a 48 kHz stereo WAV (FreeSWITCH, an Opus call) becomes 24 kHz: every sample still in, the tone intact', async () => {
    const wide = sox('wide.wav', ['-r', '48000', '-c', '2', '-b', '16'], ['1.25', 'sine', '3000', 'sine', '500']);
    const audio = await buildCallAudio([{ bytes: wide }]);
    expect(parseMp3(audio.mp3)).toMatchObject({ sampleRate: 24000, channelCount: 2, bitrate: 128 });
    expect(audio.durationMs).toBe(1250);
    const decoded = await decode(audio.mp3);
    expect(decoded.samplesDecoded).toBe(30_000);
    const [left, right] = decoded.channelData as [Float32Array, Float32Array];
    expect(power(left, 24000, 3000)).toBeGreaterThan(100 * power(left, 24000, 500));
    expect(power(right, 24000, 500)).toBeGreaterThan(100 * power(right, 24000, 3000));
  });

  it('a single WAV is encoded, starting with an Info frame that says how much to trim', async () => {
    const audio = await buildCallAudio([{ bytes: pcm8k }]);
    const parsed = parseMp3(audio.mp3);
    expect(parsed.gapless?.delay).toBe(576);
    expect(audio.durationMs).toBe(1500);
    expect(await decodedMs(audio)).toBe(1500);
  });
});

describe('MP3 segments only', () => {
  it('of one format: their frames concatenated, tags dropped, nothing re-encoded', async () => {
    const tagged = concat(id3v2(ascii('TIT2 leg 2')), mp3b);
    const audio = await buildCallAudio([{ bytes: mp3a }, { bytes: tagged }]);
    expect(audio).toMatchObject({ segments: 2, transcoded: false });
    const info = frameHeader(audio.mp3, 0);
    expect(audio.mp3.subarray(info?.length)).toEqual(concatFrames([...frames(mp3a), ...frames(mp3b)]));
    // Untagged sources: only the decoder's own delay is trimmed — the sum of the two, less 529 samples.
    const total = samples(mp3a) + samples(mp3b);
    expect(audio.durationMs).toBe(Math.round((total - DECODER_DELAY) / 8));
    expect(audio.durationMs).toBe(await decodedMs(audio));
  });

  it('our own MP3s (with Info tags) joined: their delay and padding at the seam stay in', async () => {
    const one = await buildCallAudio([{ bytes: pcm8k }]);
    const two = await buildCallAudio([{ bytes: ulaw }]);
    const joined = await buildCallAudio([{ bytes: one.mp3 }, { bytes: two.mp3 }]);
    expect(joined.transcoded).toBe(false);
    expect(joined.durationMs).toBe(await decodedMs(joined));
    const seam = joined.durationMs - one.durationMs - two.durationMs;
    expect(seam).toBeGreaterThan(0);
    expect(seam).toBeLessThan(250);
  });

  it('of different formats: an error naming both, not a partial call', async () => {
    await expect(
      buildCallAudio([
        { bytes: mp3a, name: 'a.mp3' },
        { bytes: mp3Stereo16k, name: 'c.mp3' },
      ]),
    ).rejects.toThrow(/segment 2 \(c\.mp3\) is an MP3 at 16000 Hz stereo but segment 1 \(a\.mp3\) is at 8000 Hz mono/);
  });
});

describe('MP3 and WAV segments', () => {
  it('MP3, WAV, MP3: the WAV encoded at the MP3s’ rate and channels, the MP3 frames kept', async () => {
    const audio = await buildCallAudio([{ bytes: mp3a }, { bytes: stereo16k }, { bytes: mp3b }]);
    expect(audio).toMatchObject({ segments: 3, transcoded: true });
    const parsed = parseMp3(audio.mp3);
    expect(parsed).toMatchObject({ sampleRate: 8000, channelCount: 1, bitrate: null });
    // The first MP3's frames verbatim after the Xing frame.
    expect(parsed.frames.slice(0, frames(mp3a).length)).toEqual(frames(mp3a));
    expect(parsed.frames.slice(-frames(mp3b).length)).toEqual(frames(mp3b));
    expect(audio.durationMs).toBe(await decodedMs(audio));
    const sum = 1200 + 2000 + 900;
    expect(audio.durationMs).toBeGreaterThanOrEqual(sum);
    expect(audio.durationMs).toBeLessThan(sum + 600);
  });

  it('WAV then MP3: the WAV’s encoder delay is trimmed at the start', async () => {
    const audio = await buildCallAudio([{ bytes: pcm8k }, { bytes: mp3a }]);
    expect(parseMp3(audio.mp3).gapless?.delay).toBe(576);
    expect(audio.durationMs).toBe(await decodedMs(audio));
    const decoded = await decode(audio.mp3);
    const left = decoded.channelData[0] as Float32Array;
    expect(power(left, 8000, 440, 0, 12_000)).toBeGreaterThan(1e-3);
  });
});

describe('empty and unreadable segments', () => {
  it('empty ones are skipped and not counted', async () => {
    const audio = await buildCallAudio([{ bytes: emptyWav }, { bytes: pcm8k }, { bytes: new Uint8Array(0) }, { bytes: id3v2(ascii('nothing')) }]);
    expect(audio).toMatchObject({ segments: 1, durationMs: 1500 });
  });

  it('nothing but empty ones, or none at all: EmptyAudioError', async () => {
    await expect(buildCallAudio([{ bytes: emptyWav }, { bytes: new Uint8Array(0) }])).rejects.toThrow(EmptyAudioError);
    await expect(buildCallAudio([{ bytes: emptyWav }])).rejects.toThrow(/all 1 segments are empty/);
    await expect(buildCallAudio([])).rejects.toThrow(EmptyAudioError);
  });

  it.each([
    ['GSM 6.10 WAV', gsm, /segment 2 \(leg\): WAV with GSM 6\.10 \("wav49"\) audio is not supported/],
    ['MPEG layer II', mp2, /MPEG audio of layer I or II/],
    ['Ogg', concat(ascii('OggS'), noiseBytes(500)), /Ogg \(Opus\/Vorbis\) audio is not supported/],
    ['an HTML page', ascii('<!DOCTYPE html><html>Login</html>'), /HTML\/XML document/],
    ['noise', noiseBytes(5000, 9), /segment 2 \(leg\): an unknown format \(first bytes [0-9a-f ]+\) is not supported \(WAV and MP3 are\)/],
  ])('%s: an AudioFormatError naming the segment and what it is', async (_name, bytes, message) => {
    let caught: unknown;
    try {
      await buildCallAudio([{ bytes: pcm8k }, { bytes, name: 'leg' }]);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AudioFormatError);
    expect((caught as Error).message).toMatch(message);
  });
});

describe('the rest of the contract', () => {
  it('the format comes from the content, not the name', async () => {
    expect((await buildCallAudio([{ bytes: pcm8k, name: 'call.mp3' }])).transcoded).toBe(true);
    expect((await buildCallAudio([{ bytes: mp3a, name: 'call.wav' }])).transcoded).toBe(false);
  });

  it('the same segments give the same bytes (the MP3 is stored under its hash)', async () => {
    const segments = [{ bytes: pcm8k }, { bytes: mp3a }, { bytes: ulaw }];
    expect((await buildCallAudio(segments)).mp3).toEqual((await buildCallAudio(segments)).mp3);
  });
});
