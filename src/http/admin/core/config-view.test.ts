import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../../settings/env';
import { environmentSummary, HIDDEN, maskSecrets, withoutUrlPassword } from './config-view';

describe('the effective config, masked', () => {
  const isSet = (name: string) => name === 'CRM_API_KEY';

  it('hides values under secret-looking keys, wherever they are, and keeps the rest', () => {
    const config = {
      crm: { generic: { auth: { api_key: 'k-123', Authorization: 'Bearer t-456', header: 'X-Key' }, client_secret: 's', base_url: 'https://crm.example' } },
      reconcile: { alert_webhook_url: 'https://hooks.example/T/B/xyz' },
      list: [{ password: 'p' }, { name: 'n' }],
      unset: { token: null },
    };
    expect(maskSecrets(config, isSet)).toEqual({
      crm: { generic: { auth: { api_key: HIDDEN, Authorization: HIDDEN, header: 'X-Key' }, client_secret: HIDDEN, base_url: 'https://crm.example' } },
      reconcile: { alert_webhook_url: HIDDEN },
      list: [{ password: HIDDEN }, { name: 'n' }],
      unset: { token: null },
    });
  });

  it('shows {env: NAME} as the name and whether it is set, under any key', () => {
    expect(maskSecrets({ token: { env: 'CRM_API_KEY' }, other: { env: 'MISSING' }, two: { env: 'A', x: 1 } }, isSet)).toEqual({
      token: 'env CRM_API_KEY (set)',
      other: 'env MISSING (not set)',
      two: { env: 'A', x: 1 },
    });
  });

  it('cuts the password out of URLs', () => {
    expect(withoutUrlPassword('mysql://calltrail:pw@freepbx.lan:3306/cdr')).toBe(`mysql://calltrail:${HIDDEN}@freepbx.lan:3306/cdr`);
    expect(withoutUrlPassword('postgres://root@127.0.0.1/test')).toBe('postgres://root@127.0.0.1/test');
    expect(withoutUrlPassword('Call from {{ phone }}')).toBe('Call from {{ phone }}');
  });

  it('says what the environment configures without a credential', () => {
    const settings = parseEnv({
      AMOCRM_BASE_URL: 'https://a.amocrm.ru',
      AMOCRM_LONG_LIVED_TOKEN: 'tok-0123456789',
      ZADARMA_API_KEY: 'zk',
      ZADARMA_API_SECRET: 'zs',
      DATABASE_URL: 'postgres://u:dbpw@db/x',
    });
    const text = JSON.stringify(environmentSummary(settings));
    expect(text).toContain('amoCRM https://a.amocrm.ru, long-lived token');
    expect(text).toContain('"PBX sources enabled","value":"zadarma"');
    for (const secret of ['tok-0123456789', 'zk"', 'zs"', 'dbpw']) expect(text).not.toContain(secret);
  });
});
