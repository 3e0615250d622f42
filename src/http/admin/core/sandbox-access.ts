/**
 * Who may use the built-in sandbox CRM at /sandbox/amocrm. Its API answers to a token that is
 * written in our source code, and its controls can block, fault or empty it; on a laptop that is
 * the point, on a deployment it is an open door. So the sandbox is open only in pure local mode:
 * no CRM, no PBX secret, no PBX database or AMI connection, PUBLIC_URL on loopback. Otherwise it
 * needs the admin token (Authorization: Bearer ADMIN_TOKEN, or the console's session cookie),
 * and without an ADMIN_TOKEN it is off (404, saying how to turn it on).
 *
 * calltrail's own deliveries never pass here: the adapter calls the sandbox's fetch in-process
 * (delivery/setup.ts, reconcile/engine.ts) with the sandbox's token, not through HTTP.
 * @module
 */
import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { timingSafeEqual } from 'hono/utils/buffer';
import type { Db } from '../../../db/client';
import { consoleAdminSession, SESSION_COOKIE } from './session';
import type { Settings } from '../../../settings/env';
import type { IntegratorConfig } from '../../../settings/integrator';
import { ApiError } from '../../core/errors';

/** The environment variable each PBX secret comes from, to say which one made a deployment "real". */
const SECRET_VARIABLES: Record<string, string> = {
  generic: 'GENERIC_WEBHOOK_SECRET',
  asterisk: 'ASTERISK_WEBHOOK_SECRET',
  zadarma: 'ZADARMA_API_KEY',
  twilio: 'TWILIO_AUTH_TOKEN',
  mango: 'MANGO_API_KEY',
  yeastar: 'YEASTAR_WEBHOOK_SECRET',
  freeswitch: 'FREESWITCH_BASIC_AUTH',
};

/** Host names that only this machine can reach (URL.hostname keeps IPv6 brackets). */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname.toLowerCase());
}

/**
 * Why this deployment is more than a local demo, one reason per setting; empty: pure local mode.
 * Every key of settings.secrets counts, so a PBX secret added later is covered without a change here.
 */
export function sandboxExposure(settings: Settings, config?: Pick<IntegratorConfig, 'sources'>): string[] {
  const reasons: string[] = [];
  if (settings.crm.kind !== 'sandbox') reasons.push(`a CRM is configured (${settings.crm.kind})`);
  for (const [name, value] of Object.entries(settings.secrets)) {
    if (value !== undefined) reasons.push(`${SECRET_VARIABLES[name] ?? `the ${name} PBX secret`} is set`);
  }
  if (config?.sources?.freepbx?.database_url) reasons.push('sources.freepbx.database_url is set');
  // Asterisk's manager interface (ASTERISK_AMI_URL) is a PBX connection too; read structurally so
  // this holds whether or not Settings declares the field.
  if ('asteriskAmi' in settings && settings.asteriskAmi) reasons.push('ASTERISK_AMI_URL is set');
  if (!isLoopbackHost(new URL(settings.publicUrl).hostname)) reasons.push(`PUBLIC_URL is ${new URL(settings.publicUrl).origin}`);
  return reasons;
}

export interface SandboxAccessOptions {
  settings: Settings;
  config?: Pick<IntegratorConfig, 'sources'>;
  now?: () => Date;
  /** Where console sessions are checked (a live owner's or admin's session admits). */
  db?: Db;
  /** Replaces the check of a session cookie (tests). */
  session?: (cookie: string | undefined, now: Date) => Promise<boolean>;
}

/** The gate in front of the mounted sandbox; a no-op in pure local mode. */
export function sandboxAccess(options: SandboxAccessOptions): MiddlewareHandler {
  const exposed = sandboxExposure(options.settings, options.config).length > 0;
  const adminToken = options.settings.adminToken;
  const now = options.now ?? (() => new Date());
  // options.db is read per request: on Workers each request has its own database client.
  const session =
    options.session ??
    ((cookie: string | undefined, at: Date) =>
      options.db ? consoleAdminSession({ db: options.db, settings: options.settings })(cookie, at) : Promise.resolve(false));
  return async (c, next) => {
    if (!exposed) return next();
    // What made the deployment "real" is not told to an anonymous caller: only how to get in.
    if (!adminToken) {
      throw new ApiError(
        'sandbox_off',
        'the sandbox CRM is off on a configured deployment (a CRM, a PBX secret or a public PUBLIC_URL is set): set ADMIN_TOKEN and send Authorization: Bearer <ADMIN_TOKEN> to reach it',
      );
    }
    const bearer = /^Bearer\s+(.+)$/i.exec(c.req.header('Authorization') ?? '')?.[1]?.trim();
    const allowed =
      (bearer !== undefined && (await timingSafeEqual(bearer, adminToken))) || (!!session && (await session(getCookie(c, SESSION_COOKIE), now())));
    if (!allowed) {
      c.header('WWW-Authenticate', 'Bearer realm="calltrail admin"');
      throw new ApiError('unauthorized', 'the sandbox CRM needs the admin token on a configured deployment: send Authorization: Bearer <ADMIN_TOKEN>');
    }
    await next();
  };
}
