/**
 * Sample-rate conversion of one channel. Up (8 kHz → 16 kHz, the usual join): linear
 * interpolation — telephony audio is band-limited far below the new Nyquist, so the images it
 * leaves are faint. Down (a 16 kHz WAV joined to an 8 kHz MP3, or 96 kHz → 48 kHz): a windowed
 * sinc low-pass evaluated at each output instant, because dropping samples would fold sibilants
 * above the new Nyquist back into the speech band. Its cost per input sample is constant
 * (about 2 × ZERO_CROSSINGS multiply-adds), whatever the ratio.
 * @module
 */

/** Zero crossings of the sinc kept on each side: the sharpness of the low-pass. */
const ZERO_CROSSINGS = 8;
/** Kernel table entries per input sample of distance: fine enough for nearest lookup. */
const TABLE_STEPS = 64;
/** The pass band ends this far below the output Nyquist, leaving room for the transition. */
const CUTOFF = 0.9;

export function resample(input: Int16Array, from: number, to: number): Int16Array {
  if (from === to || input.length === 0) return input;
  return to > from ? upsample(input, from, to) : downsample(input, from, to);
}

function upsample(input: Int16Array, from: number, to: number): Int16Array {
  const out = new Int16Array(Math.round((input.length * to) / from));
  const step = from / to;
  const last = input.length - 1;
  for (let i = 0; i < out.length; i++) {
    const x = i * step;
    const j = Math.floor(x);
    const a = input[j] ?? 0;
    const b = input[j < last ? j + 1 : last] ?? a;
    out[i] = Math.round(a + (b - a) * (x - j));
  }
  return out;
}

function downsample(input: Int16Array, from: number, to: number): Int16Array {
  const out = new Int16Array(Math.round((input.length * to) / from));
  // Cut-off as a fraction of the input's Nyquist; the kernel spans ±halfWidth input samples.
  const cutoff = (CUTOFF * to) / from;
  const halfWidth = ZERO_CROSSINGS / cutoff;
  const kernel = sincTable(cutoff, halfWidth);
  const step = from / to;
  for (let i = 0; i < out.length; i++) {
    const x = i * step;
    const lo = Math.max(0, Math.ceil(x - halfWidth));
    const hi = Math.min(input.length - 1, Math.floor(x + halfWidth));
    let sum = 0;
    let weights = 0;
    for (let n = lo; n <= hi; n++) {
      const w = kernel[Math.round(Math.abs(x - n) * TABLE_STEPS)] ?? 0;
      sum += (input[n] as number) * w;
      weights += w;
    }
    // Dividing by the weights actually used keeps the gain at 1, also at the edges.
    const value = weights > 0 ? Math.round(sum / weights) : 0;
    out[i] = Math.min(32767, Math.max(-32768, value));
  }
  return out;
}

/** cutoff·sinc(cutoff·t) under a Blackman window, for t = 0 … halfWidth in 1/TABLE_STEPS steps. */
function sincTable(cutoff: number, halfWidth: number): Float64Array {
  const table = new Float64Array(Math.ceil(halfWidth * TABLE_STEPS) + 2);
  for (let k = 0; k < table.length; k++) {
    const t = k / TABLE_STEPS;
    if (t > halfWidth) break;
    const u = Math.PI * cutoff * t;
    const sinc = u === 0 ? 1 : Math.sin(u) / u;
    const p = Math.PI * (t / halfWidth + 1);
    const window = 0.42 - 0.5 * Math.cos(p) + 0.08 * Math.cos(2 * p);
    table[k] = cutoff * sinc * window;
  }
  return table;
}
