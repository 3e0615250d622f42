import { describe, expect, it } from 'vitest';
import { call, testSandbox } from './testing';

const ring = (phone_number: string, users: unknown = [1001]) => ({ add: [{ type: 'phone_call', phone_number, users }] });

describe('POST /api/v2/events (incoming-call pop-up)', () => {
  it('keeps the event and answers its uid and the card amoCRM would open', async () => {
    const { sb, clock } = testSandbox({ seed: 'demo' });
    const olga = sb.store.contacts().find((c) => c.name === 'Olga Smirnova');
    const res = await call(sb, 'POST', '/api/v2/events', ring('+79165551234', [1001, 1002]));
    expect(res.status).toBe(200);
    expect(res.contentType).toContain('application/hal+json');
    expect(res.json._embedded.items).toEqual([
      { uid: expect.stringMatching(/^[0-9a-f]{32}$/), phone_number: '+79165551234', element_id: olga?.id, element_type: 1, _links: expect.any(Object) },
    ]);
    expect(sb.store.phoneCallEvents()).toEqual([
      {
        id: 1,
        uid: res.json._embedded.items[0].uid,
        phone_number: '+79165551234',
        users: [1001, 1002],
        created_at: clock.unix,
        element: { type: 'contacts', id: olga?.id, name: 'Olga Smirnova' },
      },
    ]);
  });

  it('an unknown number still pops (element 0); a company’s number names the company', async () => {
    const { sb } = testSandbox({ seed: 'demo' });
    const unknown = await call(sb, 'POST', '/api/v2/events', ring('+79990000000'));
    expect(unknown.json._embedded.items[0]).toMatchObject({ element_id: 0, element_type: 0 });
    const company = await call(sb, 'POST', '/api/v2/events', ring('84957000000'));
    expect(company.json._embedded.items[0]).toMatchObject({ element_type: 3 });
  });

  it('refuses a bad body with amoCRM’s validation errors and keeps nothing', async () => {
    const { sb } = testSandbox({ seed: 'demo' });
    const bad = async (body: unknown) => {
      const res = await call(sb, 'POST', '/api/v2/events', body);
      expect(res.status).toBe(400);
      expect(res.contentType).toContain('application/problem+json');
      return res.json;
    };
    expect((await bad('{not json')).detail).toMatch(/not valid JSON/);
    expect((await bad([]))['validation-errors'][0].errors[0]).toMatchObject({ code: 'NotBlank', path: 'add' });
    expect((await bad({ add: [] }))['validation-errors'][0].errors[0]).toMatchObject({ code: 'NotBlank', path: 'add' });
    const items = await bad({
      add: [
        { type: 'phone_call', phone_number: '+79165551234', users: [1001] },
        { type: 'call', phone_number: '', users: [] },
        { type: 'phone_call', phone_number: '12', users: [42] },
      ],
    });
    expect(items['validation-errors']).toEqual([
      {
        request_id: '1',
        errors: expect.arrayContaining([
          expect.objectContaining({ path: 'add.1.type', code: 'NotSupportedChoice' }),
          expect.objectContaining({ path: 'add.1.phone_number', code: 'NotBlank' }),
        ]),
      },
      {
        request_id: '2',
        errors: [expect.objectContaining({ path: 'add.2.phone_number' }), expect.objectContaining({ path: 'add.2.users.0', code: 'NotSupportedChoice' })],
      },
    ]);
    expect(sb.store.phoneCallEvents()).toEqual([]);
  });

  it('sits behind the API gate: token, rate limit, faults', async () => {
    const { sb } = testSandbox({ seed: 'demo', rps: 1 });
    expect((await call(sb, 'POST', '/api/v2/events', ring('+79165551234'), null)).status).toBe(401);
    expect((await call(sb, 'POST', '/api/v2/events', ring('+79165551234'))).status).toBe(200);
    expect((await call(sb, 'POST', '/api/v2/events', ring('+79165551234'))).status).toBe(429);
    const faulty = testSandbox({ seed: 'demo', faults: { seed: 1, rate: 1, kinds: { '502_before': 1 } } }).sb;
    expect((await call(faulty, 'POST', '/api/v2/events', ring('+79165551234'))).status).toBe(502);
    expect(faulty.store.phoneCallEvents()).toEqual([]);
  });
});

describe('the pop-up on the timeline page', () => {
  it('GET /pops lists the banners after an id; the page renders the latest and polls for more', async () => {
    const { sb } = testSandbox({ seed: 'demo' });
    const before = await (await sb.app.request('/')).text();
    expect(before).toContain('<div id="pops" data-after="0"');
    expect(before).toContain("+ 'pops'");
    expect(before).toContain('setTimeout(poll, 1500)');
    await call(sb, 'POST', '/api/v2/events', ring('+79165551234', [1001, 1002]));
    await call(sb, 'POST', '/api/v2/events', ring('+79990000000', [1002]));
    const pops = (await (await sb.app.request('/pops?after=0')).json()) as { pops: { id: number; text: string }[] };
    expect(pops.pops.map((p) => p.text)).toEqual([
      'Incoming call from Olga Smirnova for Anna (101), Boris (102)',
      'Incoming call from +79990000000 for Boris (102)',
    ]);
    const later = (await (await sb.app.request('/pops?after=1')).json()) as { pops: { id: number }[] };
    expect(later.pops.map((p) => p.id)).toEqual([2]);
    const page = await (await sb.app.request('/')).text();
    expect(page).toContain('data-after="2"');
    expect(page).toContain('Incoming call from Olga Smirnova for Anna (101), Boris (102)');
  });

  it('escapes what a banner shows', async () => {
    const { sb } = testSandbox();
    sb.store.addContact({ name: '<img src=x onerror=alert(1)>', phones: ['+7 495 123-45-67'] });
    await call(sb, 'POST', '/api/v2/events', ring('+74951234567', [1000]));
    const page = await (await sb.app.request('/')).text();
    expect(page).not.toContain('<img src=x');
    expect(page).toContain('Incoming call from &lt;img src=x onerror=alert(1)&gt; for Admin');
  });
});
