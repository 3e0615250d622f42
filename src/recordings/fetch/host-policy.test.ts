import { describe, expect, it } from 'vitest';
import { hostAllowed, ipLiteral, normalizeHostPattern, urlRefusal } from './host-policy';

describe('normalizeHostPattern', () => {
  it.each([
    ['pbx.example.com', { wildcard: false, host: 'pbx.example.com' }],
    ['  PBX.Example.COM. ', { wildcard: false, host: 'pbx.example.com' }],
    ['*.Example.com', { wildcard: true, host: 'example.com' }],
    ['пример.рф', { wildcard: false, host: 'xn--e1afmkfd.xn--p1ai' }],
    ['*.пример.рф', { wildcard: true, host: 'xn--e1afmkfd.xn--p1ai' }],
    ['10.0.0.5', { wildcard: false, host: '10.0.0.5' }],
    ['0x0a.0.0.5', { wildcard: false, host: '10.0.0.5' }],
    ['[::FFFF:127.0.0.1]', { wildcard: false, host: '[::ffff:7f00:1]' }],
  ])('reads %j', (entry, pattern) => {
    expect(normalizeHostPattern(entry)).toEqual(pattern);
  });

  it.each([
    '',
    '*.',
    'pbx.example.com:8080',
    'pbx.example.com/path',
    'user@pbx.example.com',
    'http://pbx.example.com',
    '*.10.0.0.1',
    '*.[::1]',
    'a b.com',
    '::1',
    'pbx.example.com?x',
  ])('refuses %j (never matches anything)', (entry) => {
    expect(normalizeHostPattern(entry)).toBeNull();
  });
});

describe('hostAllowed', () => {
  it("matches exact names and subdomains of wildcards, not the wildcard's own name", () => {
    const list = ['pbx.example.com', '*.zadarma.com'];
    expect(hostAllowed('pbx.example.com', list)).toBe(true);
    expect(hostAllowed('pbx.example.com.', list)).toBe(true);
    expect(hostAllowed('a.pbx.example.com', list)).toBe(false);
    expect(hostAllowed('api.zadarma.com', list)).toBe(true);
    expect(hostAllowed('a.b.zadarma.com', list)).toBe(true);
    expect(hostAllowed('zadarma.com', list)).toBe(false);
    expect(hostAllowed('evilzadarma.com', list)).toBe(false);
    expect(hostAllowed('zadarma.com.evil.net', list)).toBe(false);
  });

  it('ignores malformed entries instead of letting them match', () => {
    expect(hostAllowed('pbx.example.com', ['pbx.example.com:443', 'https://pbx.example.com'])).toBe(false);
  });
});

describe('ipLiteral', () => {
  it('tells URL hostnames that are addresses from names', () => {
    expect(ipLiteral('127.0.0.1')).toBe('127.0.0.1');
    expect(ipLiteral('[::1]')).toBe('::1');
    expect(ipLiteral('pbx.example.com')).toBeNull();
    expect(ipLiteral('1.2.3.4.example.com')).toBeNull();
  });
});

describe('urlRefusal', () => {
  const policy = { allowedHosts: ['pbx.example.com', '192.168.1.20'], allowPrivate: false };
  it('says nothing of a URL that may be fetched', () => {
    expect(urlRefusal(new URL('https://pbx.example.com/r.wav?token=abc'), policy)).toBeNull();
  });

  it('names the host, never the rest of the URL', () => {
    const reason = urlRefusal(new URL('https://evil.example.net/r.wav?token=secret-token'), policy);
    expect(reason).toBe('evil.example.net is not an allowed recording host (recordings.allowed_hosts)');
  });

  it('judges a listed IP literal by its address', () => {
    expect(urlRefusal(new URL('http://192.168.1.20/r.wav'), policy)).toMatch(/^192\.168\.1\.20 is a private address/);
    expect(urlRefusal(new URL('http://192.168.1.20/r.wav'), { ...policy, allowPrivate: true })).toBeNull();
  });
});
