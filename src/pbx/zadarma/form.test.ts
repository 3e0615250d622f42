import { describe, expect, it } from 'vitest';
import { decodeForm } from './form';

describe('Zadarma form bodies', () => {
  it('decodes URL-encoded fields, + as space', () => {
    expect(Object.fromEntries(decodeForm('event=NOTIFY_START&call_start=2026-11-20+10%3A00%3A00&caller_id=%2B7495'))).toEqual({
      event: 'NOTIFY_START',
      call_start: '2026-11-20 10:00:00',
      caller_id: '+7495',
    });
  });

  it('decodes multipart bodies by their own boundary, whatever the header says', () => {
    const raw = [
      '--abc123',
      'Content-Disposition: form-data; name="event"',
      '',
      'NOTIFY_RECORD',
      '--abc123',
      'Content-Disposition: form-data; name="call_id_with_rec"',
      '',
      '1795158000.2051',
      '--abc123',
      'Content-Disposition: form-data; name="pbx_call_id"',
      '',
      'in_1',
      '--abc123--',
      '',
    ].join('\r\n');
    expect(Object.fromEntries(decodeForm(raw))).toEqual({ event: 'NOTIFY_RECORD', call_id_with_rec: '1795158000.2051', pbx_call_id: 'in_1' });
  });

  it('keeps the first of repeated fields and skips parts without a name', () => {
    const raw =
      '--b\nContent-Disposition: form-data; name="a"\n\n1\n--b\nContent-Disposition: form-data\n\nx\n--b\nContent-Disposition: form-data; name="a"\n\n2\n--b--';
    expect(Object.fromEntries(decodeForm(raw))).toEqual({ a: '1' });
    expect(decodeForm('--').size).toBe(0);
  });
});
