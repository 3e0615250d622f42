import { describe, expect, it } from 'vitest';
import { decideRecording, lineDigits, notRecordedByPolicy, type PolicyRule, policyProblems, policyReason } from './policy';

const T0 = new Date('2026-11-20T10:00:00Z');
const later = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

function rule(id: number, over: Partial<PolicyRule>): PolicyRule {
  return { id, userId: null, department: null, line: null, direction: null, action: 'skip', createdAt: T0, removedAt: null, ...over };
}

const call = { userId: 7, department: 'hr', line: '+7 495 000-00-01', direction: 'inbound', at: later(10) };

describe('decideRecording', () => {
  it('records without rules', () => {
    expect(decideRecording([], call)).toEqual({ record: true, rule: null });
  });

  it('skips a call matching a skip rule by department, line, direction or user', () => {
    for (const r of [rule(1, { department: 'hr' }), rule(2, { line: '74950000001' }), rule(3, { direction: 'inbound' }), rule(4, { userId: 7 })]) {
      expect(decideRecording([r], call)).toEqual({ record: false, rule: r });
    }
    expect(decideRecording([rule(5, { department: 'sales' })], call).record).toBe(true);
    expect(decideRecording([rule(6, { department: 'hr', direction: 'outbound' })], call).record).toBe(true);
    expect(decideRecording([rule(7, { line: '+7 495 000-00-02' })], { ...call }).record).toBe(true);
    expect(decideRecording([rule(8, { line: '+7 495 000-00-01' })], { ...call, line: null }).record).toBe(true);
  });

  it('lets the most specific rule decide, the newest on a tie', () => {
    const skipHr = rule(1, { department: 'hr' });
    const recordUser = rule(2, { department: 'hr', userId: 7, action: 'record' });
    expect(decideRecording([skipHr, recordUser], call)).toEqual({ record: true, rule: recordUser });
    const recordHr = rule(3, { department: 'hr', action: 'record' });
    expect(decideRecording([skipHr, recordHr], call)).toEqual({ record: true, rule: recordHr });
    expect(decideRecording([recordHr, rule(4, { direction: 'inbound' })], call).record).toBe(false);
  });

  it('applies a rule only to calls that started while it was in force', () => {
    expect(decideRecording([rule(1, { department: 'hr', createdAt: later(11) })], call).record).toBe(true);
    expect(decideRecording([rule(1, { department: 'hr', removedAt: later(5) })], call).record).toBe(true);
    expect(decideRecording([rule(1, { department: 'hr', removedAt: later(15) })], call).record).toBe(false);
  });
});

describe('policy helpers', () => {
  it('words the reason and finds it on a call', () => {
    expect(policyReason({ id: 12 })).toBe('not recorded by policy (rule #12)');
    expect(notRecordedByPolicy([{ fetchError: null }, { fetchError: 'not recorded by policy (rule #12)' }])).toBe('not recorded by policy (rule #12)');
    expect(notRecordedByPolicy([{ fetchError: 'recordings of extension 300 are not synced (recordings.sync)' }])).toBeNull();
  });

  it('refuses a rule naming nothing, or a line without digits', () => {
    const none = { userId: null, department: null, line: null, direction: null, action: 'skip' as const, note: null };
    expect(policyProblems(none)).toHaveLength(1);
    expect(policyProblems({ ...none, line: 'main' })).toEqual(['line: expected a phone number']);
    expect(policyProblems({ ...none, direction: 'internal' })).toEqual([]);
    expect(lineDigits('+375 17 200-00-00')).toBe('375172000000');
  });
});
