import { describe, expect, it } from 'vitest';
import { DEFAULT_NUMBER_RULES } from '../source';
import {
  cdrDirection,
  channelParty,
  DEFAULT_INBOUND_CONTEXTS,
  DEFAULT_INTERNAL_CONTEXTS,
  matchesContext,
  type CdrParties,
  type DialplanRules,
} from './dialplan';

const rules = (over: Partial<DialplanRules> = {}): DialplanRules => ({
  trunks: [],
  inboundContexts: DEFAULT_INBOUND_CONTEXTS,
  internalContexts: DEFAULT_INTERNAL_CONTEXTS,
  numbers: DEFAULT_NUMBER_RULES,
  ...over,
});
const cdr = (over: Partial<CdrParties>): CdrParties => ({ channel: '', dstchannel: '', dcontext: '', caller: '', dst: '', ...over });

describe('channelParty', () => {
  it('names the peer of every channel technology', () => {
    expect(channelParty('SIP/211553-0000000b')).toEqual({ tech: 'sip', peer: '211553' });
    expect(channelParty('PJSIP/79161234567-00000012')).toEqual({ tech: 'pjsip', peer: '79161234567' });
    expect(channelParty('IAX2/5000-3187')).toEqual({ tech: 'iax2', peer: '5000' });
    expect(channelParty('Local/ch1@TimeDelay-00000000;2')).toEqual({ tech: 'local', peer: 'ch1' });
    expect(channelParty('DAHDI/i1/84951234567-1')).toEqual({ tech: 'dahdi', peer: 'i1' });
    expect(channelParty('')).toBeNull();
  });
});

