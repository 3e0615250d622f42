import { describe, expect, it } from 'vitest';
import { type ManualClock, call, callItem, testSandbox } from './testing';
import type { AmoSandbox } from './index';

/** Three call notes on one contact card, written a minute apart. */
async function seeded(): Promise<{ sb: AmoSandbox; clock: ManualClock; contactId: number; ids: number[]; times: number[] }> {
  const { sb, clock } = testSandbox();
  const c = sb.store.addContact({ name: 'Ivan', phones: ['+7 495 123-45-67'] });
  const ids: number[] = [];
  const times: number[] = [];
  for (const [i, direction] of (['inbound', 'outbound', 'inbound'] as const).entries()) {
    const res = await call(sb, 'POST', '/api/v4/calls', [callItem('+74951234567', { direction, uniq: `u-${i}` })]);
    ids.push(res.json._embedded.calls[0].id);
    times.push(clock.unix);
    clock.advance(60_000);
  }
  return { sb, clock, contactId: c.id, ids, times };
}

describe('GET /api/v4/{type}/notes', () => {
  it('lists notes with amoCRM fields, oldest id first', async () => {
    const { sb, ids, contactId } = await seeded();
    const res = await call(sb, 'GET', '/api/v4/contacts/notes');
    expect(res.status).toBe(200);
    expect(res.contentType).toContain('application/hal+json');
    expect(res.json._page).toBe(1);
    expect(res.json._links.next).toBeUndefined();
    const notes = res.json._embedded.notes;
    expect(notes.map((n: { id: number }) => n.id)).toEqual(ids);
    expect(notes[0]).toMatchObject({ entity_id: contactId, group_id: 0, note_type: 'call_in', params: { uniq: 'u-0' }, account_id: sb.store.accountId });
    expect(Object.keys(notes[0])).toEqual(
      expect.arrayContaining([
        'id',
        'entity_id',
        'created_by',
        'updated_by',
        'created_at',
        'updated_at',
        'responsible_user_id',
        'group_id',
        'note_type',
        'params',
        'account_id',
        '_links',
      ]),
    );
  });

  it('filters by note type, entity, id and updated_at (inclusive)', async () => {
    const { sb, ids, times, contactId } = await seeded();
    const get = async (q: string) => ((await call(sb, 'GET', `/api/v4/contacts/notes?${q}`)).json?._embedded.notes ?? []).map((n: { id: number }) => n.id);
    expect(await get('filter[note_type][]=call_out')).toEqual([ids[1]]);
    expect(await get('filter[note_type]=call_in')).toEqual([ids[0], ids[2]]);
    expect(await get('filter[note_type][]=call_in&filter[note_type][]=call_out')).toEqual(ids);
    expect(await get(`filter[entity_id][]=${contactId}`)).toEqual(ids);
    expect(await get(`filter[id][]=${ids[2]}&filter[id][]=${ids[0]}`)).toEqual([ids[0], ids[2]]);
    expect(await get(`filter[updated_at][from]=${times[1]}`)).toEqual([ids[1], ids[2]]);
    expect(await get(`filter[updated_at][from]=${times[0]}&filter[updated_at][to]=${times[1]}`)).toEqual([ids[0], ids[1]]);
    expect(await get('order[updated_at]=desc')).toEqual([...ids].reverse());
  });

  it("lists one entity's notes on /{type}/{id}/notes and keeps entity types apart", async () => {
    const { sb, ids, contactId } = await seeded();
    const res = await call(sb, 'GET', `/api/v4/contacts/${contactId}/notes`);
    expect(res.json._embedded.notes).toHaveLength(ids.length);
    expect((await call(sb, 'GET', '/api/v4/leads/notes')).status).toBe(204);
    expect((await call(sb, 'GET', `/api/v4/contacts/${contactId + 1}/notes`)).status).toBe(204);
  });

  it('pages with a next link that leads to the next page', async () => {
    const { sb, ids } = await seeded();
    const first = await call(sb, 'GET', '/api/v4/contacts/notes?limit=2');
    expect(first.json._embedded.notes.map((n: { id: number }) => n.id)).toEqual(ids.slice(0, 2));
    const next = new URL(first.json._links.next.href);
    expect(next.searchParams.get('page')).toBe('2');
    expect(next.searchParams.get('limit')).toBe('2');
    const second = await call(sb, 'GET', `${next.pathname}${next.search}`);
    expect(second.json._page).toBe(2);
    expect(second.json._embedded.notes.map((n: { id: number }) => n.id)).toEqual(ids.slice(2));
    expect(second.json._links.next).toBeUndefined();
  });

  it('answers an empty result, and a page past the end, with a bodiless 204', async () => {
    const { sb } = await seeded();
    const none = await call(sb, 'GET', '/api/v4/contacts/notes?filter[note_type][]=common');
    expect(none.status).toBe(204);
    expect(none.text).toBe('');
    const past = await call(sb, 'GET', '/api/v4/contacts/notes?limit=2&page=3');
    expect(past.status).toBe(204);
    expect(past.text).toBe('');
  });

  it('refuses limit above 250 and junk filters with 400', async () => {
    const { sb } = await seeded();
    const res = await call(sb, 'GET', '/api/v4/contacts/notes?limit=251');
    expect(res.status).toBe(400);
    expect(res.json['validation-errors'][0].errors[0].path).toBe('limit');
    expect((await call(sb, 'GET', '/api/v4/contacts/notes?limit=250')).status).toBe(200);
    expect((await call(sb, 'GET', '/api/v4/contacts/notes?filter[updated_at][from]=yesterday')).status).toBe(400);
  });
});

