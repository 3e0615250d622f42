/**
 * Hashes and HMACs that Node and workerd both run.
 * - Ids and versions (not secrets): SHA-256 from @noble/hashes, synchronous — a Web Crypto call
 *   costs more in promise and job overhead than hashing a short string does.
 * - Signatures: Web Crypto HMAC, whose verify compares in constant time; keys imported once.
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

const encoder = new TextEncoder();

export function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}

/** SHA-256 of raw bytes (file checksums). */
export function sha256BytesHex(bytes: Uint8Array): string {
  return bytesToHex(sha256(bytes));
}

/** Imported keys by secret and usage; a process holds only a handful of secrets. */
const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string, usage: 'sign' | 'verify'): Promise<CryptoKey> {
  const id = `${usage}\u0000${secret}`;
  let key = keys.get(id);
  if (!key) {
    key = crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [usage]);
    keys.set(id, key);
  }
  return key;
}

export async function hmacSha256Hex(secret: string, message: string): Promise<string> {
  const signature = await crypto.subtle.sign('HMAC', await hmacKey(secret, 'sign'), encoder.encode(message));
  return bytesToHex(new Uint8Array(signature));
}

/** Constant-time check of a hex HMAC-SHA256. */
export async function verifyHmacSha256Hex(secret: string, message: string, signatureHex: string): Promise<boolean> {
  if (!/^[0-9a-f]{64}$/i.test(signatureHex)) return false;
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = parseInt(signatureHex.slice(i * 2, i * 2 + 2), 16);
  return crypto.subtle.verify('HMAC', await hmacKey(secret, 'verify'), bytes, encoder.encode(message));
}
