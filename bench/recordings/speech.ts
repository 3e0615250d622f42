/**
 * A deterministic speech-like test call: talk spurts and pauses, voiced syllables (a pulse train
 * at a gliding pitch through two formant resonators) and unvoiced bursts (noise), over a faint
 * line hiss — so the MP3 encoder works on a telephone-like spectrum, not on one easy sine.
 * Returned as the 16-bit PCM WAV a PBX writes.
 * @module
 */

/** xorshift32 in [0, 1): the same call on every run. */
function random(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** Mono 16-bit samples of `seconds` of speech-like audio at `sampleRate`. */
export function speechSamples(seconds: number, sampleRate: number, seed = 1): Int16Array {
  const rnd = random(seed);
  const out = new Int16Array(Math.round(seconds * sampleRate));
  // Two resonators (F1, F2): y = x + a1·y[-1] + a2·y[-2], retuned at every syllable.
  let y1 = 0,
    y2 = 0,
    z1 = 0,
    z2 = 0;
  let a1 = 0,
    a2 = 0,
    b1 = 0,
    b2 = 0;
  const tune = (f: number, bandwidth: number): [number, number] => {
    const r = Math.exp((-Math.PI * bandwidth) / sampleRate);
    return [2 * r * Math.cos((2 * Math.PI * f) / sampleRate), -r * r];
  };
  let phase = 0;
  let pitch = 140;
  let syllableLeft = 0;
  let talking = true;
  let spurtLeft = 0;
  let voiced = true;
  let level = 0;
  // The unipolar pulses give the resonators a DC offset no microphone passes: removed by a slow mean.
  let dc = 0;
  for (let i = 0; i < out.length; i++) {
    if (spurtLeft-- <= 0) {
      talking = !talking;
      spurtLeft = Math.round((talking ? 1 + 2.5 * rnd() : 0.3 + 0.8 * rnd()) * sampleRate);
    }
    if (syllableLeft-- <= 0) {
      syllableLeft = Math.round((0.12 + 0.18 * rnd()) * sampleRate);
      voiced = rnd() < 0.8;
      [a1, a2] = tune(350 + 500 * rnd(), 90);
      [b1, b2] = tune(1000 + 1300 * rnd(), 140);
      pitch = 100 + 120 * rnd();
    }
    const target = talking ? 1 : 0;
    level += (target - level) * 0.002;
    pitch += (rnd() - 0.5) * 0.2;
    phase += pitch / sampleRate;
    const pulse = phase >= 1 ? 1 : 0;
    phase -= pulse;
    const excitation = voiced ? pulse * 6 : (rnd() - 0.5) * 0.8;
    const f1 = excitation + a1 * y1 + a2 * y2;
    y2 = y1;
    y1 = f1;
    const f2 = excitation + b1 * z1 + b2 * z2;
    z2 = z1;
    z1 = f2;
    const voice = level * (f1 * 0.25 + f2 * 0.15) * 2500;
    dc += (voice - dc) * 0.001;
    const sample = voice - dc + (rnd() - 0.5) * 60;
    out[i] = Math.max(-32768, Math.min(32767, Math.round(sample)));
  }
  return out;
}

/** A canonical 44-byte-header PCM WAV of mono 16-bit samples. */
export function wav16(samples: Int16Array, sampleRate: number): Uint8Array {
  const bytes = new Uint8Array(44 + samples.length * 2);
  const view = new DataView(bytes.buffer);
  const ascii = (at: number, text: string) => {
    for (const [i, c] of [...text].entries()) view.setUint8(at + i, c.charCodeAt(0));
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + samples.length * 2, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  ascii(36, 'data');
  view.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i++) view.setInt16(44 + i * 2, samples[i] as number, true);
  return bytes;
}
