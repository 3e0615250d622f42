import { describe, expect, it } from 'vitest';
import type { InvalidPayloadError } from '../core/parse';
import { cdrJsonText } from './body';

const json = '{"variables":{"uuid":"a1","caller_id_name":"Ivan%20Petrov","x":"a+b/c?=&"}}';

/** FreeSWITCH's switch_url_encode: only its "unsafe" characters and non-ASCII bytes become %XX. */
function fsUrlEncode(text: string): string {
  const unsafe = '\r\n #%&+:;<=>?@[\\]^`{|}"';
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += byte < 32 || byte > 126 || unsafe.includes(c) ? `%${byte.toString(16).toUpperCase().padStart(2, '0')}` : c;
  }
  return out;
}

describe('mod_json_cdr body encodings', () => {
  it('reads encode=true: cdr=<URL-encoded JSON>, as FreeSWITCH and as a strict encoder write it', () => {
    expect(cdrJsonText(`cdr=${fsUrlEncode(json)}`, 'application/x-www-form-urlencoded')).toBe(json);
    expect(cdrJsonText(`cdr=${encodeURIComponent(json)}`, 'application/x-www-form-urlencoded')).toBe(json);
  });

  it('reads encode=base64: cdr=<base64 JSON> with its "+" and "/" left raw', () => {
    const tricky = `${json.slice(0, -1)},"n":"ü>>?"}`;
    const b64 = Buffer.from(tricky, 'utf8').toString('base64');
    expect(b64).toMatch(/[+/]/);
    expect(cdrJsonText(`cdr=${b64}`, 'application/x-www-form-base64-encoded')).toBe(tricky);
    // Even when a relay rewrote the content type, or URL-decoded the body ("+" → " ").
    expect(cdrJsonText(`cdr=${b64}`, 'application/x-www-form-urlencoded')).toBe(tricky);
    expect(cdrJsonText(`cdr=${b64.replace(/\+/g, ' ')}`, 'application/x-www-form-base64-encoded')).toBe(tricky);
  });

  it('reads encode=false: the JSON itself', () => {
    expect(cdrJsonText(`\n${json}`, 'application/json')).toBe(json);
  });

  it('says what it expected from anything else', () => {
    const problems = (raw: string) => {
      try {
        cdrJsonText(raw, undefined);
      } catch (error) {
        return (error as InvalidPayloadError).problems;
      }
      return [];
    };
    expect(problems('hello')).toEqual(['body: expected a mod_json_cdr post: JSON, or cdr=<URL-encoded or base64 JSON>']);
    expect(problems('cdr=%E0%A4%A')).toEqual(['cdr: expected URL-encoded or base64 JSON']);
    expect(problems('cdr=bm90IGpzb24=')).toEqual(['cdr: expected URL-encoded or base64 JSON']);
  });
});
