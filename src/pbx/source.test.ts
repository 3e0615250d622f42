import { describe, expect, it } from 'vitest';
import { integratorConfigSchema } from '../settings/integrator';
import { summarize } from '../domain/assemble';
import { conversationSource, sourcesSharing } from './registry';
import { numberRules, sourceNumberRules } from './source';

describe('number rules per source and per line', () => {
  const config = integratorConfigSchema.parse({
    default_country: 'RU',
    lines: { '+375 17 200-00-00': { default_country: 'BY' } },
    sources: { yeastar: { default_country: 'KE' }, freepbx: { default_country: 'KR' } },
  });
  const rules = numberRules(config);

  it('takes a source’s own default_country; FreePBX’s also serves the Asterisk CDRs it shares a key space with', () => {
    expect(sourceNumberRules(rules, config, 'yeastar').defaultCountry).toBe('KE');
    expect(sourceNumberRules(rules, config, 'zadarma').defaultCountry).toBe('RU');
    expect(conversationSource('freepbx')).toBe('asterisk');
    expect(sourcesSharing('asterisk')).toEqual(['asterisk', 'freepbx']);
    expect(sourceNumberRules(rules, config, 'asterisk').defaultCountry).toBe('KR');
  });

  it('reads national numbers of a line in the line’s country, however the line is written', () => {
    const leg = (line: string | null) => ({
      legKey: 'a',
      direction: 'inbound' as const,
      directionRule: null,
      fromRaw: '80291234567',
      toRaw: '101',
      extension: null,
      line,
      startedAt: new Date(0),
      answeredAt: null,
      endedAt: new Date(0),
      disposition: 'no_answer' as const,
      talkSeconds: 0,
      final: true,
      recorded: null,
    });
    // A Belarusian mobile in national form: on the Minsk line it is +375 29…; read as Russian it is no valid number.
    for (const line of ['375172000000', '+375 (17) 200-00-00', '00375172000000']) {
      expect(summarize([leg(line)], [], rules).externalNumber).toBe('+375291234567');
    }
    expect(summarize([leg('74951234567')], [], rules)).toMatchObject({ externalNumber: null, externalNumberRaw: '80291234567' });
  });
});
