/**
 * The app wired to a test database, a movable clock and a logger that keeps its lines.
 */
import { createApp } from '../../src/app';
import { parseEnv } from '../../src/settings/env';
import { defaultIntegratorConfig, type IntegratorConfig } from '../../src/settings/integrator';
import type { AppDeps } from '../../src/deps';
import { inboxDeps } from '../../src/deps';
import { memoryLogger } from '../../src/lib/log';
import { bindSealKeys } from '../../src/lib/seal';
import { signatureHeader } from '../../src/pbx/generic/signature';
import type { TestDb } from './db';

export const SECRET = 'test-secret-0123456789abcdef';
export const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
/** SECRETS_KEYS of every harness (a test may give its own): 32 bytes of "t", base64. */
export const TEST_SECRETS_KEYS = `test:${btoa('t'.repeat(32))}`;
export const TEST_SEAL_KEYS = [{ kid: 'test', key: btoa('t'.repeat(32)) }];

export interface Harness {
  app: ReturnType<typeof createApp>;
  deps: AppDeps;
  log: ReturnType<typeof memoryLogger>;
  clock: { now: Date; advance(seconds: number): void };
  /** POST a body (object or raw string) to the generic webhook, signed unless told otherwise. */
  post(body: unknown, options?: { sign?: boolean; header?: string; secret?: string }): Promise<Response>;
  admin(path: string, init?: RequestInit): Promise<Response>;
}

export function harness(
  db: TestDb,
  options: { env?: Record<string, string>; config?: Partial<IntegratorConfig>; start?: Date; deps?: Partial<AppDeps> } = {},
): Harness {
  const settings = parseEnv({ GENERIC_WEBHOOK_SECRET: SECRET, ADMIN_TOKEN, SETTLE_SECONDS: '30', SECRETS_KEYS: TEST_SECRETS_KEYS, ...options.env });
  bindSealKeys(db.db, settings.secretsKeys);
  const log = memoryLogger();
  const clock = {
    now: options.start ?? new Date('2026-11-20T08:00:00Z'),
    advance(seconds: number) {
      this.now = new Date(this.now.getTime() + seconds * 1000);
    },
  };
  const deps: AppDeps = {
    db: db.db,
    settings,
    config: { ...defaultIntegratorConfig(), ...options.config },
    log,
    now: () => clock.now,
    ...options.deps,
  };
  const app = createApp(deps);
  return {
    app,
    deps,
    log,
    clock,
    async post(body, o = {}) {
      const raw = typeof body === 'string' ? body : JSON.stringify(body);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (o.header !== undefined) headers['x-calltrail-signature'] = o.header;
      else if (o.sign !== false) {
        headers['x-calltrail-signature'] = await signatureHeader(o.secret ?? SECRET, raw, clock.now.getTime() / 1000);
      }
      return await app.request('/v1/pbx/generic/events', { method: 'POST', body: raw, headers });
    },
    async admin(path, init = {}) {
      return app.request(path, { ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(init.headers ?? {}) } });
    },
  };
}

export { inboxDeps };
