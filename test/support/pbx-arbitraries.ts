/**
 * fast-check arbitraries for PBX bodies: the sources' own sample bodies with one field replaced by
 * anything a PBX (or someone holding its secret) might put there, or removed, or a field added.
 * Shared by the parsers' property test (test/unit) and the webhook routes' (test/integration).
 */
import fc from 'fast-check';
import { amiEvent, freepbxRow, masterCsvLine, missedCall, transferChain } from '../../src/pbx/asterisk/testing';
import aLeg from '../../src/pbx/freeswitch/fixtures/a-leg-inbound-recorded.json';
import b101 from '../../src/pbx/freeswitch/fixtures/b-leg-101-answered-then-transferred.json';
import * as mango from '../../src/pbx/mango/fixtures/inbound-transfer';
import * as twilio from '../../src/pbx/twilio/fixtures/inbound-transfer';
import yeastarP from '../../src/pbx/yeastar/fixtures/p-series-internal-call.json';
import yeastarS from '../../src/pbx/yeastar/fixtures/s-series-inbound-transfer.json';
import * as zadarma from '../../src/pbx/zadarma/fixtures/inbound-transfer';
import { callEnded, recordingReady } from './events';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Form = Record<string, string>;

/** Values a PBX (or an attacker with the secret) might put in a field. */
export const nasty: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue() as fc.Arbitrary<Json>,
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    '',
    ' ',
    '0',
    '-1',
    '1e400',
    '-0',
    'NaN',
    'Infinity',
    '99999999999999999999',
    '1.5',
    '0000-00-00 00:00:00',
    '2026-02-30 25:61:61',
    '9999-12-31 23:59:59',
    '0001-01-01 00:00:00',
    '\u0000',
    '\ud800',
    'null',
    '[]',
    '{}',
    '%',
    '%zz',
    '+',
  ),
  fc.integer().map(String),
  fc.double().map(String),
  fc.constantFrom(-1, 0, 1e300, -1e300, 2 ** 31, 2 ** 53, 1.5, 1e11, 1e13, 8.64e12),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
);

export const asText = (value: Json): string => (typeof value === 'string' ? value : JSON.stringify(value));

/** Every path into a JSON value, down to three levels. */
function paths(value: Json, depth = 3): (string | number)[][] {
  if (depth === 0 || value === null || typeof value !== 'object') return [];
  const keys: (string | number)[] = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return keys.flatMap((k) => [[k], ...paths((value as Record<string | number, Json>)[k] as Json, depth - 1).map((p) => [k, ...p])]);
}

function replaced(value: Json, path: (string | number)[], by: Json | undefined): Json {
  const copy = structuredClone(value);
  let at = copy as Record<string | number, Json>;
  for (const k of path.slice(0, -1)) at = at[k] as Record<string | number, Json>;
  const last = path.at(-1) as string | number;
  if (by === undefined) delete at[last];
  else at[last] = by;
  return copy;
}

/** A sample with one field (at any depth) replaced by a nasty value, or removed. */
export const mutatedJson = (seeds: Json[]): fc.Arbitrary<Json> =>
  fc
    .constantFrom(...seeds)
    .chain((seed) => fc.tuple(fc.constant(seed), fc.constantFrom(...paths(seed)), fc.option(nasty, { nil: undefined })))
    .map(([seed, path, by]) => replaced(seed, path, by));

/** A form with one value replaced by a nasty one (as text), or a field removed, or one added. */
export const mutatedForm = (seeds: Form[]): fc.Arbitrary<Form> =>
  fc
    .constantFrom(...seeds)
    .chain((seed) =>
      fc.tuple(fc.constant(seed), fc.oneof(fc.constantFrom(...Object.keys(seed)), fc.string({ maxLength: 8 })), fc.option(nasty, { nil: undefined })),
    )
    .map(([seed, key, by]) => {
      const form = { ...seed };
      if (by === undefined) delete form[key];
      else form[key] = asText(by);
      return form;
    });

const cdrs = [...transferChain('p-1763622000'), ...missedCall('p-1763622300')];

export const near = {
  generic: mutatedJson([callEnded(), recordingReady(), [callEnded(), callEnded({ leg_id: 'b' })]] as unknown as Json[]).map(asText),
  /** Master.csv lines with one column replaced, or AMI Cdr events with one field replaced. */
  asterisk: fc.oneof(
    mutatedJson(cdrs.map(amiEvent) as unknown as Json[]).map((json) => ({ text: asText(json), type: 'application/json' })),
    fc.tuple(fc.constantFrom(...cdrs.map((c) => masterCsvLine(c))), fc.nat(), nasty).map(([line, i, by]) => {
      const fields = line.split(',');
      fields[i % fields.length] = `"${asText(by).replace(/"/g, '""')}"`;
      return { text: fields.join(','), type: 'text/csv' };
    }),
  ),
  freepbx: mutatedJson(cdrs.map(freepbxRow) as unknown as Json[]).map(asText),
  /** In each of mod_json_cdr's three encodings. */
  freeswitch: mutatedJson([aLeg, b101] as unknown as Json[]).chain((cdr) => {
    const json = JSON.stringify(cdr);
    return fc.constantFrom(
      { text: json, type: 'application/json' },
      { text: `cdr=${encodeURIComponent(json)}`, type: 'application/x-www-form-urlencoded' },
      { text: `cdr=${Buffer.from(json).toString('base64')}`, type: 'application/x-www-form-base64-encoded' },
    );
  }),
  zadarma: mutatedForm(zadarma.inOrder as unknown as Form[]),
  twilio: fc.tuple(
    fc.constantFrom('status' as const, 'recording' as const),
    mutatedForm([twilio.parentRinging, twilio.aliceCompleted, twilio.parentCompleted, twilio.recordingInProgress, twilio.recordingCompleted] as Form[]),
  ),
  yeastar: fc.oneof(
    mutatedJson([...(yeastarS as Json[]), yeastarP as Json]).map(asText),
    // P-Series carries the call in `msg`, a JSON document in a string.
    mutatedJson([JSON.parse(yeastarP.msg) as Json]).map((msg) => JSON.stringify({ ...yeastarP, msg: asText(msg) })),
  ),
  /** The kind (the path it is posted to) and the `json` form value. */
  mango: fc.oneof(
    mutatedJson([mango.appeared333, mango.connected333, mango.disconnected333] as unknown as Json[]).map((j) => ({ kind: 'call' as const, json: asText(j) })),
    mutatedJson([mango.summary] as unknown as Json[]).map((j) => ({ kind: 'summary' as const, json: asText(j) })),
    mutatedJson([mango.recording333Completed, mango.recording321Completed] as unknown as Json[]).map((j) => ({ kind: 'recording' as const, json: asText(j) })),
  ),
};
