import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { summarize, type LegFacts } from './assemble';
import type { NumberRules } from './phone';

const rules: NumberRules = { defaultCountry: 'RU', extensionPattern: /^\d{2,5}$/ };
const t = (hhmmss: string) => new Date(`2026-11-20T${hhmmss}Z`);

function leg(overrides: Partial<LegFacts> & { legKey: string }): LegFacts {
  const answeredAt = overrides.answeredAt === undefined ? t('10:00:05') : overrides.answeredAt;
  const endedAt = overrides.endedAt ?? t('10:01:05');
  return {
    direction: 'inbound',
    directionRule: null,
    line: null,
    fromRaw: '84951234567',
    toRaw: '101',
    extension: null,
    startedAt: t('10:00:00'),
    answeredAt,
    endedAt,
    disposition: answeredAt ? 'answered' : 'no_answer',
    talkSeconds: answeredAt ? Math.round((endedAt.getTime() - answeredAt.getTime()) / 1000) : 0,
    final: false,
    recorded: null,
    ...overrides,
  } as LegFacts;
}

describe('summarize', () => {
  it('describes a simple answered inbound call', () => {
    const s = summarize([leg({ legKey: 'a', final: true })], [{ legKey: 'a' }], rules);
    expect(s).toMatchObject({
      direction: 'inbound',
      externalNumber: '+74951234567',
      externalNumberRaw: '84951234567',
      extension: '101',
      outcome: 'answered',
      durationSeconds: 65,
      talkSeconds: 60,
      legCount: 1,
      final: true,
      awaitingRecordings: false,
    });
  });

  it('makes the rep who talked longest the handler of a transfer chain', () => {
    const s = summarize(
      [
        leg({ legKey: 'secretary', toRaw: '100', answeredAt: t('10:00:04'), endedAt: t('10:00:44') }),
        leg({ legKey: 'rep', toRaw: '205', startedAt: t('10:00:44'), answeredAt: t('10:00:50'), endedAt: t('10:03:40'), final: true }),
      ],
      [],
      rules,
    );
    expect(s.extension).toBe('205');
    expect(s.talkSeconds).toBe(40 + 170);
    expect(s.durationSeconds).toBe(220);
    expect(s.answeredAt).toEqual(t('10:00:04'));
    expect(s.externalNumber).toBe('+74951234567');
  });

  it('counts overlapping talk (attended transfer) once', () => {
    const s = summarize(
      [
        leg({ legKey: 'a', toRaw: '100', answeredAt: t('10:00:00'), endedAt: t('10:02:00') }),
        leg({ legKey: 'b', toRaw: '205', answeredAt: t('10:01:00'), endedAt: t('10:03:00') }),
      ],
      [],
      rules,
    );
    expect(s.talkSeconds).toBe(180);
  });

  it('names the outcome of unanswered calls: missed over busy over failed', () => {
    const none = (legKey: string, disposition: LegFacts['disposition']) => leg({ legKey, answeredAt: null, disposition });
    expect(summarize([none('a', 'no_answer'), none('b', 'busy')], [], rules).outcome).toBe('missed');
    expect(summarize([none('a', 'busy'), none('b', 'failed')], [], rules).outcome).toBe('busy');
    expect(summarize([none('a', 'failed')], [], rules).outcome).toBe('failed');
    expect(summarize([none('a', 'no_answer'), leg({ legKey: 'b' })], [], rules).outcome).toBe('answered');
  });

  it('gives a missed call to the first extension rung', () => {
    const s = summarize(
      [
        leg({ legKey: 'b', toRaw: '102', startedAt: t('10:00:10'), answeredAt: null }),
        leg({ legKey: 'a', toRaw: '101', startedAt: t('10:00:00'), answeredAt: null }),
      ],
      [],
      rules,
    );
    expect(s.extension).toBe('101');
    expect(s.talkSeconds).toBe(0);
  });

  it('finds the outside party of an outbound call in "to", and infers direction from numbers', () => {
    const s = summarize([leg({ legKey: 'a', direction: null, fromRaw: '101', toRaw: '8 (916) 123-45-67' })], [], rules);
    expect(s.direction).toBe('outbound');
    expect(s.externalNumber).toBe('+79161234567');
    expect(s.extension).toBe('101');
  });

  it('calls extension-to-extension internal when the PBX declares nothing, and says which rule did', () => {
    const s = summarize([leg({ legKey: 'a', direction: null, fromRaw: '101', toRaw: '102' })], [], rules);
    expect(s.direction).toBe('internal');
    expect(s.directionRule).toBe('caller 101 and callee 102 both match extension_pattern ^\\d{2,5}$');
    expect(s.externalNumber).toBeNull();
  });

  it('keeps the direction the PBX declares: a short service number on a trunk is an outside party, not an extension', () => {
    const inbound = summarize([leg({ legKey: 'a', direction: 'inbound', directionRule: 'Yeastar type Inbound', fromRaw: '900', toRaw: '102' })], [], rules);
    expect(inbound).toMatchObject({
      direction: 'inbound',
      directionRule: 'Yeastar type Inbound',
      externalNumber: null,
      externalNumberRaw: '900',
      extension: '102',
    });
    expect(inbound.externalNumberNote).toMatch(/short number/);
    const outbound = summarize([leg({ legKey: 'a', direction: 'outbound', fromRaw: '101', toRaw: '0611' })], [], rules);
    expect(outbound).toMatchObject({ direction: 'outbound', externalNumberRaw: '0611', extension: '101' });
  });

  it('is internal only when no leg reaches outside', () => {
    const legs = [
      leg({ legKey: 'a', direction: 'internal', directionRule: 'rule a', fromRaw: '101', toRaw: '102' }),
      leg({ legKey: 'b', direction: 'inbound', fromRaw: '84951234567', toRaw: '102', startedAt: t('10:00:01') }),
    ];
    expect(summarize(legs, [], rules)).toMatchObject({ direction: 'inbound', externalNumber: '+74951234567' });
    expect(summarize([legs[0]!], [], rules)).toMatchObject({ direction: 'internal', directionRule: 'rule a' });
  });

  it('reads national numbers in the country of the line the call came in on', () => {
    const lines: NumberRules = { ...rules, lineCountries: new Map([['375170000000', 'BY']]) };
    // 8 029 … is a Belarusian mobile in national form; read as Russian it is no valid number.
    const s = summarize([leg({ legKey: 'a', fromRaw: '80291234567', line: '+375 17 000-00-00' })], [], lines);
    expect(s.externalNumber).toBe('+375291234567');
    const other = summarize([leg({ legKey: 'a', fromRaw: '80291234567', line: '+7 495 000-00-00' })], [], {
      ...rules,
      lineCountries: new Map([['375170000000', 'BY']]),
    });
    expect(other).toMatchObject({ externalNumber: null, externalNumberRaw: '80291234567' });
  });

  it('keeps a withheld caller as an inbound call without number', () => {
    const s = summarize([leg({ legKey: 'a', fromRaw: 'anonymous' })], [], rules);
    expect(s).toMatchObject({ direction: 'inbound', externalNumber: null, externalNumberRaw: null });
  });

  it('keeps an unparseable outside number raw, with the reason', () => {
    const s = summarize([leg({ legKey: 'a', fromRaw: '123456' })], [], rules);
    expect(s).toMatchObject({ externalNumber: null, externalNumberRaw: '123456' });
    expect(s.externalNumberNote).toMatch(/kept as dialled/);
  });

  it('never takes the number a withheld caller dialled (the company’s own line) as the outside party', () => {
    const s = summarize([leg({ legKey: 'a', direction: 'inbound', fromRaw: 'anonymous', toRaw: '+7 495 000-00-01' })], [], rules);
    expect(s.direction).toBe('inbound');
    expect(s.externalNumber).toBeNull();
    expect(s.externalNumberRaw).toBeNull();
  });

  it('never uses an extension as the outside number', () => {
    const s = summarize([leg({ legKey: 'a', direction: 'inbound', fromRaw: '101', toRaw: '84951234567' })], [], rules);
    expect(s.externalNumber).toBe('+74951234567');
  });

  describe('awaiting recordings', () => {
    it('waits for each answered leg that records', () => {
      const legs = [leg({ legKey: 'a' }), leg({ legKey: 'b' })];
      expect(summarize(legs, [{ legKey: 'a' }], rules).awaitingRecordings).toBe(true);
      expect(summarize(legs, [{ legKey: 'a' }, { legKey: 'b' }], rules).awaitingRecordings).toBe(false);
    });
    it('does not wait for unanswered legs or legs the PBX does not record', () => {
      expect(summarize([leg({ legKey: 'a', answeredAt: null })], [], rules).awaitingRecordings).toBe(false);
      expect(summarize([leg({ legKey: 'a', recorded: false })], [], rules).awaitingRecordings).toBe(false);
    });
    it('takes a recording of no particular leg as the whole conversation', () => {
      const legs = [leg({ legKey: 'a' }), leg({ legKey: 'b' })];
      expect(summarize(legs, [{ legKey: 'call-1' }], rules).awaitingRecordings).toBe(false);
    });
  });

  it('does not depend on the order of legs (property)', () => {
    const legArb = fc.record({
      legKey: fc.constantFrom('a', 'b', 'c', 'd'),
      toRaw: fc.constantFrom('100', '101', '205', '84951234567', null),
      fromRaw: fc.constantFrom('84951234567', '+442071234567', '101', 'anonymous'),
      direction: fc.constantFrom('inbound' as const, 'outbound' as const, null),
      start: fc.integer({ min: 0, max: 300 }),
      ring: fc.integer({ min: 0, max: 30 }),
      talk: fc.option(fc.integer({ min: 0, max: 600 }), { nil: null }),
      final: fc.boolean(),
      recorded: fc.constantFrom(null, false),
    });
    fc.assert(
      fc.property(fc.uniqueArray(legArb, { selector: (l) => l.legKey, minLength: 1 }), fc.integer(), (arbs, seed) => {
        const legs = arbs.map((a) => {
          const startedAt = new Date(t('10:00:00').getTime() + a.start * 1000);
          const answeredAt = a.talk === null ? null : new Date(startedAt.getTime() + a.ring * 1000);
          const endedAt = new Date(startedAt.getTime() + (a.ring + (a.talk ?? 0)) * 1000);
          return leg({
            legKey: a.legKey,
            toRaw: a.toRaw,
            fromRaw: a.fromRaw,
            direction: a.direction,
            startedAt,
            answeredAt,
            endedAt,
            final: a.final,
            recorded: a.recorded,
          });
        });
        const shuffled = [...legs].sort((x, y) => ((x.legKey.charCodeAt(0) * seed) % 7) - ((y.legKey.charCodeAt(0) * seed) % 7));
        expect(summarize(shuffled, [], rules)).toEqual(summarize(legs, [], rules));
      }),
    );
  });
});
