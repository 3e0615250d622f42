import { describe, expect, it } from 'vitest';
import { defaultParseContext } from '../source';
import * as captured from './fixtures/captured-call-states';
import * as t from './fixtures/inbound-transfer';
import { mangoParser } from './parse';

const ctx = defaultParseContext('Europe/Moscow');
const body = (json: unknown) =>
  new URLSearchParams({ vpbx_api_key: 'key', sign: 'sign', json: typeof json === 'string' ? json : JSON.stringify(json) }).toString();
const parse = (event: string, json: unknown, meta: Record<string, string> = {}) => mangoParser.parse(body(json), { event, ...meta }, ctx);
const live = (event: string, json: unknown) => parse(event, json).filter((e) => e.kind === 'live');
const at = (unix: number) => new Date(unix * 1000);
const T = 1_795_158_000;

describe('Mango events/call as it happens → live moments', () => {
  it('reads a real capture: an incoming call appears at employee 103 — ringing, keyed by entry_id', () => {
    expect(parse('call', captured.appearedAtEmployee)).toEqual([
      {
        kind: 'live',
        callKey: 'MTI4OTY2MjMzMTk=',
        state: 'ringing',
        direction: 'inbound',
        from: '78442297678',
        to: '103',
        extensions: ['103'],
        line: '84951111111',
        at: at(1634561740),
      },
    ]);
  });

  it('reads a real capture: a call in the IVR rings nobody yet', () => {
    expect(parse('call', captured.appearedInIvrJson)).toEqual([
      {
        kind: 'live',
        callKey: 'MzQ1Mzc1MzUxMzoxNjE=',
        state: 'ringing',
        direction: 'inbound',
        from: '79997356761',
        to: '74994509495',
        extensions: [],
        line: '74994509495',
        at: at(1513707786),
      },
    ]);
  });

  it("follows Mango's documented transfer: ringing, answered, the consultation, the transfer", () => {
    expect(live('call', t.appeared333)).toEqual([expect.objectContaining({ callKey: t.ENTRY, state: 'ringing', extensions: ['333'], at: at(T) })]);
    expect(live('call', t.connected333)).toEqual([expect.objectContaining({ state: 'answered', direction: 'inbound', extensions: ['333'], at: at(T + 5) })]);
    // Employee to employee: an internal call or a consultation — Mango does not say.
    expect(live('call', t.appeared321)[0]).toMatchObject({ state: 'ringing', direction: null, from: '44332211', extensions: ['321'] });
    expect(live('call', t.connected321)[0]).toMatchObject({ state: 'answered', direction: 'inbound', from: '74955404444', extensions: ['321'] });
  });

  it("OnHold and a call's Disconnected say nothing live; the summary ends the entry", () => {
    expect(live('call', t.onHold333)).toEqual([]);
    expect(live('call', t.disconnected333)).toEqual([]);
    expect(live('summary', t.summary)).toEqual([
      expect.objectContaining({ kind: 'live', callKey: t.ENTRY, state: 'ended', direction: 'inbound', from: '74955404444', at: at(T + 240) }),
    ]);
  });

  it('keys every moment as the legs of the entry are keyed, and stays beside the leg it completes', () => {
    const events = parse('call', t.disconnected321, { timeline: JSON.stringify([t.appeared321, t.transferred321, t.connected321]) });
    expect(events.map((e) => e.kind)).toEqual(['leg']);
    const withLeg = parse('call', t.connected321, { timeline: JSON.stringify([t.appeared321, t.transferred321, t.disconnected321]) });
    expect(withLeg.map((e) => [e.kind, e.kind === 'dropped' ? null : e.callKey])).toEqual([
      ['leg', t.ENTRY],
      ['live', t.ENTRY],
    ]);
  });

  it('gives nothing live for an entry rebuilt from the statistics (a call long over)', () => {
    expect(parse('call', captured.appearedAtEmployee, { origin: 'stats' })).toEqual([]);
    expect(parse('summary', t.summary, { origin: 'stats' }).every((e) => e.kind === 'leg')).toBe(true);
  });
});
