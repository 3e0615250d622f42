import { describe, expect, it } from 'vitest';
import { deliveryDecision, settleDueAt } from './settle';

const last = new Date('2026-11-20T10:00:00Z');

describe('settleDueAt', () => {
  it('waits while the final event is missing', () => {
    expect(settleDueAt({ final: false, awaitingRecordings: false, lastEventAt: last }, 30)).toBeNull();
  });
  it('settles at once when the final event is in and no recording is awaited', () => {
    expect(settleDueAt({ final: true, awaitingRecordings: false, lastEventAt: last }, 30)).toEqual(last);
  });
  it('gives late recordings SETTLE_SECONDS after the last event', () => {
    expect(settleDueAt({ final: true, awaitingRecordings: true, lastEventAt: last }, 30)).toEqual(new Date('2026-11-20T10:00:30Z'));
    expect(settleDueAt({ final: true, awaitingRecordings: true, lastEventAt: last }, 0)).toEqual(last);
  });
  it('waits SETTLE_SECONDS of quiet when the source cannot tell which record ends the call', () => {
    expect(settleDueAt({ final: true, awaitingRecordings: false, tentativeFinal: true, lastEventAt: last }, 30)).toEqual(new Date('2026-11-20T10:00:30Z'));
    expect(settleDueAt({ final: false, awaitingRecordings: false, tentativeFinal: true, lastEventAt: last }, 30)).toBeNull();
  });
});

describe('deliveryDecision', () => {
  const base = {
    direction: 'inbound' as const,
    directionRule: null,
    externalNumber: '+74951234567',
    externalNumberRaw: '84951234567',
    externalNumberNote: null,
    legCount: 1,
  };
  it('delivers calls with an outside party', () => {
    expect(deliveryDecision(base)).toEqual({ deliver: true });
    expect(deliveryDecision({ ...base, externalNumber: null, externalNumberRaw: '123456' })).toEqual({ deliver: true });
  });
  it('skips internal calls, withheld numbers and recordings without a call, with a reason', () => {
    expect(deliveryDecision({ ...base, direction: 'internal' })).toEqual({
      deliver: false,
      reason: 'internal call: every party is an extension',
    });
    expect(deliveryDecision({ ...base, direction: 'internal', directionRule: 'caller 101 and callee 102 both match extension_pattern ^\\d{2,5}$' })).toEqual({
      deliver: false,
      reason: 'internal call: caller 101 and callee 102 both match extension_pattern ^\\d{2,5}$',
    });
    expect(deliveryDecision({ ...base, externalNumber: null, externalNumberRaw: null })).toMatchObject({
      deliver: false,
      reason: 'the outside number is withheld',
    });
    expect(deliveryDecision({ ...base, externalNumber: null, externalNumberRaw: null, externalNumberNote: 'no digits in "client:alice"' })).toEqual({
      deliver: false,
      reason: 'the outside party has no number (no digits in "client:alice")',
    });
    expect(deliveryDecision({ ...base, legCount: 0 })).toMatchObject({ deliver: false });
  });
});
