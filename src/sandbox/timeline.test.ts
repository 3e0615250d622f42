import { describe, expect, it } from 'vitest';
import { call, callItem, testSandbox } from './testing';

async function page(sb: ReturnType<typeof testSandbox>['sb']) {
  const res = await sb.app.request('/');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/html');
  return res.text();
}

describe('timeline page', () => {
  it('shows a call note with its details and an audio player', async () => {
    const { sb } = testSandbox({ seed: 'demo' });
    await call(sb, 'POST', '/api/v4/calls', [
      callItem('+79165551234', {
        uniq: 'conv-42',
        duration: 125,
        call_status: 4,
        call_result: 'agreed',
        responsible_user_id: 1001,
        link: 'https://rec.example/conv-42.mp3',
      }),
    ]);
    const html = await page(sb);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('calltrail&#39;s sandbox amoCRM');
    expect(html).toContain('<audio controls="" preload="none" src="https://rec.example/conv-42.mp3">');
    expect(html).toContain('2:05');
    expect(html).toContain('conversation took place');
    expect(html).toContain('agreed');
    expect(html).toContain('conv-42');
    expect(html).toContain('Anna (101)');
    expect(html).toContain('Olga Smirnova');
    expect(html).toContain('8 (916) 555-12-34');
    expect(html).toMatch(/on lead #\d+/);
    expect(html).toContain('ok</span>');
  });

  it('orders each timeline newest first, across the contact card and its lead', async () => {
    const { sb } = testSandbox();
    const c = sb.store.addContact({ name: 'Ivan', phones: ['+7 495 123-45-67'] });
    await call(sb, 'POST', '/api/v4/calls', [callItem('+74951234567', { uniq: 'older', created_at: 1_700_000_000 })]);
    sb.store.addLead({ name: 'deal', contact_ids: [c.id] });
    await call(sb, 'POST', '/api/v4/calls', [callItem('+74951234567', { uniq: 'newer', created_at: 1_700_000_600, direction: 'outbound' })]);
    const html = await page(sb);
    expect(html.indexOf('newer')).toBeGreaterThan(-1);
    expect(html.indexOf('newer')).toBeLessThan(html.indexOf('older'));
    expect(html).toContain('on contact card');
    expect(html).toContain('↗ out');
  });

  it('escapes HTML everywhere and does not link non-web URLs', async () => {
    const { sb } = testSandbox();
    sb.store.addContact({ name: '<script>alert(1)</script>', phones: ['+7 495 123-45-67'] });
    await call(sb, 'POST', '/api/v4/calls', [callItem('+74951234567', { uniq: '"><img src=x>', link: 'javascript:alert(2)' })]);
    const html = await page(sb);
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<img src=x>');
    expect(html).not.toContain('href="javascript:');
  });

  it('lists unsorted items and tasks, and shows a blocked account', async () => {
    const { sb, clock } = testSandbox({ seed: 'demo', rps: 1, blockAfter429s: 1 });
    const ivan = sb.store.contacts()[0];
    await call(sb, 'POST', '/api/v4/tasks', [{ text: 'Call Ivan back', complete_till: clock.unix + 60, entity_type: 'contacts', entity_id: ivan?.id }]);
    clock.advance(2000);
    await call(sb, 'POST', '/api/v4/leads/unsorted/sip', [
      {
        source_uid: 's',
        source_name: 'PBX',
        metadata: { uniq: 'unk-1', from: 'x', phone: '+7 903 000-00-09', called_at: clock.unix, duration: 3, service_code: 'pbx' },
      },
    ]);
    await call(sb, 'GET', '/api/v4/account');
    const html = await page(sb);
    expect(html).toContain('Call Ivan back');
    expect(html).toContain(`contact #${ivan?.id}`);
    expect(html).toContain('+7 903 000-00-09');
    expect(html).toContain('unk-1');
    expect(html).toContain('blocked</span>');
  });
});
