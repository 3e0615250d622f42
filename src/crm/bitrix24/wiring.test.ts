/**
 * `crm.adapter: bitrix24` from the config to a connected port: the section is required, its
 * webhook URL comes from the variable it names (and never shows in the account id), call-back
 * tasks are refused, and connectCrm builds the Bitrix24 adapter at the section's pace.
 */
import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../settings/env';
import { ConfigError } from '../../config/errors';
import { parseIntegratorConfig } from '../../settings/integrator';
import { memoryLogger } from '../../lib/log';
import type { Db } from '../../db/client';
import { connectCrm } from '../connect';
import { withConfiguredCrm } from '../../settings/crm-account';

const config = (extra: Record<string, unknown> = {}) =>
  parseIntegratorConfig(
    JSON.stringify({ crm: { adapter: 'bitrix24', bitrix24: { webhook_url: { env: 'BITRIX24_WEBHOOK_URL' }, default_user_id: 1 } }, ...extra }),
    'calltrail.json',
  );
const WEBHOOK = 'https://acme.bitrix24.ru/rest/1/s3cr3tc0de0123/';

describe('crm.adapter: bitrix24', () => {
  it('joins the config and the environment into a Bitrix24 account named by its portal only', () => {
    const settings = withConfiguredCrm(parseEnv({}), config(), { BITRIX24_WEBHOOK_URL: WEBHOOK });
    expect(settings.crm).toEqual({
      kind: 'bitrix24',
      accountId: 'bitrix24:acme.bitrix24.ru',
      baseUrl: 'https://acme.bitrix24.ru',
      rps: 2,
      secrets: { BITRIX24_WEBHOOK_URL: WEBHOOK },
    });
    expect(settings.sandboxMode).toBe(false);
    expect(JSON.stringify({ ...settings.crm, secrets: undefined })).not.toContain('s3cr3tc0de');
  });

  it('names the missing variable, refuses AMOCRM_BASE_URL beside it, and a missing section', () => {
    const missing = (() => {
      try {
        withConfiguredCrm(parseEnv({}), config(), {});
      } catch (error) {
        return error;
      }
    })();
    expect(missing).toBeInstanceOf(ConfigError);
    expect((missing as ConfigError).message).toContain('BITRIX24_WEBHOOK_URL');
    expect(() =>
      withConfiguredCrm(parseEnv({ AMOCRM_BASE_URL: 'https://x.amocrm.ru', AMOCRM_LONG_LIVED_TOKEN: 't' }), config(), { BITRIX24_WEBHOOK_URL: WEBHOOK }),
    ).toThrow(/AMOCRM_BASE_URL: is set, but the config says crm.adapter: bitrix24/);
    expect(() => parseIntegratorConfig(JSON.stringify({ crm: { adapter: 'bitrix24' } }), 'c.json')).toThrow(
      /crm\.bitrix24: is required with crm\.adapter: bitrix24/,
    );
    expect(() => config({ missed_call_tasks: { enabled: true } })).toThrow(/missed_call_tasks\.enabled: call-back tasks are not supported/);
  });

  it('connects the Bitrix24 adapter at the section’s pace', () => {
    const cfg = config();
    const settings = withConfiguredCrm(parseEnv({}), cfg, { BITRIX24_WEBHOOK_URL: WEBHOOK });
    const limiters = new Map();
    const crm = connectCrm({ settings, config: cfg, db: {} as Db, log: memoryLogger(), now: () => new Date(), limiters });
    expect(crm?.accountId).toBe('bitrix24:acme.bitrix24.ru');
    expect(crm?.port.kind).toBe('bitrix24');
    expect(limiters.get('bitrix24:acme.bitrix24.ru')?.currentRps).toBe(2);
  });
});
