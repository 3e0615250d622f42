import { describe, expect, it } from 'vitest';
import { parseEnv } from './env';
import { ConfigError } from '../config/errors';

const problems = (env: Record<string, string>) => {
  try {
    parseEnv(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('parseEnv', () => {
  it('runs on defaults: PGlite, sandbox CRM, port 3000', () => {
    const s = parseEnv({});
    expect(s).toMatchObject({
      port: 3000,
      dataDir: './data',
      publicUrl: 'http://localhost:3000',
      sandboxMode: true,
      settleSeconds: 30,
      crm: { kind: 'sandbox', accountId: 'sandbox', rps: 7 },
      secrets: {},
    });
    expect(s.databaseUrl).toBeUndefined();
    expect(s.adminToken).toBeUndefined();
  });

  it('ignores variables it does not know and treats empty ones as unset', () => {
    expect(parseEnv({ HOME: '/root', PORT: '', DATABASE_URL: ' ' }).port).toBe(3000);
  });

  it('configures amoCRM from its URL and a token', () => {
    const s = parseEnv({ AMOCRM_BASE_URL: 'https://example.amocrm.ru/', AMOCRM_LONG_LIVED_TOKEN: 'tok', AMOCRM_RPS: '5' });
    expect(s.sandboxMode).toBe(false);
    expect(s.crm).toMatchObject({ kind: 'amocrm', accountId: 'amocrm:example.amocrm.ru', baseUrl: 'https://example.amocrm.ru', rps: 5 });
  });

  it('names each malformed variable and what it expects', () => {
    expect(problems({ PORT: 'abc' })).toEqual(['PORT: expected a TCP port (an integer from 1 to 65535), got "abc"']);
    expect(problems({ SETTLE_SECONDS: '-1' })).toEqual(['SETTLE_SECONDS: expected seconds (an integer from 0 to 86400), got "-1"']);
    expect(problems({ DATABASE_URL: 'mysql://x' })[0]).toMatch(/^DATABASE_URL: expected a PostgreSQL URL starting with postgres:\/\//);
    expect(problems({ PUBLIC_URL: 'example.com' })[0]).toMatch(/^PUBLIC_URL: expected the public base URL/);
    expect(problems({ ADMIN_TOKEN: 'short' })).toEqual(['ADMIN_TOKEN: expected a random admin token of at least 16 characters']);
    expect(problems({ FREESWITCH_BASIC_AUTH: 'nocolon' })).toEqual(['FREESWITCH_BASIC_AUTH: expected user:password']);
    expect(problems({ LOG_LEVEL: 'loud' })[0]).toMatch(/^LOG_LEVEL: /);
  });

  it("reads the metrics token and where traces go (OTLP over HTTP, with the spec's header list)", () => {
    const s = parseEnv({
      METRICS_TOKEN: 'metrics-token-0123456789',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp.example.com:4318/',
      OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20abc, x-scope=calls',
    });
    expect(s.metricsToken).toBe('metrics-token-0123456789');
    expect(s.tracing).toEqual({ endpoint: 'https://otlp.example.com:4318', headers: { authorization: 'Bearer abc', 'x-scope': 'calls' } });
    expect(parseEnv({}).tracing).toBeUndefined();
    expect(problems({ METRICS_TOKEN: 'short' })).toEqual([
      'METRICS_TOKEN: expected a random token for the metrics scraper (GET /metrics) of at least 16 characters',
    ]);
    expect(problems({ OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://collector:4317' })[0]).toMatch(/^OTEL_EXPORTER_OTLP_ENDPOINT: expected the OTLP\/HTTP endpoint/);
    expect(problems({ OTEL_EXPORTER_OTLP_HEADERS: 'no-equals-sign' })[0]).toMatch(/^OTEL_EXPORTER_OTLP_HEADERS: expected name=value/);
    expect(problems({ OTEL_EXPORTER_OTLP_HEADERS: 'a=%zz' })[0]).toMatch(/^OTEL_EXPORTER_OTLP_HEADERS: /);
  });

  it('reports every problem at once, and never echoes a password', () => {
    const p = problems({ PORT: '0', DATABASE_URL: 'mysql://u:hunter2@db/x' });
    expect(p).toHaveLength(2);
    expect(p.join('\n')).not.toContain('hunter2');
  });

  it('refuses half-configured CRMs and secret pairs', () => {
    expect(problems({ AMOCRM_BASE_URL: 'https://example.amocrm.ru' })[0]).toMatch(/AMOCRM_BASE_URL: is set, but there is no way to authenticate/);
    expect(problems({ AMOCRM_CLIENT_ID: 'id', AMOCRM_BASE_URL: 'https://x.amocrm.ru' })[0]).toMatch(/needs all three/);
    expect(problems({ AMOCRM_LONG_LIVED_TOKEN: 'tok' })[0]).toMatch(/AMOCRM_BASE_URL: is required when amoCRM credentials are set/);
    expect(problems({ ZADARMA_API_KEY: 'k' })).toEqual(['ZADARMA_API_SECRET: is required together with ZADARMA_API_KEY']);
  });
});
