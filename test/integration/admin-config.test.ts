/**
 * /admin/config on PGlite and PostgreSQL, through the whole app: the effective config is shown
 * after defaults, and no credential — from the config file or the environment — reaches the page.
 */
import { describe, expect, it } from 'vitest';
import { parseIntegratorConfig } from '../../src/settings/integrator';
import { ADMIN_TOKEN, harness, SECRET, type Harness } from '#test/app';
import { useTestDb } from '#test/db';

const testDb = useTestDb();
const ORIGIN = 'http://localhost';

const DB_PASSWORD = 'freepbx-db-pass-4711';
const WEBHOOK = 'https://hooks.slack.com/services/T000/B000/slack-hook-secret-0815';
const AMO_TOKEN = 'amo-long-lived-token-abcdef0123456789';
const AMO_CLIENT_SECRET = 'amo-client-secret-abcdef0123456789';

async function login(h: Harness): Promise<string> {
  const res = await h.app.request('/admin/login', {
    method: 'POST',
    headers: { origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: ADMIN_TOKEN, next: '/admin' }).toString(),
  });
  expect(res.status).toBe(303);
  const cookie = /^(calltrail_admin=[^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
  if (!cookie) throw new Error('no session cookie');
  return cookie;
}

function unescapeHtml(text: string): string {
  const entities: Record<string, string> = { '&quot;': '"', '&#39;': "'", '&lt;': '<', '&gt;': '>', '&amp;': '&' };
  return text.replace(/&(quot|#39|lt|gt|amp);/g, (e) => entities[e] ?? e);
}

function configured() {
  const config = parseIntegratorConfig(
    JSON.stringify({
      extensions: { '101': 5566771 },
      crm: { contact_name: 'Caller {{ phone }}', fields: { contact_tags: ['calltrail'] } },
      sources: { freepbx: { database_url: `mysql://calltrail:${DB_PASSWORD}@freepbx.lan:3306/asteriskcdrdb` } },
      reconcile: { alert_webhook_url: WEBHOOK },
    }),
    'calltrail.json',
  );
  return harness(testDb(), {
    config,
    env: {
      AMOCRM_BASE_URL: 'https://example.amocrm.ru',
      AMOCRM_LONG_LIVED_TOKEN: AMO_TOKEN,
      AMOCRM_CLIENT_ID: 'client-id-1',
      AMOCRM_CLIENT_SECRET: AMO_CLIENT_SECRET,
      AMOCRM_REDIRECT_URI: 'https://calltrail.example/oauth',
      CONFIG_FILE: '/etc/calltrail.yaml',
    },
  });
}

describe('the Config page', () => {
  it('needs a session', async () => {
    const res = await configured().app.request('/admin/config');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/admin\/login/);
  });

  it('shows the effective config after defaults, and the environment’s setup, linked from the nav', async () => {
    const h = configured();
    const res = await h.app.request('/admin/config', { headers: { cookie: await login(h) } });
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('<a href="/admin/config" aria-current="page">Config</a>');
    const yaml = unescapeHtml(/<pre id="config-yaml"[^>]*>([\s\S]*?)<\/pre>/.exec(page)?.[1] ?? '');
    // Given values, defaults and the mapping, as YAML.
    expect(yaml).toMatch(/^extensions:\n {2}"101": 5566771$/m);
    expect(yaml).toMatch(/^ {2}contact_name: Caller \{\{ phone \}\}$/m);
    expect(yaml).toMatch(/^ {2}batch_size: 50$/m);
    expect(yaml).toMatch(/^ {4}contact_tags:\n {6}- calltrail$/m);
    expect(yaml).toContain('database_url: mysql://calltrail:(hidden)@freepbx.lan:3306/asteriskcdrdb');
    expect(yaml).toMatch(/alert_webhook_url: \(hidden\)/);
    expect(page).toContain('amoCRM https://example.amocrm.ru, OAuth');
    expect(page).toContain('/etc/calltrail.yaml');
  });

  it('never shows a secret, from the config file or the environment', async () => {
    const h = configured();
    const page = await (await h.app.request('/admin/config', { headers: { cookie: await login(h) } })).text();
    for (const secret of [DB_PASSWORD, 'slack-hook-secret', AMO_TOKEN, AMO_CLIENT_SECRET, ADMIN_TOKEN, SECRET]) {
      expect(page, secret).not.toContain(secret);
    }
  });
});
