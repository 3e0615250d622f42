import { describe, expect, it } from 'vitest';
import { defaultParseContext } from '../source';
import captured from './fixtures/p-series-30011-captured.json';
import { yeastarParser } from './parse';

const ctx = defaultParseContext('Europe/Moscow');
const parse = (body: unknown) => yeastarParser.parse(JSON.stringify(body), {}, ctx);
const p30011 = (msg: object) => ({ type: 30011, sn: '3631A2124XXX', msg: JSON.stringify(msg) });
const at = (unix: number) => new Date(unix * 1000);

describe('Yeastar P-Series 30011 (call state changed) → live moments', () => {
  it('reads real captures: an inbound call hung up, an extension hung up, an outgoing call answered', () => {
    expect(parse(captured[0])).toEqual([
      {
        kind: 'live',
        callKey: '1725446451.243',
        state: 'ended',
        direction: 'inbound',
        from: '94424722',
        to: null,
        extensions: [],
        line: '6402',
        at: at(1725446451),
      },
    ]);
    expect(parse(captured[1])).toEqual([expect.objectContaining({ callKey: '1694612246.86', state: 'ended', direction: null, extensions: ['700'] })]);
    // The call id is the one its 30012 CDR carries (call_id): the live call and the conversation meet.
    expect(parse(captured[2])).toEqual([expect.objectContaining({ callKey: '1702285525.16', state: 'answered', extensions: ['703'] })]);
  });

  it('an inbound call rings a group: the extensions in RING ring, on the number dialled', () => {
    const msg = {
      call_id: '1763622000.2201',
      members: [
        { inbound: { from: '84951234567', to: '74993334455', trunk_name: 'MTS-SIP', member_status: 'ALERT' } },
        { extension: { number: '101', member_status: 'RING' } },
        { extension: { number: '102', member_status: 'RING' } },
      ],
    };
    expect(parse(p30011(msg))).toEqual([
      {
        kind: 'live',
        callKey: '1763622000.2201',
        state: 'ringing',
        direction: 'inbound',
        from: '84951234567',
        to: '101',
        extensions: ['101', '102'],
        line: '74993334455',
        at: at(1763622000),
      },
    ]);
    const answered = {
      ...msg,
      members: [{ inbound: { ...msg.members[0]?.inbound, member_status: 'ANSWERED' } }, { extension: { number: '102', member_status: 'ANSWER' } }],
    };
    expect(parse(p30011(answered))[0]).toMatchObject({ state: 'answered', extensions: ['102'] });
    // Waiting in an IVR or a queue: ringing, nobody rung yet.
    expect(parse(p30011({ ...msg, members: [msg.members[0]] }))[0]).toMatchObject({ state: 'ringing', extensions: [] });
  });

  it('an outgoing call rings out from its extension; HOLD alone says nothing new', () => {
    const msg = {
      call_id: '1702285525.16',
      members: [
        { extension: { number: '703', member_status: 'ALERT' } },
        { outbound: { from: '703', to: '0872858652', trunk_name: 'SIP', member_status: 'RING' } },
      ],
    };
    expect(parse(p30011(msg))[0]).toMatchObject({ state: 'ringing', direction: 'outbound', from: '703', to: '0872858652', extensions: ['703'], line: null });
    expect(parse(p30011({ call_id: '1702285525.16', members: [{ extension: { number: '703', member_status: 'HOLD' } }] }))).toEqual([]);
  });
});

describe("Yeastar S-Series call reports (the API's Ringing / Answer / Hang up) → live moments", () => {
  it('reads the documented Ringing report: extension 1001 calls 1002', () => {
    const ring = { action: 'RING', callid: '1550710849.199', call: [{ ext: { extid: '1002' } }, { ext: { extid: '1001' } }], sn: '369351034049' };
    expect(parse(ring)).toEqual([
      {
        kind: 'live',
        callKey: '1550710849.199',
        state: 'ringing',
        direction: 'internal',
        from: '1001',
        to: '1002',
        extensions: ['1002', '1001'],
        line: null,
        at: at(1550710849),
      },
    ]);
  });

  it('reads an inbound call ringing, answered and hung up, keyed by the callid its NewCdr carries', () => {
    const call = [{ inbound: { inboundid: '1', from: '84951234567', to: '74993334455', trunk: 'MTS-SIP' } }, { ext: { extid: '103' } }];
    const report = (event: string) => ({ event, callid: '1763622000.2201', call, sn: '369451090405' });
    expect(parse(report('Ringing'))[0]).toMatchObject({
      callKey: '1763622000.2201',
      state: 'ringing',
      direction: 'inbound',
      extensions: ['103'],
      line: '74993334455',
    });
    expect(parse(report('ANSWERED'))[0]).toMatchObject({ state: 'answered', extensions: ['103'] });
    expect(parse(report('Hangup'))[0]).toMatchObject({ state: 'ended' });
    expect(parse({ event: 'ExtensionStatus', extension: '103', status: 'Busy' })).toEqual([]);
  });
});
