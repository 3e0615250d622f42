import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CallEvent, LiveMoment } from '../../domain/events';
import { sourcesConfigSchema } from '../sources-config';
import type { ParseContext } from '../source';
import { AmiLiveTracker, amiForward, type AmiForward } from './ami-forward';
import { amiFieldReader, amiLiveBody, amiLiveMoment } from './ami-live';
import { amiHeader, type AmiMessage } from './ami-wire';
import { asteriskParser, csvReading } from './parse';
import { amiFixtureMessages } from './testing';

const ctx: ParseContext = { timeZone: 'Europe/Moscow', sources: sourcesConfigSchema.parse({}) };
const rules = csvReading(ctx as Parameters<typeof csvReading>[0]).dialplan;
const meta = { content_type: 'application/json', via: 'ami' };
const fixture = (name: string) => amiFixtureMessages(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
/** The real capture: an inbound call through an IVR and a queue to SIP/777 (fixtures/ami-queue-call.ami). */
const queueCall = fixture('ami-queue-call.ami');
/** Documented events, invented values: outbound, internal, inbound through a Local channel. */
const documented = fixture('ami-documented-calls.ami');
const RECEIVED = new Date('2017-12-26T11:43:47.000Z');

/** Each message as the listener sees it: the event's name, and what is forwarded. */
function run(messages: AmiMessage[], tracker = new AmiLiveTracker(rules)) {
  return messages.map((m, i) => ({ event: amiHeader(m, 'Event'), forward: amiForward(m, tracker, new Date(RECEIVED.getTime() + i * 1000)) }));
}

const live = (raw: string): CallEvent[] => asteriskParser.parse(raw, meta, ctx);
const momentOf = (forward: AmiForward): LiveMoment => {
  const [event] = live(forward.raw);
  if (event?.kind !== 'live') throw new Error(`no live moment in ${forward.raw}`);
  return event;
};

describe('AMI call events → live moments (a real capture: inbound, IVR, queue, SIP/777)', () => {
  const steps = run(queueCall);
  const forwarded = steps.filter((s) => s.forward !== null);

  it('forwards the first channel from the trunk, the dial, its answer, the phone entering the bridge and the caller hanging up', () => {
    expect(steps.map((s) => [s.event, s.forward?.kind ?? null])).toEqual([
      ['Newchannel', 'live'],
      ['VarSet', null],
      ['Newstate', null],
      ['Newchannel', null], // SIP/777's channel: the dial says it
      ['DialBegin', 'live'],
      ['DialEnd', 'live'],
      ['BridgeEnter', 'live'], // SIP/777
      ['BridgeEnter', null], // the trunk: nobody of ours
      ['Hangup', 'live'], // the first channel: the call is over
      ['Hangup', null],
    ]);
  });

  it('reads back from each stored body: ringing in the queue, ringing 777, answered by 777, ended', () => {
    const at = (i: number) => new Date(RECEIVED.getTime() + i * 1000);
    const base = { kind: 'live', callKey: '1514295827.372' } as const;
    expect(forwarded.map((s) => momentOf(s.forward!))).toEqual([
      { ...base, state: 'ringing', direction: 'inbound', from: '123', to: null, extensions: [], line: '888999', at: at(0) },
      { ...base, state: 'ringing', direction: 'inbound', from: '123', to: '777', extensions: ['777'], line: null, at: at(4) },
      { ...base, state: 'answered', direction: 'inbound', from: '123', to: '777', extensions: ['777'], line: null, at: at(5) },
      { ...base, state: 'answered', direction: null, from: null, to: null, extensions: ['777'], line: null, at: at(6) },
      { ...base, state: 'ended', direction: null, from: null, to: null, extensions: [], line: null, at: at(8) },
    ]);
  });

  it('keys the moments like the call’s CDRs (Linkedid), so the live call and the conversation meet', () => {
    const cdr = {
      Event: 'Cdr',
      Source: '123',
      Destination: '888999',
      DestinationContext: 'incoming',
      Channel: 'SIP/toOurAster-000000bb',
      DestinationChannel: 'SIP/777-000000bc',
      LastApplication: 'Queue',
      StartTime: '2017-12-26 14:43:47',
      AnswerTime: '2017-12-26 14:43:59',
      EndTime: '2017-12-26 14:44:11',
      Disposition: 'ANSWERED',
      UniqueID: '1514295827.372',
      LinkedID: '1514295827.372',
      Sequence: '1',
    };
    const [leg] = live(JSON.stringify(cdr));
    expect(leg).toMatchObject({ kind: 'leg', direction: 'inbound', extension: '777' });
    for (const s of forwarded) expect(momentOf(s.forward!).callKey).toBe(leg?.kind === 'leg' ? leg.callKey : undefined);
  });

  it('stores only the headers it reads, and when it received an event without Timestamp', () => {
    expect(JSON.parse(forwarded[1]!.forward!.raw)).toEqual({
      Event: 'DialBegin',
      Channel: 'SIP/toOurAster-000000bb',
      CallerIDNum: '123',
      Context: 'eeivr',
      Exten: 'sw_328_1',
      Uniqueid: '1514295827.372',
      Linkedid: '1514295827.372',
      DestChannel: 'SIP/777-000000bc',
      DestCallerIDNum: '777',
      DestUniqueid: '1514295839.373',
      DialString: 'SIP/777',
      ReceivedAt: '2017-12-26T11:43:51.000Z',
    });
    expect(forwarded.map((s) => s.forward!.raw).join('')).not.toMatch(/Eugene|Romanenko|SIPURI|CallerIDName/);
  });

  it('keys each stored event on its own ids: a second listener’s copy is a duplicate', () => {
    expect(forwarded.map((s) => s.forward!.dedupeKey)).toEqual([
      'ami:live:1514295827.372:newchannel:1514295827.372',
      'ami:live:1514295827.372:dialbegin:1514295827.372:1514295839.373',
      'ami:live:1514295827.372:dialend:1514295827.372:1514295839.373',
      'ami:live:1514295827.372:bridgeenter:1514295839.373:93a2c2ce-358b-422d-af07-3eb041e5b174',
      'ami:live:1514295827.372:hangup:1514295827.372',
    ]);
    // Received again later (another listener): another ReceivedAt, the same key.
    const again = run(queueCall).filter((s) => s.forward !== null);
    expect(again.map((s) => s.forward!.dedupeKey)).toEqual(forwarded.map((s) => s.forward!.dedupeKey));
  });

  it('forgets the call once it ended', () => {
    const tracker = new AmiLiveTracker(rules);
    run(queueCall.slice(0, 6), tracker);
    expect(tracker.size).toBe(1);
    run(queueCall.slice(6), tracker);
    expect(tracker.size).toBe(0);
  });

  it('without a tracker (or without the call’s earlier events) forwards no call event', () => {
    expect(queueCall.map((m) => amiForward(m))).toEqual(queueCall.map(() => null));
    // The phone's BridgeEnter and the Hangup alone cannot tell an outside call: not forwarded.
    expect(run(queueCall.slice(6)).map((s) => s.forward)).toEqual([null, null, null, null]);
  });
});

describe('AMI call events → live moments (the documented events)', () => {
  const steps = run(documented).map((s) => ({ ...s, moment: s.forward ? momentOf(s.forward) : null }));
  const of = (callKey: string) => steps.filter((s) => s.moment?.callKey === callKey).map((s) => s.moment);

  it('an outbound call: our phone rings out, is answered, ends; the trunk’s own channel says nothing', () => {
    const base = { kind: 'live', callKey: '1763630000.10' } as const;
    expect(of('1763630000.10')).toEqual([
      { ...base, state: 'ringing', direction: 'outbound', from: '100', to: '79161234567', extensions: ['100'], line: null, at: new Date(1763630000210) },
      { ...base, state: 'answered', direction: 'outbound', from: '100', to: '79161234567', extensions: ['100'], line: null, at: new Date(1763630012500) },
      { ...base, state: 'answered', direction: null, from: null, to: null, extensions: ['100'], line: null, at: new Date(1763630012520) },
      { ...base, state: 'ended', direction: null, from: null, to: null, extensions: [], line: null, at: new Date(1763630100010) },
    ]);
    // The event's own Timestamp: no ReceivedAt is stored.
    expect(steps.some((s) => s.forward?.raw.includes('ReceivedAt'))).toBe(false);
  });

  it('an internal call (100 → 101, no trunk) stores nothing', () => {
    const internal = steps.slice(8, 14);
    expect(internal.map((s) => s.event)).toEqual(['Newchannel', 'Newchannel', 'DialBegin', 'DialEnd', 'BridgeEnter', 'Hangup']);
    expect(internal.map((s) => s.forward)).toEqual([null, null, null, null, null, null]);
    // The dial alone reads as internal.
    const dial = amiLiveBody(documented[10]!, RECEIVED)!;
    expect(amiLiveMoment(amiFieldReader(dial), rules, [])).toMatchObject({ direction: 'internal', extensions: ['101'] });
  });

  it('an inbound call through a Local channel: the DID from FROM_DID, 100 rings, nobody answers', () => {
    const base = { kind: 'live', callKey: '1763630300.30' } as const;
    expect(of('1763630300.30')).toEqual([
      { ...base, state: 'ringing', direction: 'inbound', from: '74957654321', to: null, extensions: [], line: '74951112233', at: new Date(1763630300100) },
      // Local/100@from-queue…;2 is in from-internal: the numbers, not that context, decide.
      { ...base, state: 'ringing', direction: 'inbound', from: '74957654321', to: '100', extensions: ['100'], line: null, at: new Date(1763630301000) },
      { ...base, state: 'ended', direction: null, from: null, to: null, extensions: [], line: null, at: new Date(1763630330000) },
    ]);
  });
});

describe('AmiLiveTracker', () => {
  it('remembers at most maxCalls calls, forgetting the oldest', () => {
    const tracker = new AmiLiveTracker(rules, 2);
    const first = (id: string): AmiMessage => ({
      headers: [
        ['Event', 'Newchannel'],
        ['Channel', 'PJSIP/trunk-00000001'],
        ['CallerIDNum', '74957654321'],
        ['Context', 'from-pstn'],
        ['Exten', '74951112233'],
        ['Uniqueid', id],
        ['Linkedid', id],
      ],
      output: [],
    });
    for (const id of ['1.1', '1.2', '1.3']) expect(tracker.forward(first(id), RECEIVED)?.kind).toBe('live');
    expect(tracker.size).toBe(2);
    const bridge = (id: string): AmiMessage => ({
      headers: [
        ['Event', 'BridgeEnter'],
        ['BridgeUniqueid', 'b'],
        ['Channel', 'PJSIP/100-00000002'],
        ['Uniqueid', `${id}9`],
        ['Linkedid', id],
      ],
      output: [],
    });
    expect(tracker.forward(bridge('1.1'), RECEIVED)).toBeNull();
    expect(tracker.forward(bridge('1.3'), RECEIVED)?.kind).toBe('live');
  });
});
