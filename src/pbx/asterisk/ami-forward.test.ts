import { describe, expect, it } from 'vitest';
import { sourcesConfigSchema } from '../sources-config';
import type { ParseContext } from '../source';
import { AMI_CEL_EVENTS, amiForward } from './ami-forward';
import { AmiReader, type AmiMessage } from './ami-wire';
import { asteriskParser } from './parse';
import { amiEvent, transferChain } from './testing';

const ctx: ParseContext = { timeZone: 'Europe/Moscow', sources: sourcesConfigSchema.parse({}) };

/** Headers as Asterisk writes them on the wire, read back by the reader. */
function received(headers: Record<string, string>): AmiMessage {
  const text = `${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
  const [frame] = new AmiReader({ banner: false }).push(new TextEncoder().encode(text));
  if (frame?.kind !== 'message') throw new Error('no message');
  return frame.message;
}

/**
 * A LINKEDID_END as cel_manager.c writes it (its header order); the values are those of a public
 * capture from a 2011 Asterisk 1.8 install (extension 100 calling 199), found by the search tool
 * in a Python AMI client's comments — its repository is not named there.
 */
const LINKEDID_END = {
  Event: 'CEL',
  Privilege: 'call,all',
  EventName: 'LINKEDID_END',
  AccountCode: '',
  CallerIDnum: '100',
  CallerIDname: 'J-D Girard',
  CallerIDani: '100',
  CallerIDrdnis: '',
  CallerIDdnid: '199',
  Exten: '199',
  Context: 'interne',
  Channel: 'SIP/100-0000001f',
  Application: '',
  AppData: '',
  EventTime: '2011-02-06 11:05:51',
  AMAFlags: 'DOCUMENTATION',
  UniqueID: '1297026348.43',
  LinkedID: '1297026348.43',
  Userfield: '',
  Peer: '',
  PeerAccount: '',
  Extra: '',
};

describe('amiForward', () => {
  const [first] = transferChain();
  const cdr = amiEvent(first!);

  it('forwards a Cdr event as its headers in JSON, keyed on UniqueID and Sequence, read by the parser as today', () => {
    const forward = amiForward(received(cdr));
    expect(forward).toEqual({ kind: 'cdr', raw: JSON.stringify(cdr), dedupeKey: 'ami:cdr:1763622000.1:1' });
    // The same body the relayed-JSON path takes: the parser reads the same leg from it.
    const legs = asteriskParser.parse(forward!.raw, { content_type: 'application/json', via: 'ami' }, ctx);
    expect(legs).toEqual(asteriskParser.parse(JSON.stringify(cdr), { content_type: 'application/json' }, ctx));
    expect(legs[0]).toMatchObject({ callKey: '1763622000.1', legKey: '1763622000.1#1', extension: '100' });
  });

  it('keys a Cdr without Sequence on UniqueID, StartTime and the channel dialled', () => {
    const { Sequence: _, LinkedID: __, ...plain } = cdr;
    expect(amiForward(received(plain))?.dedupeKey).toBe('ami:cdr:1763622000.1:2026-11-20 10:00:00:PJSIP/100-00000002');
    // Two CDRs of one channel ringing two phones: different keys.
    expect(amiForward(received({ ...plain, DestinationChannel: 'PJSIP/101-00000003' }))?.dedupeKey).not.toBe(amiForward(received(plain))?.dedupeKey);
  });

  it('leaves the key to the body hash when there is no UniqueID', () => {
    const { UniqueID: _, ...anonymous } = cdr;
    expect(amiForward(received(anonymous))).toEqual({ kind: 'cdr', raw: JSON.stringify(anonymous) });
  });

  it('forwards a CEL event of a kind the parser reads, keyed on its ids and time', () => {
    expect(AMI_CEL_EVENTS).toEqual(['LINKEDID_END']);
    expect(amiForward(received(LINKEDID_END))).toEqual({
      kind: 'cel',
      raw: JSON.stringify(LINKEDID_END),
      dedupeKey: 'ami:cel:1297026348.43:LINKEDID_END:2011-02-06 11:05:51:1297026348.43',
    });
  });

  it('ignores other CEL kinds, other events and responses', () => {
    expect(amiForward(received({ ...LINKEDID_END, EventName: 'CHAN_START' }))).toBeNull();
    expect(amiForward(received({ ...LINKEDID_END, EventName: '' }))).toBeNull();
    expect(amiForward(received({ Event: 'Newchannel', Privilege: 'call,all', Channel: 'SIP/100-0000001f', Uniqueid: '1297026348.43' }))).toBeNull();
    expect(amiForward(received({ Response: 'Success', ActionID: '2', Ping: 'Pong' }))).toBeNull();
  });

  it('keeps the first value of a repeated header in the JSON', () => {
    const message: AmiMessage = {
      headers: [
        ['Event', 'Cdr'],
        ['UniqueID', '1.1'],
        ['ChanVariable', 'A=1'],
        ['ChanVariable', 'B=2'],
      ],
      output: [],
    };
    expect(JSON.parse(amiForward(message)!.raw)).toEqual({ Event: 'Cdr', UniqueID: '1.1', ChanVariable: 'A=1' });
  });
});
