import { describe, expect, it } from 'vitest';
import { prefixResponse } from './account-mount';

describe("an added account's answers under its prefix", () => {
  it("prefix the app's own links, forms and sources, not other sites' or protocol-relative ones", async () => {
    const html =
      '<a href="/admin/calls">x</a><form method="post" action="/admin/login"><img src="/favicon.svg"><a href="//cdn.example/x">y</a><a href="https://other.example/admin">z</a><a href="calls">r</a>';
    const res = await prefixResponse(
      new Response(html, { headers: { 'content-type': 'text/html; charset=utf-8', 'content-length': String(html.length) } }),
      '/a/acme',
    );
    const text = await res.text();
    expect(text).toContain('href="/a/acme/admin/calls"');
    expect(text).toContain('action="/a/acme/admin/login"');
    expect(text).toContain('src="/a/acme/favicon.svg"');
    expect(text).toContain('href="//cdn.example/x"');
    expect(text).toContain('href="https://other.example/admin"');
    expect(text).toContain('href="calls"');
    expect(res.headers.get('content-length')).toBeNull();
  });

  it('prefix redirects and cookie paths, and leave JSON bodies and absolute redirects alone', async () => {
    const headers = new Headers({ location: '/admin/login?next=%2Fadmin', 'content-type': 'application/json' });
    headers.append('set-cookie', 'ct_session=abc; Path=/admin; HttpOnly; SameSite=Strict');
    headers.append('set-cookie', 'other=1; HttpOnly; path=/');
    const res = await prefixResponse(new Response('{"href":"/admin"}', { status: 303, headers }), '/a/acme');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/a/acme/admin/login?next=%2Fadmin');
    expect(res.headers.getSetCookie()).toEqual(['ct_session=abc; Path=/a/acme/admin; HttpOnly; SameSite=Strict', 'other=1; HttpOnly; path=/a/acme/']);
    expect(await res.text()).toBe('{"href":"/admin"}');
    const away = await prefixResponse(new Response(null, { status: 302, headers: { location: 'https://acme.amocrm.ru/oauth' } }), '/a/acme');
    expect(away.headers.get('location')).toBe('https://acme.amocrm.ru/oauth');
  });
});
