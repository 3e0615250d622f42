/**
 * Twilio's own RequestValidator test vectors (twilio-python, -ruby, -csharp, -java, -node; see
 * test/fixtures/field/twilio/signature-vectors/vectors.json for each one's repository, path and
 * commit) through calltrail's check: as parameters, and as the form body the route receives.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyTwilioRequest, verifyTwilioSignature } from './signature';

interface Vector {
  origin: string;
  test: string;
  token: string;
  url: string;
  params?: string;
  body?: string;
  signature: string;
  valid: boolean;
}

const file = join(import.meta.dirname, '../../../test/fixtures/field/twilio/signature-vectors/vectors.json');
const data = JSON.parse(readFileSync(file, 'utf8')) as {
  params: Record<string, [string, string][]>;
  bodies: Record<string, string>;
  body_hashes: { origin: string; test: string; body: string; sha256: string; valid: boolean }[];
  vectors: Vector[];
};

const encoder = new TextEncoder();
const repository = (origin: string) => origin.replace(/^https:\/\/github\.com\/([^/]+\/[^/]+)\/.*$/, '$1');
const named = data.vectors.map((v) => [`${repository(v.origin)}: ${v.test}`, v] as const);

describe("Twilio's RequestValidator vectors", () => {
  it('are all here: every library, valid and invalid ones', () => {
    expect(new Set(data.vectors.map((v) => repository(v.origin)))).toEqual(
      new Set(['twilio/twilio-python', 'twilio/twilio-ruby', 'twilio/twilio-csharp', 'twilio/twilio-java', 'twilio/twilio-node']),
    );
    expect(data.vectors.filter((v) => !v.valid).length).toBeGreaterThan(5);
  });

  it.each(named)('%s', async (_name, vector) => {
    const expected = vector.valid ? { ok: true } : { ok: false, reason: expect.any(String) };
    if (vector.body !== undefined) {
      const body = encoder.encode(data.bodies[vector.body] ?? '');
      expect(await verifyTwilioRequest(vector.signature, vector.url, body, vector.token)).toEqual(expected);
      return;
    }
    const params = data.params[vector.params ?? 'none'] ?? [];
    expect(await verifyTwilioSignature(vector.signature, vector.url, params, vector.token)).toEqual(expected);
    // The same parameters as the form body Twilio posts, checked over its bytes.
    const form = encoder.encode(new URLSearchParams(params).toString());
    expect(await verifyTwilioRequest(vector.signature, vector.url, form, vector.token)).toEqual(expected);
  });

  it.each(data.body_hashes.map((h) => [`${repository(h.origin)}: ${h.test}`, h] as const))('%s (bodySHA256)', async (_name, vector) => {
    // The vector gives the hash; the signature over the URL carrying it is computed here.
    const url = `https://mycompany.com/myapp.php?bodySHA256=${vector.sha256}`;
    const signature = createHmac('sha1', '12345').update(url).digest('base64');
    const body = encoder.encode(data.bodies[vector.body] ?? '');
    expect((await verifyTwilioRequest(signature, url, body, '12345')).ok).toBe(vector.valid);
  });
});
