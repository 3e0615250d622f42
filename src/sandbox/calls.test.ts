import { describe, expect, it } from 'vitest';
import { call, callItem, testSandbox } from './testing';

describe('POST /api/v4/calls', () => {
  it('puts a call from a known number on the contact card', async () => {
    const { sb, clock } = testSandbox();
    const ivan = sb.store.addContact({ name: 'Ivan', phones: ['+7 495 123-45-67'] });
    const res = await call(sb, 'POST', '/api/v4/calls', [
      callItem('+74951234567', { uniq: 'c-1', link: 'https://rec.example/c-1.mp3', call_status: 4, call_result: 'ok', created_at: 1_700_000_000 }),
    ]);
    expect(res.status).toBe(200);
    expect(res.contentType).toContain('application/hal+json');
    expect(res.json._total_items).toBe(1);
    const [answer] = res.json._embedded.calls;
    expect(answer).toMatchObject({ entity_id: ivan.id, entity_type: 'contact', account_id: sb.store.accountId, request_id: '0' });
    const [note] = sb.store.callNotes();
    expect(note).toMatchObject({
      id: answer.id,
      entity_type: 'contacts',
      note_type: 'call_in',
      created_at: 1_700_000_000,
      updated_at: clock.unix,
      params: { uniq: 'c-1', duration: 65, source: 'calltrail', link: 'https://rec.example/c-1.mp3', phone: '+74951234567', call_status: 4, call_result: 'ok' },
    });
    expect(sb.stats().notesWritten).toBe(1);
  });

  it('makes outbound calls call_out notes and defaults created_at to now', async () => {
    const { sb, clock } = testSandbox();
    sb.store.addContact({ name: 'Ivan', phones: ['+7 495 123-45-67'] });
    await call(sb, 'POST', '/api/v4/calls', [callItem('+74951234567', { direction: 'outbound' })]);
    expect(sb.store.callNotes()[0]).toMatchObject({ note_type: 'call_out', created_at: clock.unix });
  });

  it('puts the call on the single active lead', async () => {
    const { sb } = testSandbox();
    const olga = sb.store.addContact({ name: 'Olga', phones: ['8 (916) 555-12-34'], leads: 1 });
    sb.store.addLead({ name: 'old deal', status: 'closed', contact_ids: [olga.id] });
    const res = await call(sb, 'POST', '/api/v4/calls', [callItem('+79165551234')]);
    expect(res.json._embedded.calls[0]).toMatchObject({ entity_type: 'lead', entity_id: olga.lead_ids[0] });
    expect(sb.store.callNotes()[0]?.entity_type).toBe('leads');
  });

  it('puts the call on the single customer', async () => {
    const { sb } = testSandbox();
    const romashka = sb.store.addContact({ name: 'Romashka', phones: ['+7 812 600-00-01'], customers: 1 });
    const res = await call(sb, 'POST', '/api/v4/calls', [callItem('88126000001')]);
    expect(res.json._embedded.calls[0]).toMatchObject({ entity_type: 'customer', entity_id: romashka.customer_ids[0] });
  });

  it('falls back to the contact when it has two active leads, or a lead and a customer', async () => {
    const { sb } = testSandbox();
    const two = sb.store.addContact({ name: 'Two leads', phones: ['+7 900 000-00-01'], leads: 2 });
    const mixed = sb.store.addContact({ name: 'Lead and customer', phones: ['+7 900 000-00-02'], leads: 1, customers: 1 });
    const res = await call(sb, 'POST', '/api/v4/calls', [callItem('+79000000001'), callItem('+79000000002')]);
    expect(res.json._embedded.calls).toMatchObject([
      { entity_type: 'contact', entity_id: two.id },
      { entity_type: 'contact', entity_id: mixed.id },
    ]);
  });

  it('matches on the last 10 digits, whatever the spelling', async () => {
    const { sb } = testSandbox();
    const c = sb.store.addContact({ name: 'Typed with plus', phones: ['+74951234567'] });
    const res = await call(sb, 'POST', '/api/v4/calls', [callItem('8 (495) 123-45-67'), callItem('4951234567')]);
    expect(res.status).toBe(200);
    expect(res.json._embedded.calls.map((x: { entity_id: number }) => x.entity_id)).toEqual([c.id, c.id]);
  });

  it('compares all digits of numbers shorter than 10', async () => {
    const { sb } = testSandbox();
    const short = sb.store.addContact({ name: 'Short', phones: ['12-345'] });
    const res = await call(sb, 'POST', '/api/v4/calls', [callItem('12345', { request_id: 'a' }), callItem('912345', { request_id: 'b' })]);
    expect(res.json._embedded.calls).toEqual([expect.objectContaining({ entity_id: short.id, request_id: 'a' })]);
    expect(res.json.errors).toEqual([expect.objectContaining({ request_id: 'b' })]);
  });

  it('finds companies too', async () => {
    const { sb } = testSandbox();
    const co = sb.store.addCompany({ name: 'Acme', phones: ['+7 495 000-11-22'] });
    const res = await call(sb, 'POST', '/api/v4/calls', [callItem('84950001122')]);
    expect(res.json._embedded.calls[0]).toMatchObject({ entity_type: 'company', entity_id: co.id });
  });

  it('partial mode: writes the known items, lists the unknown under errors with request_ids', async () => {
    const { sb } = testSandbox();
    const c = sb.store.addContact({ name: 'Known', phones: ['+7 495 123-45-67'] });
    const res = await call(sb, 'POST', '/api/v4/calls', [
      callItem('+70000000000', { request_id: 'unknown-1' }),
      callItem('+74951234567', { request_id: 'known-1' }),
      callItem('+71111111111'),
    ]);
    expect(res.status).toBe(200);
    expect(res.json._total_items).toBe(1);
    expect(res.json._embedded.calls).toEqual([expect.objectContaining({ entity_id: c.id, request_id: 'known-1' })]);
    expect(res.json.errors).toEqual([
      { request_id: 'unknown-1', title: 'Entity not found', status: 400, detail: expect.stringContaining('+70000000000') },
      { request_id: '2', title: 'Entity not found', status: 400, detail: expect.stringContaining('+71111111111') },
    ]);
    expect(sb.store.callNotes()).toHaveLength(1);
  });

  it('reject_batch mode: one unknown number refuses the batch and writes nothing', async () => {
    const { sb } = testSandbox({ unknownNumbers: 'reject_batch' });
    sb.store.addContact({ name: 'Known', phones: ['+7 495 123-45-67'] });
    const res = await call(sb, 'POST', '/api/v4/calls', [callItem('+74951234567'), callItem('+70000000000', { request_id: 'x' })]);
    expect(res.status).toBe(400);
    expect(res.contentType).toContain('application/problem+json');
    expect(res.json).toEqual({ _total_items: 0, errors: [{ title: 'Entity not found', status: 400, detail: expect.any(String) }] });
    expect(sb.store.callNotes()).toHaveLength(0);
  });

  it('reject_batch mode names request_ids only when configured to', async () => {
    const { sb } = testSandbox({ unknownNumbers: 'reject_batch', rejectWithRequestIds: true });
    sb.store.addContact({ name: 'Known', phones: ['+7 495 123-45-67'] });
    const res = await call(sb, 'POST', '/api/v4/calls', [callItem('+74951234567'), callItem('+70000000000', { request_id: 'x' })]);
    expect(res.status).toBe(400);
    expect(res.json.errors).toEqual([expect.objectContaining({ request_id: 'x', title: 'Entity not found' })]);
    expect(sb.store.callNotes()).toHaveLength(0);
  });

  it('answers 400 for an all-unknown batch in partial mode too', async () => {
    const { sb } = testSandbox();
    const res = await call(sb, 'POST', '/api/v4/calls', [callItem('+70000000000')]);
    expect(res.status).toBe(400);
    expect(res.json._total_items).toBe(0);
    expect(res.json.errors[0].title).toBe('Entity not found');
    expect(res.json.errors[0].request_id).toBeUndefined();
    expect(sb.stats().notesWritten).toBe(0);
  });

  it('does not deduplicate: the same uniq twice makes two notes', async () => {
    const { sb } = testSandbox();
    sb.store.addContact({ name: 'Ivan', phones: ['+7 495 123-45-67'] });
    const a = await call(sb, 'POST', '/api/v4/calls', [callItem('+74951234567', { uniq: 'same' })]);
    const b = await call(sb, 'POST', '/api/v4/calls', [callItem('+74951234567', { uniq: 'same' })]);
    expect(a.json._embedded.calls[0].id).not.toBe(b.json._embedded.calls[0].id);
    expect(sb.store.notesByUniq('same')).toHaveLength(2);
  });

  it('refuses invalid items with amoCRM validation errors, writing nothing', async () => {
    const { sb } = testSandbox();
    sb.store.addContact({ name: 'Ivan', phones: ['+7 495 123-45-67'] });
    const res = await call(sb, 'POST', '/api/v4/calls', [
      callItem('+74951234567', { direction: 'sideways' }),
      callItem('+74951234567'),
      { direction: 'inbound', source: 's', phone: '+74951234567', duration: '5', request_id: 'r2' },
      callItem('+74951234567', { call_status: 9, responsible_user_id: 424242 }),
    ]);
    expect(res.status).toBe(400);
    expect(res.contentType).toContain('application/problem+json');
    expect(res.json).toMatchObject({ title: 'Bad Request', type: 'https://httpstatus.es/400', status: 400, detail: 'Request validation failed' });
    expect(res.json['validation-errors']).toEqual([
      { request_id: '0', errors: [{ code: 'NotSupportedChoice', path: 'direction', detail: expect.any(String) }] },
      { request_id: 'r2', errors: [{ code: 'InvalidType', path: 'duration', detail: expect.any(String) }] },
      { request_id: '3', errors: [expect.objectContaining({ code: 'OutOfRange', path: 'call_status' })] },
    ]);
    expect(sb.store.callNotes()).toHaveLength(0);
  });

  it('reports missing fields and unknown users', async () => {
    const { sb } = testSandbox();
    sb.store.addContact({ name: 'Ivan', phones: ['+7 495 123-45-67'] });
    const missing = await call(sb, 'POST', '/api/v4/calls', [{ direction: 'inbound', source: 's', phone: '+74951234567' }]);
    expect(missing.json['validation-errors'][0].errors).toEqual([expect.objectContaining({ code: 'NotBlank', path: 'duration' })]);
    const user = await call(sb, 'POST', '/api/v4/calls', [callItem('+74951234567', { responsible_user_id: 424242 })]);
    expect(user.json['validation-errors'][0].errors).toEqual([expect.objectContaining({ code: 'NotSupportedChoice', path: 'responsible_user_id' })]);
  });

  it('refuses bodies that are not a non-empty JSON array', async () => {
    const { sb } = testSandbox();
    for (const body of [[], callItem('+74951234567'), '{not json']) {
      const res = await call(sb, 'POST', '/api/v4/calls', body);
      expect(res.status).toBe(400);
      expect(res.contentType).toContain('application/problem+json');
    }
  });

  it('answers 504 before writing anything when the batch is above gatewayTimeoutAbove', async () => {
    const { sb } = testSandbox({ gatewayTimeoutAbove: 3 });
    sb.store.addContact({ name: 'Ivan', phones: ['+7 495 123-45-67'] });
    const res = await call(
      sb,
      'POST',
      '/api/v4/calls',
      Array.from({ length: 4 }, () => callItem('+74951234567')),
    );
    expect(res.status).toBe(504);
    expect(sb.store.callNotes()).toHaveLength(0);
    const ok = await call(
      sb,
      'POST',
      '/api/v4/calls',
      Array.from({ length: 3 }, () => callItem('+74951234567')),
    );
    expect(ok.status).toBe(200);
  });

  it('refuses batches above maxBatch with a 400', async () => {
    const { sb } = testSandbox();
    sb.store.addContact({ name: 'Ivan', phones: ['+7 495 123-45-67'] });
    const res = await call(
      sb,
      'POST',
      '/api/v4/calls',
      Array.from({ length: 251 }, () => callItem('+74951234567')),
    );
    expect(res.status).toBe(400);
    expect(res.json['validation-errors']).toHaveLength(1);
    expect(sb.store.callNotes()).toHaveLength(0);
  });
});
