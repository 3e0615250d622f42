/**
 * G.711 expansion tables (ITU-T G.711, the reference C code every PBX and sox use): one 16-bit
 * linear sample per 8-bit code, so decoding a µ-law or A-law WAV is one lookup per byte.
 * @module
 */

/** µ-law code → 16-bit linear. Codes are stored inverted; 0x84 is the bias added when encoding. */
export const MULAW = Int16Array.from({ length: 256 }, (_, code) => {
  const u = ~code & 0xff;
  const magnitude = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
  return u & 0x80 ? 0x84 - magnitude : magnitude - 0x84;
});

/** A-law code → 16-bit linear. Even bits are stored inverted (XOR 0x55); the sign bit set means positive. */
export const ALAW = Int16Array.from({ length: 256 }, (_, code) => {
  const a = code ^ 0x55;
  const segment = (a & 0x70) >> 4;
  const mantissa = (a & 0x0f) << 4;
  const magnitude = segment === 0 ? mantissa + 8 : (mantissa + 0x108) << (segment - 1);
  return a & 0x80 ? magnitude : -magnitude;
});
