import { describe, expect, it } from 'vitest';
import { problemsOf } from '#test/parse';
import type { LegEnded } from '../../domain/events';
import { sourcesConfigSchema } from '../sources-config';
import { defaultParseContext, type ParseContext } from '../source';
import aLeg from './fixtures/a-leg-inbound-recorded.json';
import b101 from './fixtures/b-leg-101-answered-then-transferred.json';
import b102 from './fixtures/b-leg-102-after-transfer.json';
import b103 from './fixtures/b-leg-103-lost-race.json';
import { freeswitchParser } from './parse';

type Cdr = typeof aLeg | typeof b101;
const A = aLeg.variables.uuid;
const ctx = defaultParseContext('Europe/Moscow');
const withConfig = (freeswitch: Record<string, unknown>): ParseContext => ({ ...ctx, sources: sourcesConfigSchema.parse({ freeswitch }) });
const form = (cdr: unknown) => `cdr=${encodeURIComponent(JSON.stringify(cdr))}`;
const parse = (cdr: unknown, context = ctx) => freeswitchParser.parse(form(cdr), { content_type: 'application/x-www-form-urlencoded' }, context)[0] as LegEnded;
const vars = (cdr: Cdr, variables: Record<string, string | undefined>) => ({ ...cdr, variables: { ...cdr.variables, ...variables } });
const problems = (body: unknown) => problemsOf(() => freeswitchParser.parse(typeof body === 'string' ? body : form(body), {}, ctx));

