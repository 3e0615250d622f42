import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/errors';
import { parseEnv } from '../settings/env';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultIntegratorConfig, parseIntegratorConfig } from '../settings/integrator';
import { accountConfig, accountSettings, variableProblems } from './settings';

const instance = parseEnv({
  PUBLIC_URL: 'https://calls.example.com/',
  DATA_DIR: '/var/lib/calltrail',
  ADMIN_TOKEN: 'owner-token-0123456789',
  LOOKUP_TOKEN: 'account-1-lookup-token',
  ORIGINATE_TOKEN: 'account-1-originate-token',
  METRICS_TOKEN: 'account-1-metrics-token',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector.example:4318/',
  RECORDING_LINK_KEYS: 'k1:account-1-link-key-0123456789abcdef',
  GENERIC_WEBHOOK_SECRET: 'account-1-generic-secret',
  ASTERISK_AMI_URL: 'tcp://admin:pw@pbx1.example:5038',
  AMOCRM_BASE_URL: 'https://one.amocrm.ru',
  AMOCRM_LONG_LIVED_TOKEN: 'account-1-amocrm-token',
  SECRETS_KEYS: `k:${btoa('k'.repeat(32))}`,
  SETTLE_SECONDS: '45',
});

describe("an added account's settings", () => {
  it("keep the instance's shared parts and none of account 1's own", () => {
    const s = accountSettings(instance, { slug: 'acme', variables: {}, config: defaultIntegratorConfig() });
    expect(s.publicUrl).toBe('https://calls.example.com/a/acme');
    expect(s.dataDir).toBe('/var/lib/calltrail/accounts/acme');
    expect(s.recordingsPrefix).toBe('accounts/acme/');
    expect(s.adminToken).toBe('owner-token-0123456789');
    expect(s.settleSeconds).toBe(45);
    expect(s.secretsKeys).toEqual(instance.secretsKeys);
    // Nothing of account 1's: no CRM (the account's own sandbox), tokens, secrets, link keys, AMI.
    expect(s.crm.kind).toBe('sandbox');
    expect(s.sandboxMode).toBe(true);
    expect(s.lookupToken).toBeUndefined();
    expect(s.originateToken).toBeUndefined();
    expect(s.metricsToken).toBeUndefined();
    expect(s.recordingLinkKeys).toEqual([]);
    expect(s.secrets).toEqual({});
    expect(s.asteriskAmi).toBeUndefined();
    expect(JSON.stringify(s)).not.toMatch(/account-1/);
    // Where traces go is the instance's: every account's spans go there.
    expect(s.tracing).toEqual({ endpoint: 'http://collector.example:4318', headers: {} });
  });

  it('take its own CRM, tokens and PBX secrets from its variables', () => {
    const s = accountSettings(instance, {
      slug: 'acme',
      variables: {
        AMOCRM_BASE_URL: 'https://acme.amocrm.ru',
        AMOCRM_LONG_LIVED_TOKEN: 'acme-token',
        LOOKUP_TOKEN: 'acme-lookup-token-0123',
        METRICS_TOKEN: 'acme-metrics-token-0123',
        GENERIC_WEBHOOK_SECRET: 'acme-generic-secret-0123',
      },
      config: defaultIntegratorConfig(),
    });
    expect(s.crm).toMatchObject({ kind: 'amocrm', accountId: 'amocrm:acme.amocrm.ru', longLivedToken: 'acme-token' });
    expect(s.sandboxMode).toBe(false);
    expect(s.lookupToken).toBe('acme-lookup-token-0123');
    expect(s.metricsToken).toBe('acme-metrics-token-0123');
    expect(s.secrets.generic).toBe('acme-generic-secret-0123');
  });

  it("choose a generic CRM by the account's config, with the secret its variables hold", () => {
    // The HubSpot preset an integrator copies: its token is named {env: HUBSPOT_TOKEN}.
    const config = parseIntegratorConfig(readFileSync(join(import.meta.dirname, '../../presets/hubspot.yaml'), 'utf8'), 'hubspot.yaml');
    const s = accountSettings(instance, { slug: 'acme', variables: { HUBSPOT_TOKEN: 'acme-hubspot-t0ken' }, config });
    expect(s.crm).toMatchObject({ kind: 'generic', accountId: 'generic:api.hubapi.com', secrets: { HUBSPOT_TOKEN: 'acme-hubspot-t0ken' } });
    expect(() => accountSettings(instance, { slug: 'acme', variables: {}, config })).toThrow(/HUBSPOT_TOKEN: is required/);
  });

  it('refuse instance variables, names that are not names, and malformed values, each named', () => {
    expect(variableProblems({ DATABASE_URL: 'postgres://x', 'bad-name': 'x', GENERIC_WEBHOOK_SECRET: '' })).toEqual([
      "DATABASE_URL: is the instance's, set in its environment, not an account's",
      'bad-name: not a variable name (upper-case letters, digits and _)',
      'GENERIC_WEBHOOK_SECRET: expected a non-empty string',
    ]);
    const error = (() => {
      try {
        accountSettings(instance, { slug: 'acme', variables: { AMOCRM_BASE_URL: 'not a url' }, config: defaultIntegratorConfig() });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/^the variables of account acme is invalid:\n {2}- AMOCRM_BASE_URL: /);
  });

  it('validate the config as the config file is validated', () => {
    expect(() => accountConfig({ settle: 'soon' }, 'acme')).toThrow(/the config of account acme is invalid/);
    expect(accountConfig(null, 'acme')).toEqual(defaultIntegratorConfig());
  });
});