describe('PATCH notes', () => {
  it('merges params and bumps updated_at', async () => {
    const { sb, clock, ids, contactId } = await seeded();
    clock.advance(3_600_000);
    const res = await call(sb, 'PATCH', '/api/v4/contacts/notes', [
      { id: ids[0], note_type: 'call_in', params: { link: 'https://rec.example/late.mp3' }, request_id: 'p1' },
    ]);
    expect(res.status).toBe(200);
    expect(res.json._embedded.notes).toEqual([expect.objectContaining({ id: ids[0], entity_id: contactId, updated_at: clock.unix, request_id: 'p1' })]);
    const note = sb.store.notesOf('contacts').get(ids[0] ?? 0);
    expect(note?.params).toMatchObject({ uniq: 'u-0', duration: 65, link: 'https://rec.example/late.mp3' });
    expect(note?.updated_at).toBe(clock.unix);
    const listed = await call(sb, 'GET', `/api/v4/contacts/notes?filter[updated_at][from]=${clock.unix}`);
    expect(listed.json._embedded.notes.map((n: { id: number }) => n.id)).toEqual([ids[0]]);
  });

  it('refuses the whole batch when one id is unknown or the type would change', async () => {
    const { sb, ids } = await seeded();
    const res = await call(sb, 'PATCH', '/api/v4/contacts/notes', [
      { id: ids[0], params: { link: 'https://x.example/a.mp3' } },
      { id: 999, params: { link: 'https://x.example/b.mp3' } },
      { id: ids[1], note_type: 'common', params: {} },
    ]);
    expect(res.status).toBe(400);
    expect(res.json['validation-errors']).toEqual([
      { request_id: '1', errors: [expect.objectContaining({ path: 'id' })] },
      { request_id: '2', errors: [expect.objectContaining({ code: 'NotSupportedChoice', path: 'note_type' })] },
    ]);
    expect(sb.store.notesOf('contacts').get(ids[0] ?? 0)?.params.link).toBeUndefined();
  });

  it('edits one note on /{type}/{entity_id}/notes/{id}', async () => {
    const { sb, clock, ids, contactId } = await seeded();
    clock.advance(5000);
    const res = await call(sb, 'PATCH', `/api/v4/contacts/${contactId}/notes/${ids[1]}`, { params: { call_result: 'sold' } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ id: ids[1], entity_id: contactId, updated_at: clock.unix });
    expect(sb.store.notesOf('contacts').get(ids[1] ?? 0)?.params).toMatchObject({ uniq: 'u-1', call_result: 'sold' });
    expect((await call(sb, 'PATCH', `/api/v4/contacts/${contactId + 1}/notes/${ids[1]}`, { params: {} })).status).toBe(404);
  });
});