describe('freeswitch legs', () => {
  it("reads the A-leg from its epochs, talk from the bridge, its recording from FusionPBX's variables", () => {
    expect(parse(aLeg)).toEqual({
      kind: 'leg',
      callKey: A,
      legKey: A,
      direction: 'inbound',
      directionRule: 'FreeSWITCH call_direction inbound',
      // The B-leg it was bridged to: a leg of the same call (the ledger joins what the PBX keyed apart).
      joins: ['d4e5f6a7-8b9c-4d0e-a1f2-3b4c5d6e7f80'],
      from: '84951234567',
      to: '74993334455',
      extension: null,
      startedAt: new Date('2026-11-20T07:00:00Z'),
      answeredAt: new Date('2026-11-20T07:00:05Z'),
      endedAt: new Date('2026-11-20T07:03:10Z'),
      disposition: 'answered',
      talkSeconds: 185,
      final: true,
      recorded: null,
      recording: {
        key: `/var/lib/freeswitch/recordings/pbx.example.com/archive/2026/Nov/20/${A}.wav`,
        url: `/var/lib/freeswitch/recordings/pbx.example.com/archive/2026/Nov/20/${A}.wav`,
        status: 'referenced',
      },
    });
  });

  it('groups B-legs under the A-leg, with the rung user as extension and billsec as talk', () => {
    expect(parse(b101)).toMatchObject({
      callKey: A,
      legKey: b101.variables.uuid,
      final: false,
      from: '84951234567',
      to: '101',
      extension: '101',
      answeredAt: new Date('2026-11-20T07:00:05Z'),
      talkSeconds: 60,
      disposition: 'answered',
      recorded: false,
      recording: null,
    });
    expect(parse(b103)).toMatchObject({ extension: '103', disposition: 'no_answer', answeredAt: null, talkSeconds: null });
    expect(parse(b102)).toMatchObject({ extension: '102', talkSeconds: 120, endedAt: new Date('2026-11-20T07:03:10Z') });
  });

  it('finds the call without call_uuid through originating_leg_uuid, then the originator profile', () => {
    expect(parse(vars(b101, { call_uuid: undefined }))).toMatchObject({ callKey: A, final: false });
    expect(parse(vars(b101, { call_uuid: undefined, originating_leg_uuid: undefined }))).toMatchObject({ callKey: A });
  });

  it('takes the old repeated "callflow" key (an object) and JSON sent as is', () => {
    const old = { ...b101, variables: { ...b101.variables, caller_id_number: undefined, destination_number: undefined }, callflow: b101.callflow[0] };
    expect(parse(old)).toMatchObject({ from: '84951234567', to: '101' });
    expect(freeswitchParser.parse(JSON.stringify(aLeg), { content_type: 'application/json' }, ctx)[0]).toEqual(parse(aLeg));
  });

  it('maps hangup causes of unanswered legs', () => {
    const cause = (hangup_cause: string) => parse(vars(b101, { answer_epoch: '0', bridge_epoch: '0', bridge_uuid: undefined, hangup_cause }))?.disposition;
    expect(['NO_ANSWER', 'ORIGINATOR_CANCEL', 'LOSE_RACE', 'PICKED_OFF', 'NO_USER_RESPONSE', 'NORMAL_CLEARING'].map(cause)).toEqual(Array(6).fill('no_answer'));
    expect(['USER_BUSY', 'CALL_REJECTED'].map(cause)).toEqual(['busy', 'busy']);
    expect(['UNALLOCATED_NUMBER', 'NORMAL_TEMPORARY_FAILURE', undefined as unknown as string].map(cause)).toEqual(['failed', 'failed', 'failed']);
  });

  it('an A-leg the PBX answered but never bridged is a missed call, unless configured otherwise', () => {
    const ivrOnly = vars(aLeg, { bridge_epoch: '0', bridge_uuid: undefined, last_bridge_to: undefined });
    expect(parse(ivrOnly)).toMatchObject({ disposition: 'no_answer', answeredAt: null, talkSeconds: null, recorded: null });
    expect(parse(ivrOnly, withConfig({ answered_requires_bridge: false }))).toMatchObject({
      disposition: 'answered',
      answeredAt: new Date('2026-11-20T07:00:01Z'),
      talkSeconds: 189,
    });
  });

  it('reads values as sent when encode-values is off, and builds the recording URL from the template', () => {
    const raw = vars(aLeg, { effective_caller_id_name: 'a%20b', caller_id_number: '%2B74951234567' });
    expect(parse(raw)).toMatchObject({ from: '+74951234567' });
    expect(parse(raw, withConfig({ encode_values: false }))).toMatchObject({ from: '%2B74951234567' });
    expect(
      parse(aLeg, withConfig({ recording_url: 'https://pbx.example.com/recordings{path}', recording_variables: ['record_path', 'record_name'] }))?.recording,
    ).toEqual({
      key: `/var/lib/freeswitch/recordings/pbx.example.com/archive/2026/Nov/20/${A}.wav`,
      url: `https://pbx.example.com/recordings/var/lib/freeswitch/recordings/pbx.example.com/archive/2026/Nov/20/${A}.wav`,
      status: 'referenced',
    });
    expect(parse(vars(aLeg, { recording_file: '/r/x.wav' }), withConfig({ recording_variables: ['recording_file'] }))?.recording?.key).toBe('/r/x.wav');
  });
});

describe('freeswitch bodies that are not CDRs', () => {
  it('names each problem with its path', () => {
    expect(problems('cdr=%7B')[0]).toMatch(/^cdr: is not valid JSON/);
    expect(problems('cdr=%%%')).toEqual(['cdr: expected URL-encoded or base64 JSON']);
    expect(problems('{"variables":')[0]).toMatch(/^cdr: is not valid JSON/);
    expect(problems({ callflow: [] })).toEqual(['variables: is required']);
    expect(problems({ variables: {}, callflow: 'x' })).toEqual(['callflow: expected an array of caller profiles']);
    expect(problems({ variables: {} })).toEqual(['variables.uuid: is required', 'variables.start_epoch: is required', 'variables.end_epoch: is required']);
    expect(problems(vars(b101, { start_epoch: '1795158000000' }))).toEqual(['variables.start_epoch: expected unix seconds, got "1795158000000"']);
    expect(problems(vars(b101, { end_epoch: '1795157000' }))).toEqual(['variables.end_epoch: is before start_epoch']);
  });

  it('takes the leg uuid from the URL when the variables lack it', () => {
    const cdr = vars(b101, { uuid: undefined });
    expect(freeswitchParser.parse(form(cdr), { uuid: 'from-query' }, ctx)[0]).toMatchObject({ legKey: 'from-query' });
  });
});
