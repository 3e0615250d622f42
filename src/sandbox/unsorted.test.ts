import { describe, expect, it } from 'vitest';
import { call, callItem, testSandbox } from './testing';

function sip(uniq: string, extra: Record<string, unknown> = {}) {
  return {
    source_uid: 'calltrail',
    source_name: 'calltrail',
    metadata: {
      uniq,
      from: 'Unknown caller',
      phone: '+7 903 000-00-01',
      called_at: 1_763_622_000,
      duration: 42,
      service_code: 'calltrail',
      link: 'https://rec.example/x.mp3',
    },
    _embedded: { leads: [{ name: 'Missed call' }], contacts: [{ name: 'Caller' }] },
    ...extra,
  };
}

describe('unsorted SIP items', () => {
  it('creates an item with a lead and a contact, and lists it', async () => {
    const { sb, clock } = testSandbox();
    const res = await call(sb, 'POST', '/api/v4/leads/unsorted/sip', [sip('u-1', { request_id: 'r1' })]);
    expect(res.status).toBe(200);
    expect(res.json._total_items).toBe(1);
    const [item] = res.json._embedded.unsorted;
    expect(item).toMatchObject({
      account_id: sb.store.accountId,
      request_id: 'r1',
      _embedded: { leads: [{ id: expect.any(Number) }], contacts: [{ id: expect.any(Number) }] },
    });
    expect(item.uid).toMatch(/^[0-9a-f]{32}$/);
    expect(sb.store.unsorted()[0]).toMatchObject({ uid: item.uid, created_at: clock.unix, metadata: { uniq: 'u-1' }, lead: { name: 'Missed call' } });

    const list = await call(sb, 'GET', `/api/v4/leads/unsorted?filter[uid]=${item.uid}`);
    expect(list.json._embedded.unsorted).toEqual([expect.objectContaining({ uid: item.uid, category: 'sip' })]);
    expect((await call(sb, 'GET', '/api/v4/leads/unsorted?filter[uid]=nope')).status).toBe(204);
  });

  it('answers 204 when there is nothing unsorted', async () => {
    const { sb } = testSandbox();
    expect((await call(sb, 'GET', '/api/v4/leads/unsorted')).status).toBe(204);
  });

  it('refuses a repeated metadata.uniq with 400 and writes nothing of the batch', async () => {
    const { sb } = testSandbox();
    await call(sb, 'POST', '/api/v4/leads/unsorted/sip', [sip('u-1')]);
    const again = await call(sb, 'POST', '/api/v4/leads/unsorted/sip', [sip('u-2'), sip('u-1')]);
    expect(again.status).toBe(400);
    expect(again.json['validation-errors']).toEqual([{ request_id: '1', errors: [expect.objectContaining({ code: 'Duplicate', path: 'metadata.uniq' })] }]);
    const inBatch = await call(sb, 'POST', '/api/v4/leads/unsorted/sip', [sip('u-3'), sip('u-3')]);
    expect(inBatch.status).toBe(400);
    expect(sb.store.unsorted().map((u) => u.metadata.uniq)).toEqual(['u-1']);
  });

  it('keeps the unsorted contact out of /calls matching', async () => {
    const { sb } = testSandbox();
    await call(sb, 'POST', '/api/v4/leads/unsorted/sip', [sip('u-1')]);
    const res = await call(sb, 'POST', '/api/v4/calls', [callItem('+79030000001')]);
    expect(res.status).toBe(400);
    expect(res.json.errors[0].title).toBe('Entity not found');
  });

  it('validates metadata', async () => {
    const { sb } = testSandbox();
    const bad = sip('u-1');
    const res = await call(sb, 'POST', '/api/v4/leads/unsorted/sip', [{ ...bad, metadata: { ...bad.metadata, uniq: undefined } }]);
    expect(res.status).toBe(400);
    expect(res.json['validation-errors'][0].errors).toEqual([expect.objectContaining({ code: 'NotBlank', path: 'metadata.uniq' })]);
  });
});
