/**
 * The LAME (WebAssembly) encoder, checked by decoding its output with mpg123 (WASM, tests only): the rate,
 * channels and bitrate we asked for, every input sample in the output, the tone at its frequency
 * on its side, and LAME's delay as ENCODER_DELAY says.
 */
import { MPEGDecoder, type MPEGDecodedAudio } from 'mpg123-decoder';
import { describe, expect, it } from 'vitest';
import { parseMp3 } from './frames';
import { BITRATES, frameHeader } from './header';
import { MP3_RATES } from './join';
import { encodeMp3, ENCODER_DELAY, mp3Bitrate } from './mp3';
import { pcm, power, tone } from './testing/signals';
import { DECODER_DELAY } from './xing';

async function decode(bytes: Uint8Array): Promise<MPEGDecodedAudio> {
  // No tag on these frames: nothing for gapless decoding to trim.
  const decoder = new MPEGDecoder({ enableGapless: false });
  await decoder.ready;
  try {
    return decoder.decode(bytes);
  } finally {
    decoder.free();
  }
}

describe('mp3Bitrate', () => {
  it('speech rates: 24 kbit/s at 8 kHz mono, 48 at 16 kHz, twice that in stereo', () => {
    expect(mp3Bitrate(8000, 1)).toBe(24);
    expect(mp3Bitrate(8000, 2)).toBe(48);
    expect(mp3Bitrate(11025, 1)).toBe(32);
    expect(mp3Bitrate(16000, 1)).toBe(48);
    expect(mp3Bitrate(16000, 2)).toBe(96);
    expect(mp3Bitrate(22050, 1)).toBe(64);
    expect(mp3Bitrate(44100, 2)).toBe(128);
  });

  it.each(MP3_RATES.flatMap((rate) => [[rate, 1] as const, [rate, 2] as const]))(
    '%i Hz × %i: a legal layer III bitrate for that MPEG version',
    (rate, channels) => {
      const table = rate >= 32000 ? BITRATES['1'] : BITRATES['2'];
      expect(table).toContain(mp3Bitrate(rate, channels));
    },
  );
});

describe('encodeMp3', () => {
  it.each([
    [8000, 1],
    [8000, 2],
    [11025, 1],
    [16000, 1],
    [16000, 2],
    [22050, 1],
    [44100, 2],
  ] as const)('%i Hz, %i channel(s): the format asked for, all samples in, the tone where it was', async (rate, channels) => {
    const left = tone(1.5, rate, 440);
    const right = tone(1.5, rate, 1000);
    const run = await encodeMp3([channels === 2 ? pcm(rate, left, right) : pcm(rate, left)], { sampleRate: rate, channelCount: channels });
    expect(run.samples).toBe(left.length);
    expect(run.bitrate).toBe(mp3Bitrate(rate, channels));

    const audio = parseMp3(run.bytes);
    expect(audio).toMatchObject({ sampleRate: rate, channelCount: channels, bitrate: run.bitrate, gapless: null, skippedBytes: 0 });
    const header = frameHeader(run.bytes, 0);
    expect(header).toMatchObject({ sampleRate: rate, channelCount: channels, bitrate: run.bitrate });
    // Constant bitrate: the size is the bitrate times the frames' duration.
    const seconds = (audio.frames.length * audio.samplesPerFrame) / rate;
    expect(run.bytes.length).toBeGreaterThan(((run.bitrate * 1000) / 8) * seconds * 0.99);
    expect(run.bytes.length).toBeLessThan(((run.bitrate * 1000) / 8) * seconds * 1.01);

    const decoded = await decode(run.bytes);
    expect(decoded.errors).toEqual([]);
    expect(decoded.sampleRate).toBe(rate);
    expect(decoded.samplesDecoded).toBe(audio.frames.length * audio.samplesPerFrame);
    expect(decoded.samplesDecoded).toBeGreaterThanOrEqual(left.length + ENCODER_DELAY + DECODER_DELAY);
    const [l, r] = decoded.channelData as [Float32Array, Float32Array];
    const from = ENCODER_DELAY + DECODER_DELAY;
    const to = from + left.length;
    expect(power(l, rate, 440, from, to)).toBeGreaterThan(100 * power(l, rate, 1000, from, to));
    if (channels === 2) expect(power(r, rate, 1000, from, to)).toBeGreaterThan(100 * power(r, rate, 440, from, to));
  });

  it.each([8000, 16000, 44100])('at %i Hz the first input sample comes out ENCODER_DELAY + 529 samples late', async (rate) => {
    const click = new Int16Array(rate);
    click[1000] = 30000;
    const decoded = await decode((await encodeMp3([pcm(rate, click)], { sampleRate: rate, channelCount: 1 })).bytes);
    const out = decoded.channelData[0] as Float32Array;
    let peak = 0;
    for (let i = 1; i < out.length; i++) if (Math.abs(out[i] as number) > Math.abs(out[peak] as number)) peak = i;
    expect(peak - 1000).toBe(ENCODER_DELAY + DECODER_DELAY);
  });

  it('one part or the same samples in uneven parts: the same bytes, no seam', async () => {
    const whole = tone(2, 8000, 440);
    const one = await encodeMp3([pcm(8000, whole)], { sampleRate: 8000, channelCount: 1 });
    const cuts = [0, 1, 4000, 4001, 12_345, whole.length];
    const parts = cuts.slice(1).map((end, i) => pcm(8000, whole.subarray(cuts[i], end)));
    const several = await encodeMp3(parts, { sampleRate: 8000, channelCount: 1 });
    expect(several.samples).toBe(whole.length);
    expect(several.bytes).toEqual(one.bytes);
  });

  it('an empty part changes nothing; a part in another format is refused', async () => {
    const a = tone(0.5, 8000, 440);
    expect((await encodeMp3([pcm(8000, new Int16Array(0)), pcm(8000, a)], { sampleRate: 8000, channelCount: 1 })).bytes).toEqual(
      (await encodeMp3([pcm(8000, a)], { sampleRate: 8000, channelCount: 1 })).bytes,
    );
    await expect(encodeMp3([pcm(16000, a)], { sampleRate: 8000, channelCount: 1 })).rejects.toThrow(/16000 Hz 1-channel part in a 8000 Hz 1-channel stream/);
    await expect(encodeMp3([pcm(8000, a, a)], { sampleRate: 8000, channelCount: 1 })).rejects.toThrow(/2-channel part/);
  });
});
