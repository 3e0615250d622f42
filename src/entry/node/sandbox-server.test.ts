import { describe, expect, it } from 'vitest';
import { createAmoSandbox } from '../../sandbox';
import { guardedSandboxFetch, sandboxServerSettings } from './sandbox-server';

const ADMIN = 'sandbox-admin-token-0123456789';

describe('sandboxServerSettings', () => {
  it('keeps today’s defaults on loopback: no admin token needed, the default API token allowed', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1']) {
      const settings = sandboxServerSettings(['--host', host]);
      expect(settings).toMatchObject({ host, port: 4010, options: { longLivedTokens: ['sandbox-token'] } });
      expect(settings.adminToken).toBeUndefined();
    }
  });

  it('refuses to listen beyond loopback without an admin token, or with the public default API token', () => {
    expect(() => sandboxServerSettings(['--host', '0.0.0.0'])).toThrow(/--host 0\.0\.0\.0 reaches beyond this machine: give --admin-token/);
    expect(() => sandboxServerSettings(['--host', '::', '--token', 'own-api-token'])).toThrow(/give --admin-token/);
    expect(() => sandboxServerSettings(['--host', '192.168.1.10', '--admin-token', ADMIN])).toThrow(/a --token of your own/);
    expect(sandboxServerSettings(['--host', '0.0.0.0', '--admin-token', ADMIN, '--token', 'own-api-token'])).toMatchObject({
      host: '0.0.0.0',
      adminToken: ADMIN,
      options: { longLivedTokens: ['own-api-token'] },
    });
  });

  it('wants an admin token long enough to be one', () => {
    expect(() => sandboxServerSettings(['--admin-token', 'short'])).toThrow('--admin-token must be at least 16 characters');
  });
});

describe('guardedSandboxFetch', () => {
  const sandbox = createAmoSandbox({ seed: 'demo', longLivedTokens: ['api-token'] });
  const guarded = guardedSandboxFetch(sandbox.fetch, ADMIN);
  const at = (path: string, headers: Record<string, string> = {}, method = 'GET') => guarded(new Request(`http://sandbox${path}`, { method, headers }));

  it('asks for the admin token on the page and the controls', async () => {
    for (const [path, method] of [
      ['/', 'GET'],
      ['/__sandbox/state', 'GET'],
      ['/__sandbox/unblock', 'POST'],
      ['/__sandbox/notes/x', 'DELETE'],
    ] as const) {
      const res = await at(path, {}, method);
      expect(res.status, path).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await res.text()).toContain('--admin-token');
      expect((await at(path, { authorization: 'Bearer wrong-admin-token-0123456789' }, method)).status).toBe(401);
    }
    expect((await at('/', { authorization: `Bearer ${ADMIN}` })).status).toBe(200);
    expect((await at('/__sandbox/state', { authorization: `Bearer ${ADMIN}` })).status).toBe(200);
  });

  it('leaves the amoCRM API to the sandbox’s own tokens', async () => {
    expect((await at('/api/v4/account', { authorization: 'Bearer api-token' })).status).toBe(200);
    expect((await at('/api/v4/account')).status).toBe(401);
    expect((await at('/api/v4/account', { authorization: `Bearer ${ADMIN}` })).status).toBe(401);
  });

  it('is the sandbox itself when no admin token is given (loopback, as today)', async () => {
    expect(guardedSandboxFetch(sandbox.fetch, undefined)).toBe(sandbox.fetch);
  });
});
