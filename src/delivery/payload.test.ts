import { describe, expect, it } from 'vitest';
import { parseIntegratorConfig } from '../settings/integrator';
import { callbackTask, toCallToLog, wantsCallbackTask, type DeliverableCall } from './payload';

const config = parseIntegratorConfig(
  JSON.stringify({
    time_zone: 'Europe/Moscow',
    extensions: { '101': 1001, '205': { user: 1205, department: 'sales' }, '300': { department: 'support' } },
    default_user: 1000,
    missed_call_tasks: { enabled: true, text: 'Call {{ phone }} back ({{ department }})', due_minutes: 45 },
    call_results: { missed: { status: 3, text: 'Не дозвонились' } },
    crm: { contact_name: 'Caller {{ phone }}', lead_name: 'Call {{ started_at | date: "DD.MM HH:mm" }}' },
  }),
  'c.json',
);

const call = (over: Partial<DeliverableCall> = {}): DeliverableCall => ({
  deliveryId: 'd-1',
  uniq: 'ct1-0123',
  callKey: 'c-1',
  direction: 'inbound',
  externalNumber: '+74951234567',
  externalNumberRaw: '8 495 123-45-67',
  extension: '205',
  outcome: 'answered',
  startedAt: new Date('2026-11-20T07:00:00Z'),
  durationSeconds: 185,
  talkSeconds: 180,
  link: 'https://pbx.example/r.wav',
  ...over,
});

describe('what the CRM gets for a call', () => {
  it('maps an answered call: talk time, status and text, the extension’s user', () => {
    expect(toCallToLog(call(), config)).toEqual({
      requestId: 'd-1',
      uniq: 'ct1-0123',
      direction: 'inbound',
      phone: '+74951234567',
      startedAt: new Date('2026-11-20T07:00:00Z'),
      durationSeconds: 180,
      outcome: 'answered',
      extension: '205',
      link: 'https://pbx.example/r.wav',
      status: 4,
      resultText: 'Conversation',
      userId: 1205,
      contactName: 'Caller +74951234567',
      leadName: 'Call 20.11 10:00',
      variables: expect.objectContaining({ call_id: 'c-1', department: 'sales', total_duration: expect.any(Number) }),
    });
  });

  it('gives a missed call no duration and the configured status', () => {
    expect(toCallToLog(call({ outcome: 'missed', talkSeconds: 0 }), config)).toMatchObject({ durationSeconds: 0, status: 3, resultText: 'Не дозвонились' });
  });

  it('uses the raw number when it could not be normalized', () => {
    expect(toCallToLog(call({ externalNumber: null, externalNumberRaw: '12345678901234567' }), config).phone).toBe('12345678901234567');
  });

  it('keeps outbound calls outbound and sends everything else as inbound', () => {
    expect(toCallToLog(call({ direction: 'outbound' }), config).direction).toBe('outbound');
    expect(toCallToLog(call({ direction: null }), config).direction).toBe('inbound');
  });

  it('puts the default user on calls of unmapped extensions and department-only entries', () => {
    expect(toCallToLog(call({ extension: '300' }), config)).toMatchObject({ userId: 1000, variables: expect.objectContaining({ department: 'support' }) });
    expect(toCallToLog(call({ extension: '999' }), config).userId).toBe(1000);
  });

  it('asks for a call-back task only for missed inbound calls, when enabled', () => {
    expect(wantsCallbackTask({ direction: 'inbound', outcome: 'missed' }, config)).toBe(true);
    expect(wantsCallbackTask({ direction: 'inbound', outcome: 'busy' }, config)).toBe(true);
    expect(wantsCallbackTask({ direction: 'inbound', outcome: 'answered' }, config)).toBe(false);
    expect(wantsCallbackTask({ direction: 'outbound', outcome: 'missed' }, config)).toBe(false);
    const off = parseIntegratorConfig('{}', 'c.json');
    expect(wantsCallbackTask({ direction: 'inbound', outcome: 'missed' }, off)).toBe(false);
  });

  it('builds the call-back task on the card the call landed on, due in the configured minutes', () => {
    const now = new Date('2026-11-20T07:01:00Z');
    const task = callbackTask(call({ outcome: 'missed' }), { noteId: 9, entityId: 77, entityType: 'leads' }, config, now);
    expect(task).toEqual({
      requestId: 'd-1',
      text: 'Call +74951234567 back (sales)',
      dueAt: new Date('2026-11-20T07:46:00Z'),
      entity: { entityId: 77, entityType: 'leads' },
      userId: 1205,
    });
  });
});
