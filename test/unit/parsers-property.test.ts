/**
 * Property: every source's parser, given anything — any bytes (read as UTF-8 and as cp1251), any
 * JSON value, any form, and the sources' own sample bodies with one field replaced by anything —
 * returns call events or throws InvalidPayloadError (a 400), never another exception (a 500 at
 * the door, a stored body that fails forever on a replay). It is also repeatable: a stored body
 * parses the same on a replay.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asteriskParser } from '../../src/pbx/asterisk/parse';
import { freepbxParser } from '../../src/pbx/freepbx/parse';
import { freeswitchParser } from '../../src/pbx/freeswitch/parse';
import { genericParser } from '../../src/pbx/generic/parse';
import { mangoParser } from '../../src/pbx/mango/parse';
import { defaultParseContext, InvalidPayloadError, type PbxParser } from '../../src/pbx/source';
import { twilioParser } from '../../src/pbx/twilio/parse';
import { yeastarParser } from '../../src/pbx/yeastar/parse';
import { zadarmaParser } from '../../src/pbx/zadarma/parse';
import { asText, nasty, near } from '#test/pbx-arbitraries';

type Body = { raw: string; meta: Record<string, string> };

const ctx = defaultParseContext();

/** Parses; returns normally for events or InvalidPayloadError, fails with the input for anything else. */
function parsesOrRefuses(parser: PbxParser, { raw, meta }: Body): void {
  let first: unknown;
  try {
    first = parser.parse(raw, meta, ctx);
  } catch (error) {
    if (error instanceof InvalidPayloadError) return;
    const input = JSON.stringify({ raw: raw.length > 400 ? `${raw.slice(0, 400)}…` : raw, meta });
    throw new Error(`${parser.name} threw ${(error as Error)?.name}: ${(error as Error)?.message} on ${input}`, { cause: error });
  }
  expect(Array.isArray(first)).toBe(true);
  // Pure: a replay of the stored body reads the same.
  expect(parser.parse(raw, meta, ctx)).toEqual(first);
}

interface Case {
  parser: PbxParser;
  metas: Record<string, string>[];
  /** Bodies near the real ones: a sample with one field changed. */
  near: fc.Arbitrary<string>;
  /** How a JSON value is posted to this source. */
  wrap: (json: string) => string;
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

const cases: Case[] = [
  { parser: genericParser, metas: [{}], near: near.generic, wrap: (json) => json },
  {
    parser: asteriskParser,
    metas: [
      { content_type: 'text/csv' },
      { content_type: 'application/json' },
      {},
      { content_type: 'text/csv', columns: 'x', first_line: 'abc', recording_bytes: '-1' },
    ],
    near: near.asterisk.map((b) => b.text),
    wrap: (json) => json,
  },
  { parser: freepbxParser, metas: [{}], near: near.freepbx, wrap: (json) => json },
  {
    parser: freeswitchParser,
    metas: [
      { content_type: 'application/x-www-form-urlencoded' },
      { content_type: 'application/json' },
      { content_type: 'application/x-www-form-base64-encoded' },
      {},
    ],
    near: near.freeswitch.map((b) => b.text),
    wrap: (json) => `cdr=${encodeURIComponent(json)}`,
  },
  { parser: zadarmaParser, metas: [{}], near: near.zadarma.map(form), wrap: (json) => `event=NOTIFY_END&json=${encodeURIComponent(json)}` },
  {
    parser: twilioParser,
    metas: [{ callback: 'status' }, { callback: 'recording' }, {}],
    near: near.twilio.map(([, fields]) => form(fields)),
    wrap: (json) => `CallStatus=completed&json=${encodeURIComponent(json)}`,
  },
  { parser: yeastarParser, metas: [{}], near: near.yeastar, wrap: (json) => json },
  {
    parser: mangoParser,
    metas: [{ event: 'call' }, { event: 'summary' }, { event: 'recording' }, { event: 'call', timeline: '[1,"x",{}]' }],
    near: near.mango.map(({ json }) => form({ vpbx_api_key: 'k', sign: 's', json })),
    wrap: (json) => form({ vpbx_api_key: 'k', sign: 's', json }),
  },
];

const text = (bytes: Uint8Array, charset: string) => new TextDecoder(charset).decode(bytes);

describe.each(cases.map((c) => [c.parser.name, c] as const))('the %s parser (property)', (_name, c) => {
  const meta = fc.constantFrom(...c.metas);

  it('reads any bytes, in UTF-8 or cp1251, into events or an InvalidPayloadError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom('utf-8', 'windows-1251'), meta, (bytes, charset, m) => {
        parsesOrRefuses(c.parser, { raw: text(bytes, charset), meta: m });
      }),
    );
  });

  it('reads any JSON value, bare and as the source posts it', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), meta, (value, wrapped, m) => {
        const json = JSON.stringify(value) ?? 'null';
        parsesOrRefuses(c.parser, { raw: wrapped ? c.wrap(json) : json, meta: m });
      }),
    );
  });

  it('reads any form of arbitrary names and values', () => {
    const pairs = fc.array(fc.tuple(fc.string({ maxLength: 12 }), fc.oneof(fc.string({ maxLength: 30 }), nasty.map(asText))), { maxLength: 8 });
    fc.assert(fc.property(pairs, meta, (p, m) => parsesOrRefuses(c.parser, { raw: new URLSearchParams(p).toString(), meta: m })));
  });

  it('reads its own sample bodies with any one field changed or removed', () => {
    fc.assert(
      fc.property(c.near, meta, (raw, m) => parsesOrRefuses(c.parser, { raw, meta: m })),
      { numRuns: 300 },
    );
  });
});
