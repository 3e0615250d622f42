/**
 * A tiny seeded PRNG (mulberry32) and token strings drawn from it. The sandbox never uses
 * Math.random or crypto randomness, so a run is reproducible from its seeds and its clock.
 * @module
 */

export type Random = () => number;

/** mulberry32: 32-bit state, good enough spread for fault dice and fake tokens. */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A stable 32-bit seed from a string (FNV-1a), so each subdomain gets its own token stream. */
export function seedFrom(text: string): number {
  let h = 0x811c9dc5;
  for (const ch of new TextEncoder().encode(text)) {
    h ^= ch;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

const HEX = '0123456789abcdef';

export function hex(random: Random, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += HEX[Math.floor(random() * 16)];
  return out;
}
