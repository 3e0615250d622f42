/**
 * Joining segments: the common format, channel mapping, durations adding up, and resampling that
 * keeps a tone where it was — and, going down, keeps tones above the new Nyquist from folding
 * back into the speech band.
 */
import { describe, expect, it } from 'vitest';
import { conform, durationMs, joinFormat, joinSegments, mp3Rate } from './join';
import { resample } from './resample';
import { pcm, power, tone } from './testing/signals';

describe('the joined format', () => {
  it('rounds a rate up to one MP3 carries, and caps it at 48 kHz', () => {
    expect([8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000].map(mp3Rate)).toEqual([8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000]);
    expect([6000, 8001, 11000, 20000, 96000].map(mp3Rate)).toEqual([8000, 11025, 11025, 22050, 48000]);
  });

  it('is the highest rate and stereo when any segment is stereo', () => {
    expect(joinFormat([{ sampleRate: 8000, channelCount: 1 }])).toEqual({ sampleRate: 8000, channelCount: 1 });
    expect(
      joinFormat([
        { sampleRate: 8000, channelCount: 1 },
        { sampleRate: 16000, channelCount: 1 },
      ]),
    ).toEqual({ sampleRate: 16000, channelCount: 1 });
    expect(
      joinFormat([
        { sampleRate: 16000, channelCount: 1 },
        { sampleRate: 8000, channelCount: 2 },
      ]),
    ).toEqual({ sampleRate: 16000, channelCount: 2 });
    // Below 8 kHz is not an MP3 rate.
    expect(joinFormat([{ sampleRate: 6000, channelCount: 1 }])).toEqual({ sampleRate: 8000, channelCount: 1 });
  });

  it('is at most 24 kHz: wideband calls recorded at 44.1 or 48 kHz are brought down', () => {
    expect(joinFormat([{ sampleRate: 22050, channelCount: 1 }])).toEqual({ sampleRate: 22050, channelCount: 1 });
    expect(
      joinFormat([
        { sampleRate: 8000, channelCount: 1 },
        { sampleRate: 48000, channelCount: 2 },
      ]),
    ).toEqual({ sampleRate: 24000, channelCount: 2 });
    expect(joinFormat([{ sampleRate: 44100, channelCount: 1 }])).toEqual({ sampleRate: 24000, channelCount: 1 });
  });
});

describe('joinSegments', () => {
  it('8 kHz mono + 16 kHz stereo: 16 kHz stereo, durations summed, the mono copied to both sides, in order', () => {
    const first = tone(1, 8000, 440);
    const left = tone(0.5, 16000, 1000);
    const right = tone(0.5, 16000, 1500);
    const joined = joinSegments([pcm(8000, first), pcm(16000, left, right)]);
    expect(joined.sampleRate).toBe(16000);
    expect(joined.channels).toHaveLength(2);
    expect(joined.channels[0]).toHaveLength(16000 + 8000);
    expect(durationMs(joined)).toBe(1500);
    const [l, r] = joined.channels as [Int16Array, Int16Array];
    expect(l.subarray(0, 16000)).toEqual(r.subarray(0, 16000));
    expect(power(l, 16000, 440, 0, 16000)).toBeGreaterThan(1e6);
    expect(l.subarray(16000)).toEqual(left);
    expect(r.subarray(16000)).toEqual(right);
  });

  it('segments already in the format are copied unchanged', () => {
    const a = tone(0.3, 8000, 440);
    const b = tone(0.2, 8000, 880);
    expect(joinSegments([pcm(8000, a), pcm(8000, b)]).channels[0]).toEqual(Int16Array.from([...a, ...b]));
  });
});

describe('conform', () => {
  it('stereo to mono averages the two sides (one party per side)', () => {
    const out = conform(pcm(8000, Int16Array.of(1000, -2000, 32767), Int16Array.of(3000, 0, 32767)), { sampleRate: 8000, channelCount: 1 });
    expect(out.channels).toEqual([Int16Array.of(2000, -1000, 32767)]);
  });

  it('changes rate and channels together', () => {
    const out = conform(pcm(16000, tone(1, 16000, 300), tone(1, 16000, 300)), { sampleRate: 8000, channelCount: 1 });
    expect(out.sampleRate).toBe(8000);
    expect(out.channels).toHaveLength(1);
    expect(out.channels[0]).toHaveLength(8000);
  });
});

describe('resample', () => {
  it('8 → 16 kHz keeps a 1 kHz tone at 1 kHz and its level', () => {
    const up = resample(tone(1, 8000, 1000), 8000, 16000);
    expect(up).toHaveLength(16000);
    const at = power(up, 16000, 1000);
    expect(at).toBeGreaterThan((0.8 * (8000 * 8000)) / 4);
    expect(power(up, 16000, 2000)).toBeLessThan(at / 1000);
  });

  it('16 → 8 kHz keeps a 1 kHz tone and its level, and filters a 6 kHz tone instead of folding it to 2 kHz', () => {
    const speech = resample(tone(1, 16000, 1000), 16000, 8000);
    expect(speech).toHaveLength(8000);
    expect(power(speech, 8000, 1000)).toBeGreaterThan((0.9 * (8000 * 8000)) / 4);
    const sibilant = resample(tone(1, 16000, 6000), 16000, 8000);
    // Plain decimation would put all of it at 8000 − 6000 = 2000 Hz.
    expect(power(sibilant, 8000, 2000)).toBeLessThan((1e-4 * (8000 * 8000)) / 4);
  });

  it('48 → 8 kHz: constant signals keep their level up to the edges, and the length follows the ratio', () => {
    const out = resample(new Int16Array(4800).fill(1000), 48000, 8000);
    expect(out).toHaveLength(800);
    expect(Math.min(...out)).toBeGreaterThanOrEqual(999);
    expect(Math.max(...out)).toBeLessThanOrEqual(1001);
    expect(resample(new Int16Array(0), 8000, 16000)).toHaveLength(0);
    expect(resample(Int16Array.of(5), 22050, 11025)).toHaveLength(1);
  });

  it('full-scale input clips instead of wrapping around', () => {
    // 40 Hz full-scale square: the low-pass overshoots at each edge, past the 16-bit range.
    const square = Int16Array.from({ length: 16000 }, (_, i) => (Math.floor(i / 200) % 2 ? 32767 : -32768));
    const out = resample(square, 16000, 8000);
    for (let plateau = 0; plateau < 80; plateau++) {
      const sign = plateau % 2 ? 1 : -1;
      // Everywhere on the plateau, the overshoot next to the edges included, it keeps its sign.
      for (let i = plateau * 100 + 2; i < plateau * 100 + 98; i++) expect(Math.sign(out[i] as number)).toBe(sign);
      expect(Math.abs(out[plateau * 100 + 50] as number)).toBeGreaterThan(32000);
    }
  });
});
