import { describe, expect, it } from 'vitest';
import { compileTemplate, mmss, renderTemplate, TemplateError, type CallVariables } from './template';

const vars: CallVariables = {
  phone: '+74951234567',
  phone_raw: '8 (495) 123-45-67',
  extension: '101',
  direction: 'inbound',
  outcome: 'missed',
  started_at: new Date('2026-11-20T07:05:09Z'),
  duration: 125,
  total_duration: 3725,
  uniq: 'ct1-abc',
  call_id: 'c-1',
  user_id: '1001',
  department: 'sales',
};

describe('config templates', () => {
  it('fills variables', () => {
    expect(renderTemplate('Call back {{ phone }} (ext {{extension}})', vars, 'UTC')).toBe('Call back +74951234567 (ext 101)');
  });

  it('formats dates in the configured time zone with moment-style tokens', () => {
    expect(renderTemplate('{{ started_at | date: "YYYY-MM-DD HH:mm" }}', vars, 'Europe/Moscow')).toBe('2026-11-20 10:05');
    expect(renderTemplate('{{ started_at | date: "DD.MM.YYYY HH:mm:ss" }}', vars, 'UTC')).toBe('20.11.2026 07:05:09');
    expect(renderTemplate('{{ started_at | date }}', vars, 'Asia/Vladivostok')).toBe('2026-11-20 17:05');
  });

  it('formats durations as m:ss, and h:mm:ss past an hour', () => {
    expect(renderTemplate('{{ duration | mmss }}', vars, 'UTC')).toBe('2:05');
    expect(renderTemplate('{{ total_duration | mmss }}', vars, 'UTC')).toBe('1:02:05');
    expect(mmss(0)).toBe('0:00');
    expect(mmss('x')).toBe('0:00');
  });

  it('names an unknown variable at load, with a suggestion', () => {
    expect(() => compileTemplate('{{ phonee }}')).toThrow(new TemplateError('unknown variable {{phonee}} — did you mean {{phone}}?'));
    expect(() => compileTemplate('{{ caller_name }}')).toThrow(/unknown variable \{\{caller_name\}\}$/);
  });

  it('names an unknown filter at load, with a suggestion and its column', () => {
    expect(() => compileTemplate('{{ phone | xyzzy }}')).toThrow(new TemplateError('unknown filter "xyzzy" (column 1)'));
    expect(() => compileTemplate('Talked {{ duration | mmsss }}')).toThrow(new TemplateError('unknown filter "mmsss" — did you mean "mmss"? (column 8)'));
    // The Liquid built-ins stay allowed.
    expect(renderTemplate('{{ phone | upcase | append: "!" }}', vars, 'UTC')).toBe('+74951234567!');
  });

  it('says where in a template of several lines the unknown variable is', () => {
    expect(() => compileTemplate('Call from {{ phone }}\nat {{ startd_at | date }}')).toThrow(
      new TemplateError('unknown variable {{startd_at}} — did you mean {{started_at}}? (line 2, column 7)'),
    );
  });

  it('refuses a template that does not parse, naming the column', () => {
    expect(() => compileTemplate('{{ phone ')).toThrow(TemplateError);
    expect(() => compileTemplate('x {{ phone | date: }')).toThrow(/not closed \(column 3\)$/);
  });

  it('refuses property access at load: variables are plain values, nothing reaches JavaScript objects', () => {
    expect(() => compileTemplate('{{ phone.constructor }}')).toThrow('{{phone.constructor}}: phone has no properties; use {{phone}} with a filter');
    expect(() => compileTemplate('{{ started_at["getTime"] }}')).toThrow(/started_at has no properties/);
  });
});
