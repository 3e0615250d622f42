import { describe, expect, it } from 'vitest';
import { legDirection, legExtension, partyNumber, twilioParty } from './parties';

const own = new Set(['+74993334455']);
const party = (address: string) => twilioParty(address, own);

describe('twilio parties', () => {
  it('tells agents, numbers, withheld callers and non-numbers apart', () => {
    expect(party('client:alice')).toEqual({ kind: 'agent', id: 'alice' });
    expect(party('sip:102@acme.sip.twilio.com')).toEqual({ kind: 'agent', id: '102' });
    expect(party('sip:%2B74951234567@trunk.example;transport=tls')).toEqual({ kind: 'phone', number: '+74951234567', own: false });
    expect(party('+74993334455')).toEqual({ kind: 'phone', number: '+74993334455', own: true });
    expect(party('+266696687')).toEqual({ kind: 'anonymous' });
    expect(party('AP0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d')).toEqual({ kind: 'none' });
    expect(party('')).toEqual({ kind: 'none' });
    expect(partyNumber(party('client:alice'))).toBeNull();
    expect(partyNumber(party('Restricted'))).toBe('anonymous');
  });

  it.each([
    ['+74951234567', 'client:alice', 'outbound-dial', 'inbound'],
    ['client:alice', '+14155550100', 'inbound', 'outbound'],
    ['client:alice', 'client:bob', 'outbound-dial', 'internal'],
    ['+74993334455', 'client:alice', 'outbound-api', 'outbound'],
    ['+14155550100', 'client:alice', 'outbound-api', 'outbound'],
    ['+74993334455', '+14155550100', 'outbound-dial', 'outbound'],
    ['+14155550100', '+74993334455', 'inbound', 'inbound'],
    ['+14155550100', '+79161234567', 'outbound-dial', null],
    ['+14155550100', '+79161234567', 'outbound-api', 'outbound'],
    ['+14155550100', '+79161234567', 'inbound', 'inbound'],
    ['+14155550100', '+79161234567', 'trunking-originating', 'inbound'],
    ['+14155550100', '+79161234567', 'trunking-terminating', 'outbound'],
  ] as const)('%s → %s (%s) is %s', (from, to, twilio, expected) => {
    expect(legDirection(party(from), party(to), twilio)).toBe(expected);
  });

  it('takes the caller as the extension when an agent calls, else the callee', () => {
    expect(legExtension(party('client:alice'), party('client:bob'))).toBe('alice');
    expect(legExtension(party('+74951234567'), party('sip:102@x.sip.twilio.com'))).toBe('102');
    expect(legExtension(party('+74951234567'), party('+74993334455'))).toBeNull();
  });
});
