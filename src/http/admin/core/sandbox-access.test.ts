import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { issueSession, readSession, SESSION_COOKIE } from './session';
import { parseEnv } from '../../../settings/env';
import { handleError } from '../../core/errors';
import { isLoopbackHost, sandboxAccess, sandboxExposure } from './sandbox-access';
import { memoryLogger } from '../../../lib/log';

const ADMIN = 'admin-token-0123456789abcdef';
const KEY = 'session-key-0123456789abcdef';
const OWNER = { userId: 0, role: 'owner' as const, epoch: '0' };

describe('sandboxExposure', () => {
  it('is empty in pure local mode: nothing configured, PUBLIC_URL on loopback', () => {
    expect(sandboxExposure(parseEnv({}))).toEqual([]);
    for (const url of ['http://localhost:3000', 'http://127.0.0.1:8080', 'http://[::1]:3000', 'http://LOCALHOST']) {
      expect(sandboxExposure(parseEnv({ PUBLIC_URL: url }))).toEqual([]);
    }
    // The admin token alone does not make a deployment "real".
    expect(sandboxExposure(parseEnv({ ADMIN_TOKEN: ADMIN }))).toEqual([]);
  });

  it('names each PBX secret that is set', () => {
    const cases: [Record<string, string>, string][] = [
      [{ GENERIC_WEBHOOK_SECRET: 'generic-secret-0123456789' }, 'GENERIC_WEBHOOK_SECRET is set'],
      [{ ASTERISK_WEBHOOK_SECRET: 'asterisk-secret-0123456789' }, 'ASTERISK_WEBHOOK_SECRET is set'],
      [{ ZADARMA_API_KEY: 'k', ZADARMA_API_SECRET: 's' }, 'ZADARMA_API_KEY is set'],
      [{ TWILIO_AUTH_TOKEN: 't' }, 'TWILIO_AUTH_TOKEN is set'],
      [{ MANGO_API_KEY: 'k', MANGO_API_SALT: 's' }, 'MANGO_API_KEY is set'],
      [{ YEASTAR_WEBHOOK_SECRET: 'y' }, 'YEASTAR_WEBHOOK_SECRET is set'],
      [{ FREESWITCH_BASIC_AUTH: 'user:pass' }, 'FREESWITCH_BASIC_AUTH is set'],
    ];
    for (const [env, reason] of cases) expect(sandboxExposure(parseEnv(env))).toEqual([reason]);
  });

  it('counts a CRM, a FreePBX database, an AMI connection and a PUBLIC_URL beyond loopback', () => {
    expect(sandboxExposure(parseEnv({ AMOCRM_BASE_URL: 'https://example.amocrm.ru', AMOCRM_LONG_LIVED_TOKEN: 't' }))).toEqual(['a CRM is configured (amocrm)']);
    const freepbx = { sources: { freepbx: { database_url: 'mysql://u:p@pbx:3306/asteriskcdrdb' } } } as never;
    expect(sandboxExposure(parseEnv({}), freepbx)).toEqual(['sources.freepbx.database_url is set']);
    const ami = { ...parseEnv({}), asteriskAmi: { host: 'pbx', port: 5038, username: 'calltrail', secret: 's' } };
    expect(sandboxExposure(ami)).toEqual(['ASTERISK_AMI_URL is set']);
    expect(sandboxExposure(parseEnv({ PUBLIC_URL: 'https://calls.example.com' }))).toEqual(['PUBLIC_URL is https://calls.example.com']);
    // A LAN address or 0.0.0.0 is reachable from elsewhere: not local.
    expect(sandboxExposure(parseEnv({ PUBLIC_URL: 'http://192.168.1.10:3000' }))).toHaveLength(1);
    expect(sandboxExposure(parseEnv({ PUBLIC_URL: 'http://localhost.example.com' }))).toHaveLength(1);
  });
});

describe('isLoopbackHost', () => {
  it('knows loopback names and nothing else', () => {
    expect(['localhost', '127.0.0.1', '::1', '[::1]'].map(isLoopbackHost)).toEqual([true, true, true, true]);
    expect(['0.0.0.0', '::', '10.0.0.5', 'example.com', ''].map(isLoopbackHost)).toEqual([false, false, false, false, false]);
  });
});

describe('sandboxAccess', () => {
  const now = new Date('2026-11-20T08:00:00Z');
  function gated(env: Record<string, string>) {
    const app = new Hono();
    app.onError(handleError(memoryLogger()));
    app.use('/s/*', sandboxAccess({ settings: parseEnv(env), now: () => now, session: async (v, at) => (await readSession(KEY, v, at)) !== null }));
    app.get('/s/page', (c) => c.text('sandbox'));
    return app;
  }
  const exposed = { PUBLIC_URL: 'https://calls.example.com' };

  it('lets everyone through in pure local mode', async () => {
    expect((await gated({}).request('/s/page')).status).toBe(200);
  });

  it('asks an exposed deployment for the admin bearer token or the console session', async () => {
    const app = gated({ ...exposed, ADMIN_TOKEN: ADMIN });
    const anonymous = await app.request('/s/page');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    expect((await app.request('/s/page', { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    expect((await app.request('/s/page', { headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(200);

    const { value } = await issueSession(KEY, OWNER, now);
    expect((await app.request('/s/page', { headers: { cookie: `${SESSION_COOKIE}=${value}` } })).status).toBe(200);
    // A session signed with another key, or a forged one, is no session.
    const { value: foreign } = await issueSession('another-key-0123456789', OWNER, now);
    expect((await app.request('/s/page', { headers: { cookie: `${SESSION_COOKIE}=${foreign}` } })).status).toBe(401);
  });

  it('is off on an exposed deployment without ADMIN_TOKEN, and says how to reach it', async () => {
    const res = await gated(exposed).request('/s/page', { headers: { authorization: 'Bearer anything-at-all-0123456789' } });
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('sandbox_off');
    expect(body.error.message).toContain('ADMIN_TOKEN');
    // Which setting made it "real" is not told to an anonymous caller.
    expect(body.error.message).not.toContain('calls.example.com');
  });
});
