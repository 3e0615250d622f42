import { describe, expect, it } from 'vitest';
import { renderRequest, renderValue, type RenderContext } from './render';

const ctx: RenderContext = {
  vars: { name: 'Ivan "Vanya"\nPetrov', phone: '+74951234567', user_id: 7, duration: 125, contact_id: null, started_at: '2026-11-20T07:05:09.000Z' },
  variables: ['name', 'phone', 'user_id', 'duration', 'contact_id', 'started_at'],
  timeZone: 'Europe/Moscow',
};

describe('request templates', () => {
  it('keeps the type of a leaf that is one expression, and renders the rest as text', () => {
    expect(renderValue({ a: '{{ user_id }}', b: 'id {{ user_id }}', c: '{{ duration | times: 1000 }}', d: '{{ contact_id }}', e: 3, f: true }, ctx)).toEqual({
      a: 7,
      b: 'id 7',
      c: 125000,
      d: null,
      e: 3,
      f: true,
    });
  });

  it('escapes values by JSON, never by the template', () => {
    const request = renderRequest(
      'https://crm.example/api/',
      { method: 'POST', path: '/contacts', query: {}, headers: {}, body: { name: '{{ name }}', note: 'Hi {{ name }}' } },
      ctx,
    );
    expect(JSON.parse(request.body!)).toEqual({ name: 'Ivan "Vanya"\nPetrov', note: 'Hi Ivan "Vanya"\nPetrov' });
    expect(request.body).toContain('\\"Vanya\\"\\n');
  });

  it('joins the path to base_url, encodes query values and leaves out empty ones', () => {
    const request = renderRequest(
      'https://crm.example/api/',
      {
        method: 'GET',
        path: '/contacts/{{ phone | url_encode }}',
        query: { q: '{{ phone }}', empty: '{{ contact_id }}', day: '{{ started_at | date: "YYYY-MM-DD HH:mm" }}' },
        headers: { 'X-User': '{{ user_id }}' },
      },
      ctx,
    );
    expect(request.url).toBe('https://crm.example/api/contacts/%2B74951234567?q=%2B74951234567&day=2026-11-20+10%3A05');
    expect(request.headers).toEqual({ 'x-user': '7' });
    expect(request.body).toBeUndefined();
  });
});
