import { describe, expect, it } from 'vitest';
import { call, testSandbox } from './testing';

describe('tasks', () => {
  it('creates tasks and lists them with filters', async () => {
    const { sb, clock } = testSandbox({ seed: 'demo' });
    const ivan = sb.store.contacts()[0];
    const res = await call(sb, 'POST', '/api/v4/tasks', [
      {
        text: 'Call back',
        complete_till: clock.unix + 3600,
        entity_id: ivan?.id,
        entity_type: 'contacts',
        task_type_id: 1,
        responsible_user_id: 1001,
        request_id: 't1',
      },
      { text: 'Meet', complete_till: clock.unix + 7200, task_type_id: 2 },
    ]);
    expect(res.status).toBe(200);
    const [t1, t2] = res.json._embedded.tasks;
    expect(t1).toMatchObject({ id: expect.any(Number), request_id: 't1' });
    expect(t2).toMatchObject({ request_id: '1' });
    expect(sb.store.tasks()[0]).toMatchObject({
      text: 'Call back',
      entity_type: 'contacts',
      entity_id: ivan?.id,
      responsible_user_id: 1001,
      is_completed: false,
    });

    const ids = async (q: string) => {
      const r = await call(sb, 'GET', `/api/v4/tasks?${q}`);
      return r.status === 204 ? [] : r.json._embedded.tasks.map((t: { id: number }) => t.id);
    };
    expect(await ids('')).toEqual([t1.id, t2.id]);
    expect(await ids('filter[entity_type]=contacts')).toEqual([t1.id]);
    expect(await ids(`filter[entity_id][]=${ivan?.id}`)).toEqual([t1.id]);
    expect(await ids('filter[task_type][]=2')).toEqual([t2.id]);
    expect(await ids(`filter[updated_at][from]=${clock.unix + 1}`)).toEqual([]);
    expect((await call(sb, 'GET', '/api/v4/tasks?filter[task_type][]=9')).status).toBe(204);
  });

  it('refuses tasks on missing entities or without text', async () => {
    const { sb, clock } = testSandbox();
    const res = await call(sb, 'POST', '/api/v4/tasks', [
      { text: 'x', complete_till: clock.unix, entity_id: 1, entity_type: 'leads' },
      { complete_till: clock.unix },
    ]);
    expect(res.status).toBe(400);
    expect(res.json['validation-errors']).toEqual([{ request_id: '1', errors: [expect.objectContaining({ code: 'NotBlank', path: 'text' })] }]);
    const missing = await call(sb, 'POST', '/api/v4/tasks', [{ text: 'x', complete_till: clock.unix, entity_id: 1, entity_type: 'leads' }]);
    expect(missing.json['validation-errors'][0].errors).toEqual([expect.objectContaining({ code: 'NotSupportedChoice', path: 'entity_id' })]);
    expect(sb.store.tasks()).toHaveLength(0);
  });
});
