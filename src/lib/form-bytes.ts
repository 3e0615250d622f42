/**
 * application/x-www-form-urlencoded read as the URL Standard reads it — split on "&", then on the
 * first "=", "+" is a space, %XX is a byte — but stopping at bytes: URLSearchParams would decode
 * them as UTF-8 and replace what is not UTF-8, and signatures are computed over the bytes a PBX
 * meant (Mango signs the `json` value, Zadarma a few values, Twilio every one).
 * @module
 */

export type FormPair = readonly [name: Uint8Array, value: Uint8Array];

const AMPERSAND = 0x26;
const EQUALS = 0x3d;
const PLUS = 0x2b;
const PERCENT = 0x25;
const SPACE = 0x20;

export function parseFormBytes(body: Uint8Array): FormPair[] {
  const pairs: FormPair[] = [];
  let start = 0;
  for (let i = 0; i <= body.length; i++) {
    if (i < body.length && body[i] !== AMPERSAND) continue;
    if (i > start) {
      const sequence = body.subarray(start, i);
      const eq = sequence.indexOf(EQUALS);
      const name = eq < 0 ? sequence : sequence.subarray(0, eq);
      const value = eq < 0 ? new Uint8Array(0) : sequence.subarray(eq + 1);
      pairs.push([percentDecode(name), percentDecode(value)]);
    }
    start = i + 1;
  }
  return pairs;
}

const hexValue = (byte: number | undefined): number => {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  return -1;
};

/** "+" → space and %XX → its byte; a "%" not followed by two hex digits stays as it is. */
function percentDecode(input: Uint8Array): Uint8Array {
  const out = new Uint8Array(input.length);
  let n = 0;
  for (let i = 0; i < input.length; i++) {
    const byte = input[i] as number;
    if (byte === PLUS) {
      out[n++] = SPACE;
      continue;
    }
    if (byte === PERCENT) {
      const high = hexValue(input[i + 1]);
      const low = hexValue(input[i + 2]);
      if (high >= 0 && low >= 0) {
        out[n++] = high * 16 + low;
        i += 2;
        continue;
      }
    }
    out[n++] = byte;
  }
  return out.subarray(0, n);
}

const encoder = new TextEncoder();

/** The first value of a field, as bytes; undefined when the form has no such field. */
export function formValue(pairs: readonly FormPair[], name: string): Uint8Array | undefined {
  const wanted = encoder.encode(name);
  return pairs.find(([n]) => sameBytes(n, wanted))?.[1];
}

/** True when some name or value has a byte outside ASCII: only then can a charset matter. */
export function hasHighBytes(pairs: readonly FormPair[]): boolean {
  return pairs.some(([name, value]) => name.some((b) => b >= 0x80) || value.some((b) => b >= 0x80));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Each byte as the character of the same code (0–255), so text tools can split binary safely. */
export function binaryString(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return out;
}

/** The inverse of binaryString. */
export function binaryBytes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
}
