/**
 * Passwords: scrypt (memory-hard, pure JS from @noble/hashes, so it runs on workerd too), stored
 * as `scrypt$N$r$p$<salt base64>$<hash base64>` and verified in constant time. The parameters
 * travel with each hash, so raising them later keeps old hashes verifiable.
 * @module
 */
import { scryptAsync } from '@noble/hashes/scrypt.js';

export const SCRYPT = { N: 2 ** 15, r: 8, p: 1, dkLen: 32 } as const;
const SALT_BYTES = 16;
/** The most work a stored hash may ask of us (a tampered row must not make sign-in a denial of service). */
const MAX_N = 2 ** 20;

const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const unb64 = (text: string) => Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));

export async function hashPassword(password: string, params: { N: number; r: number; p: number } = SCRYPT): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = await scryptAsync(password.normalize('NFKC'), salt, { ...params, dkLen: SCRYPT.dkLen });
  return `scrypt$${params.N}$${params.r}$${params.p}$${b64(salt)}$${b64(hash)}`;
}

/** Whether the password matches the stored hash; false for a hash this code cannot read. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(encoded);
  if (!m) return false;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (N < 2 || N > MAX_N || (N & (N - 1)) !== 0 || r < 1 || r > 32 || p < 1 || p > 16) return false;
  let salt: Uint8Array;
  let expected: Uint8Array;
  try {
    salt = unb64(m[4] ?? '');
    expected = unb64(m[5] ?? '');
  } catch {
    return false;
  }
  const actual = await scryptAsync(password.normalize('NFKC'), salt, { N, r, p, dkLen: expected.length });
  return constantTimeEqual(actual, expected);
}

export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/** A password to hand a person once (reset, new user): 16 characters from 57 unambiguous ones. */
export function temporaryPassword(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  // The largest multiple of the alphabet's size that a byte can hold.
  const limit = 256 - (256 % alphabet.length);
  const out: string[] = [];
  while (out.length < 16) {
    for (const byte of crypto.getRandomValues(new Uint8Array(32))) {
      // Rejection sampling keeps every character equally likely.
      if (byte < limit && out.length < 16) out.push(alphabet[byte % alphabet.length] as string);
    }
  }
  return out.join('');
}

/** A hash to verify against when the email is unknown, so an unknown email costs what a known one does. */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(temporaryPassword());
  return decoy;
}