describe('cdrDirection: decided by configuration, never by the length of a name', () => {
  // Rows of a real office (mineevburyat/dj-asterisk-cdr, Master.csv): the trunks are SIP peers
  // named by the office's city numbers; today's code took them for extensions and the calls for internal.
  it('a trunk peer named by digits is a trunk when its name is no extension', () => {
    const v = cdrDirection(cdr({ channel: 'SIP/211474-00000000', dcontext: 'stadion-pstn', caller: '89245555937', dst: '211474' }), rules());
    expect(v).toEqual({
      direction: 'inbound',
      rule: 'channel SIP/211474 is a trunk (its name is no extension by extension_pattern ^\\d{2,5}$)',
      extension: null,
      callee: '211474',
    });
    const rep = cdrDirection(cdr({ channel: 'SIP/211553-00000003', dstchannel: 'SIP/301-00000004', caller: '89245555937', dst: '211553' }), rules());
    expect(rep).toMatchObject({ direction: 'inbound', extension: '301' });
    expect(cdrDirection(cdr({ channel: 'PJSIP/79161234567-00000012', dstchannel: 'PJSIP/101-1', caller: '79161234567', dst: '101' }), rules()).rule).toBe(
      'channel PJSIP/***4567 is a trunk (its name is no extension by extension_pattern ^\\d{2,5}$)',
    );
  });

  it('a peer that looks like a phone but carries an outside caller is a trunk (IAX2/5000)', () => {
    const v = cdrDirection(cdr({ channel: 'IAX2/5000-3187', dstchannel: 'SIP/101-1', caller: '79161234567', dst: '101', dcontext: 'iax-in' }), rules());
    expect(v).toMatchObject({ direction: 'inbound', extension: '101' });
    expect(v.rule).toBe('the caller ***4567 is no extension, so channel IAX2/5000 is a trunk');
  });

  it('a listed trunk is a trunk whatever its name', () => {
    const v = cdrDirection(cdr({ channel: 'SIP/5000-1', dstchannel: 'SIP/101-2', caller: '2000', dst: '101' }), rules({ trunks: ['5000'] }));
    expect(v).toMatchObject({ direction: 'inbound', rule: 'channel SIP/5000 is a trunk (listed in trunks)' });
  });

  it('contexts say which side a call entered from', () => {
    expect(cdrDirection(cdr({ channel: 'Local/101@from-queue-1;2', dcontext: 'from-trunk', caller: '', dst: '101' }), rules())).toMatchObject({
      direction: 'inbound',
      rule: 'context from-trunk is in inbound_contexts',
    });
    expect(matchesContext('ext-did-0001', DEFAULT_INBOUND_CONTEXTS)).toBe(true);
    expect(matchesContext('ext-didx', DEFAULT_INBOUND_CONTEXTS)).toBe(false);
    expect(matchesContext('from-internal', DEFAULT_INBOUND_CONTEXTS)).toBe(false);
  });

  it('our phone calling out through a trunk is outbound, also when it shows the company number as caller', () => {
    const out = cdrDirection(
      cdr({ channel: 'SIP/101-1', dstchannel: 'SIP/provider-2', dcontext: 'from-internal', caller: '74951234567', dst: '89161234567' }),
      rules(),
    );
    expect(out).toMatchObject({ direction: 'outbound', extension: '101' });
    const custom = cdrDirection(
      cdr({ channel: 'SIP/101-1', dstchannel: 'SIP/provider-2', dcontext: 'outgoing', caller: '74951234567', dst: '89161234567' }),
      rules(),
    );
    expect(custom).toMatchObject({
      direction: 'outbound',
      rule: 'channel SIP/101 is a phone by extension_pattern ^\\d{2,5}$; dstchannel SIP/provider is a trunk (its name is no extension by extension_pattern ^\\d{2,5}$)',
    });
  });

  it('a short service number dialled through a trunk is outbound, not internal', () => {
    const v = cdrDirection(cdr({ channel: 'SIP/101-1', dstchannel: 'SIP/provider-2', dcontext: 'from-internal', caller: '101', dst: '900' }), rules());
    expect(v.direction).toBe('outbound');
  });

  it('is internal only when both parties are extensions, and says which rule said so', () => {
    const v = cdrDirection(cdr({ channel: 'SIP/101-1', dstchannel: 'SIP/102-2', dcontext: 'from-internal', caller: '101', dst: '102' }), rules());
    expect(v).toEqual({
      direction: 'internal',
      rule: 'context from-internal is in internal_contexts; the callee 102 is an extension by extension_pattern ^\\d{2,5}$',
      extension: '102',
      callee: '102',
    });
  });

  it('lets the numbers decide for Local channels', () => {
    // A Local channel of a ring group ringing 301 for an outside caller (the same real office).
    const v = cdrDirection(
      cdr({ channel: 'Local/ch1@TimeDelay-00000000;2', dstchannel: 'SIP/301-00000007', dcontext: 'TimeDelay', caller: '89245555937', dst: 'ch1' }),
      rules(),
    );
    expect(v).toMatchObject({ direction: 'inbound', extension: '301' });
    expect(cdrDirection(cdr({ channel: 'Local/600@from-queue-1;2', dstchannel: 'SIP/102-2', caller: '101', dst: '600' }), rules()).direction).toBe('internal');
    expect(cdrDirection(cdr({ channel: 'Local/s@ivr-1;2', caller: '', dst: 's' }), rules())).toEqual({
      direction: null,
      rule: null,
      extension: null,
      callee: null,
    });
  });

  it('reads what Dial sent to a trunk: the number (after an outside-line prefix) and a remote PBX’s extension', () => {
    // An Asterisk 11 box in the US (simularent/asterisk-for-speech-to-text): users dial 8 for an outside line.
    const out = cdrDirection(
      cdr({
        channel: 'SIP/101-1',
        dstchannel: 'SIP/sipus1-00000001',
        dcontext: 'LocalSets',
        caller: '101',
        dst: '818105881377',
        lastdata: 'SIP/18105881377@sipus1',
      }),
      rules(),
    );
    expect(out).toMatchObject({ direction: 'outbound', callee: '18105881377' });
    // Buryatia: Dial(SIP/301&SIP/200@stadionpbx) answered on the trunk to the stadium's PBX: its 200 took it.
    const remote = cdrDirection(
      cdr({ channel: 'SIP/211474-1', dstchannel: 'SIP/stadionpbx-1b', caller: '89085951008', dst: '211474', lastdata: 'SIP/301&SIP/200@stadionpbx,60,t' }),
      rules(),
    );
    expect(remote).toMatchObject({ direction: 'inbound', extension: '200' });
    // chan_sip's peer/number form, as FreePBX writes it.
    expect(
      cdrDirection(cdr({ channel: 'SIP/101-1', dstchannel: 'SIP/mug_1-2', caller: '101', dst: '05085125336', lastdata: 'SIP/mug_1/0316130092,60,m' }), rules())
        .callee,
    ).toBe('0316130092');
  });

  it('takes the PBX’s own console for our side, never a trunk', () => {
    const v = cdrDirection(
      cdr({
        channel: 'Console/default',
        dstchannel: 'SIP/sipus1-4',
        dcontext: 'default',
        caller: '2564286000',
        dst: '812489398620',
        lastdata: 'SIP/12489398620@sipus1',
      }),
      rules(),
    );
    expect(v).toMatchObject({ direction: 'outbound', callee: '12489398620' });
  });

  it('follows the integrator’s extension pattern: 6-digit extensions are phones when the pattern says so', () => {
    const sixDigit = rules({ numbers: { ...DEFAULT_NUMBER_RULES, extensionPattern: /^\d{6}$/ } });
    const v = cdrDirection(cdr({ channel: 'SIP/211474-1', dstchannel: 'SIP/211553-2', dcontext: 'from-internal', caller: '211474', dst: '211553' }), sixDigit);
    expect(v.direction).toBe('internal');
  });
});
