/**
 * The environment contract (DESIGN.md › Contract), parsed once at the entry.
 * Runtime-neutral: the Node entry passes process.env, the Workers entry passes its bindings.
 * @module
 */
import * as z from 'zod';
import type { CrmSettings } from '../crm/settings';
import { ConfigError, describeIssues } from '../config/errors';
import { parseSealKeys, type SealKey } from '../lib/seal';

/** The CRM's part of the settings is the CRM side's type (crm/settings.ts); re-exported for older importers. */
export type { CrmSettings };

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const integer = (what: string, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return undefined;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `expected ${what} (an integer from ${min} to ${max}), got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

const url = (what: string, protocols: readonly string[]) =>
  optionalString.transform((v, ctx) => {
    if (v === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(v);
    } catch {
      ctx.addIssue({ code: 'custom', message: `expected ${what}, got "${redactUrl(v)}"` });
      return z.NEVER;
    }
    if (!protocols.includes(parsed.protocol)) {
      ctx.addIssue({
        code: 'custom',
        message: `expected ${what} starting with ${protocols.map((p) => `${p}//`).join(' or ')}, got "${redactUrl(v)}"`,
      });
      return z.NEVER;
    }
    return v.replace(/\/+$/, '');
  });

/**
 * OTEL_EXPORTER_OTLP_HEADERS as the OpenTelemetry spec writes it: `name=value` pairs separated by
 * commas, values percent-encoded. null when it is not that.
 */
export function parseOtlpHeaders(text: string): Record<string, string> | null {
  const headers: Record<string, string> = {};
  for (const pair of text.split(',')) {
    if (pair.trim() === '') continue;
    const at = pair.indexOf('=');
    const name = pair.slice(0, at).trim();
    if (at <= 0 || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) return null;
    try {
      headers[name.toLowerCase()] = decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      return null;
    }
  }
  return headers;
}

/** Never echo a password from a connection string back into a log. */
function redactUrl(v: string): string {
  return v.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');
}

/** Where Asterisk's manager interface listens and who calltrail logs in as (manager.conf). */
export interface AmiAddress {
  host: string;
  port: number;
  username: string;
  secret: string;
}

const AMI_URL_FORM = 'tcp://user:secret@host[:port] (a manager.conf user; port 5038 by default)';

/** `tcp://user:secret@host:5038` → the address; user and secret percent-decoded. */
const amiUrl = optionalString.transform((v, ctx): AmiAddress | undefined => {
  if (v === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(v);
  } catch {
    ctx.addIssue({ code: 'custom', message: `expected ${AMI_URL_FORM}, got "${redactUrl(v)}"` });
    return z.NEVER;
  }
  const problem = amiUrlProblem(parsed);
  if (problem) {
    ctx.addIssue({ code: 'custom', message: `${problem}, got "${redactUrl(v)}"` });
    return z.NEVER;
  }
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port ? Number(parsed.port) : 5038,
    username: percentDecoded(parsed.username),
    secret: percentDecoded(parsed.password),
  };
});

/** A secret may hold a `%` that starts no escape: then it is taken as written. */
function percentDecoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function amiUrlProblem(url: URL): string | undefined {
  if (url.protocol !== 'tcp:') return `expected ${AMI_URL_FORM} starting with tcp://`;
  if (!url.username || !url.password) return `expected ${AMI_URL_FORM}: the user or the secret is missing`;
  if (!url.hostname) return `expected ${AMI_URL_FORM}: the host is missing`;
  if (/%0[ad]/i.test(`${url.username}:${url.password}`)) return `expected ${AMI_URL_FORM}: the user and secret cannot hold a line break`;
  if ((url.pathname !== '' && url.pathname !== '/') || url.search || url.hash) return `expected ${AMI_URL_FORM}: nothing after the port`;
  return undefined;
}

const secret = (what: string, minLength: number) =>
  optionalString.refine((v) => v === undefined || v.length >= minLength, {
    message: `expected ${what} of at least ${minLength} characters`,
  });

export const envSchema = z
  .object({
    PORT: integer('a TCP port', 1, 65535),
    DATABASE_URL: url('a PostgreSQL URL', ['postgres:', 'postgresql:']),
    DATABASE_POOL_SIZE: integer('connections per process to DATABASE_URL', 1, 200),
    ACCOUNT_POOL_SIZE: integer("connections per process to each added account's schema", 1, 50),
    DATA_DIR: optionalString,
    PUBLIC_URL: url('the public base URL of this service', ['http:', 'https:']),
    ADMIN_TOKEN: secret('a random admin token', 16),
    LOOKUP_TOKEN: secret('a random token for the PBX (GET /v1/lookup)', 16),
    ORIGINATE_TOKEN: secret('a random token for click-to-call (POST /v1/originate)', 16),
    METRICS_TOKEN: secret('a random token for the metrics scraper (GET /metrics)', 16),
    BITRIX24_APP_TOKEN: secret("the application token of Bitrix24's outbound webhook (ONEXTERNALCALLSTART)", 8),
    CONFIG_FILE: optionalString,
    CONFIG: optionalString,
    AMOCRM_BASE_URL: url('the amoCRM account URL, e.g. https://example.amocrm.ru', ['https:', 'http:']),
    AMOCRM_LONG_LIVED_TOKEN: optionalString,
    AMOCRM_CLIENT_ID: optionalString,
    AMOCRM_CLIENT_SECRET: optionalString,
    AMOCRM_REDIRECT_URI: url('the OAuth redirect URI registered with amoCRM', ['https:', 'http:']),
    AMOCRM_RPS: integer('requests per second', 1, 50),
    SETTLE_SECONDS: integer('seconds', 0, 86400),
    DELIVERY_LEASE_SECONDS: integer('seconds', 10, 3600),
    RECORDINGS_STORAGE: z.enum(['local', 's3', 'r2', 'memory']).optional(),
    S3_ENDPOINT: url('the S3-compatible endpoint, e.g. https://s3.eu-central-1.amazonaws.com', ['https:', 'http:']),
    S3_BUCKET: optionalString,
    S3_REGION: optionalString,
    S3_ACCESS_KEY_ID: optionalString,
    S3_SECRET_ACCESS_KEY: optionalString,
    S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).optional(),
    RECORDING_LINK_KEYS: optionalString.refine((v) => v === undefined || v.split(',').every((pair) => /^[A-Za-z0-9_-]{1,16}:.{16,}$/.test(pair.trim())), {
      message: 'expected kid:secret[,kid:secret…] (kid up to 16 letters, digits, _ or -; secret at least 16 characters); the first signs',
    }),
    SECRETS_KEYS: optionalString.transform((v, ctx) => {
      if (v === undefined) return undefined;
      const parsed = parseSealKeys(v);
      if ('keys' in parsed) return parsed.keys;
      ctx.addIssue({ code: 'custom', message: `expected kid:base64key[,kid:base64key…] (32-byte keys; the first seals, all open): ${parsed.problem}` });
      return z.NEVER;
    }),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).optional(),
    GENERIC_WEBHOOK_SECRET: secret('a shared secret', 16),
    ASTERISK_WEBHOOK_SECRET: secret('a shared secret', 16),
    ASTERISK_AMI_URL: amiUrl,
    FREESWITCH_ESL: secret("FreeSWITCH's event socket as host:port:password", 5).refine((v) => v === undefined || /^[^:\s]+:\d{1,5}:.+$/.test(v), {
      message: 'expected host:port:password (the event socket of mod_event_socket)',
    }),
    ZADARMA_API_KEY: optionalString,
    ZADARMA_API_SECRET: optionalString,
    TWILIO_AUTH_TOKEN: optionalString,
    MANGO_API_KEY: optionalString,
    MANGO_API_SALT: optionalString,
    YEASTAR_WEBHOOK_SECRET: optionalString,
    FREESWITCH_BASIC_AUTH: optionalString.refine((v) => v === undefined || /^[^:]+:.+$/.test(v), {
      message: 'expected user:password',
    }),
    OTEL_EXPORTER_OTLP_ENDPOINT: url('the OTLP/HTTP endpoint of a trace collector, e.g. http://otel-collector:4318', ['http:', 'https:']),
    OTEL_EXPORTER_OTLP_HEADERS: optionalString.refine((v) => v === undefined || parseOtlpHeaders(v) !== null, {
      message: 'expected name=value[,name=value…] (values percent-encoded), e.g. authorization=Bearer%20abc',
    }),
  })
  .superRefine((env, ctx) => {
    const oauth = [env.AMOCRM_CLIENT_ID, env.AMOCRM_CLIENT_SECRET, env.AMOCRM_REDIRECT_URI];
    const oauthSet = oauth.filter((v) => v !== undefined).length;
    if (oauthSet > 0 && oauthSet < 3) {
      ctx.addIssue({
        code: 'custom',
        path: ['AMOCRM_CLIENT_ID'],
        message: 'OAuth needs all three of AMOCRM_CLIENT_ID, AMOCRM_CLIENT_SECRET and AMOCRM_REDIRECT_URI',
      });
    }
    if (env.AMOCRM_BASE_URL && !env.AMOCRM_LONG_LIVED_TOKEN && oauthSet < 3) {
      ctx.addIssue({
        code: 'custom',
        path: ['AMOCRM_BASE_URL'],
        message: 'is set, but there is no way to authenticate: set AMOCRM_LONG_LIVED_TOKEN or the AMOCRM_CLIENT_ID/_SECRET/_REDIRECT_URI trio',
      });
    }
    if (!env.AMOCRM_BASE_URL && (env.AMOCRM_LONG_LIVED_TOKEN || oauthSet > 0)) {
      ctx.addIssue({
        code: 'custom',
        path: ['AMOCRM_BASE_URL'],
        message: 'is required when amoCRM credentials are set (calls would otherwise go to the sandbox CRM)',
      });
    }
    for (const [a, b] of [
      ['ZADARMA_API_KEY', 'ZADARMA_API_SECRET'],
      ['MANGO_API_KEY', 'MANGO_API_SALT'],
    ] as const) {
      if ((env[a] === undefined) !== (env[b] === undefined)) {
        ctx.addIssue({ code: 'custom', path: [env[a] ? b : a], message: `is required together with ${env[a] ? a : b}` });
      }
    }
    if (env.RECORDINGS_STORAGE === 's3') {
      for (const name of ['S3_ENDPOINT', 'S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const) {
        if (!env[name]) ctx.addIssue({ code: 'custom', path: [name], message: 'is required when RECORDINGS_STORAGE=s3' });
      }
    }
    if (env.CONFIG_FILE && env.CONFIG) {
      ctx.addIssue({ code: 'custom', path: ['CONFIG'], message: 'set CONFIG_FILE or CONFIG, not both' });
    }
  });

export type RawEnv = z.input<typeof envSchema>;

/** Everything the app needs from the environment, with defaults applied. */
export interface Settings {
  port: number;
  databaseUrl?: string;
  /** Connections this process opens to DATABASE_URL (account 1), at most; default 10. */
  databasePoolSize: number;
  /** Connections this process opens to each added account's schema, at most (closed when idle); default 2. */
  accountPoolSize: number;
  dataDir: string;
  publicUrl: string;
  adminToken?: string;
  /** Bearer token with the `lookup` scope (the PBX asks who calls); ADMIN_TOKEN has it too. */
  lookupToken?: string;
  /** Bearer token with the `originate` scope (click-to-call, the CRM widget); ADMIN_TOKEN has it too. */
  originateToken?: string;
  /** Bearer token with the `metrics` scope (GET /metrics, a Prometheus scraper); ADMIN_TOKEN has it too. */
  metricsToken?: string;
  /** Where traces go (OTLP over HTTP, OTEL_EXPORTER_OTLP_ENDPOINT and _HEADERS); unset: no tracing. */
  tracing?: { endpoint: string; headers: Record<string, string> };
  /** The application_token Bitrix24's outbound webhook carries: its ONEXTERNALCALLSTART clicks place calls. */
  bitrix24AppToken?: string;
  configFile?: string;
  /** Integrator config given inline (Workers: a JSON var). */
  configJson?: string;
  crm: CrmSettings;
  /** No CRM configured: calls go to the built-in sandbox CRM, unsigned generic events are allowed. */
  sandboxMode: boolean;
  settleSeconds: number;
  /** How long a delivery worker's claim on an account and its calls lasts without renewal. */
  deliveryLeaseSeconds: number;
  /** Where archived recordings go; undefined: the runtime's default (Node: local, Workers: the R2 binding). */
  recordingsStorage?: 'local' | 's3' | 'r2' | 'memory';
  /** An added account's keys in a shared bucket (S3, R2): `accounts/<slug>/`; its local files are in its own DATA_DIR. */
  recordingsPrefix?: string;
  s3?: { endpoint: string; bucket: string; region: string; accessKeyId: string; secretAccessKey: string; forcePathStyle: boolean };
  /** Keys that sign recording links, the first signs; none: a key generated once and kept in the database. */
  recordingLinkKeys: { kid: string; secret: string }[];
  /**
   * Keys that seal secrets stored in the database (OAuth tokens, the generated link key), the first
   * seals, all open (SECRETS_KEYS). None: nothing new is stored (the Node entry gives PGlite a key file).
   */
  secretsKeys: SealKey[];
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Asterisk's manager interface (ASTERISK_AMI_URL): the Node service follows its Cdr and CEL events. */
  asteriskAmi?: AmiAddress;
  /** FreeSWITCH's event socket (FREESWITCH_ESL, host:port:password): click-to-call on FreeSWITCH (Node). */
  freeswitchEsl?: string;
  secrets: {
    generic?: string;
    asterisk?: string;
    zadarma?: { key: string; secret: string };
    twilio?: string;
    mango?: { key: string; salt: string };
    yeastar?: string;
    freeswitch?: string;
  };
}

/**
 * Parse the environment. Unknown variables are ignored (the process environment is shared);
 * a known one that is malformed throws a ConfigError naming it and what is expected.
 */
export function parseEnv(source: Record<string, unknown>): Settings {
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = source[key];
    if (value !== undefined && value !== null) picked[key] = typeof value === 'string' ? value : String(value);
  }
  const result = envSchema.safeParse(picked);
  if (!result.success) throw new ConfigError('environment', describeIssues(result.error));
  const env = result.data;
  const port = env.PORT ?? 3000;
  const crm: CrmSettings = env.AMOCRM_BASE_URL
    ? {
        kind: 'amocrm',
        accountId: `amocrm:${new URL(env.AMOCRM_BASE_URL).host}`,
        baseUrl: env.AMOCRM_BASE_URL,
        ...(env.AMOCRM_LONG_LIVED_TOKEN ? { longLivedToken: env.AMOCRM_LONG_LIVED_TOKEN } : {}),
        ...(env.AMOCRM_CLIENT_ID && env.AMOCRM_CLIENT_SECRET && env.AMOCRM_REDIRECT_URI
          ? {
              oauth: {
                clientId: env.AMOCRM_CLIENT_ID,
                clientSecret: env.AMOCRM_CLIENT_SECRET,
                redirectUri: env.AMOCRM_REDIRECT_URI,
              },
            }
          : {}),
        rps: env.AMOCRM_RPS ?? 7,
      }
    : { kind: 'sandbox', accountId: 'sandbox', rps: env.AMOCRM_RPS ?? 7 };
  const pair = <T>(a: string | undefined, b: string | undefined, make: (a: string, b: string) => T) => (a && b ? make(a, b) : undefined);
  return {
    port,
    ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : {}),
    databasePoolSize: env.DATABASE_POOL_SIZE ?? 10,
    accountPoolSize: env.ACCOUNT_POOL_SIZE ?? 2,
    dataDir: env.DATA_DIR ?? './data',
    publicUrl: env.PUBLIC_URL ?? `http://localhost:${port}`,
    ...(env.ADMIN_TOKEN ? { adminToken: env.ADMIN_TOKEN } : {}),
    ...(env.LOOKUP_TOKEN ? { lookupToken: env.LOOKUP_TOKEN } : {}),
    ...(env.ORIGINATE_TOKEN ? { originateToken: env.ORIGINATE_TOKEN } : {}),
    ...observabilitySettings(env),
    ...(env.BITRIX24_APP_TOKEN ? { bitrix24AppToken: env.BITRIX24_APP_TOKEN } : {}),
    ...(env.CONFIG_FILE ? { configFile: env.CONFIG_FILE } : {}),
    ...(env.CONFIG ? { configJson: env.CONFIG } : {}),
    crm,
    sandboxMode: crm.kind === 'sandbox',
    settleSeconds: env.SETTLE_SECONDS ?? 30,
    deliveryLeaseSeconds: env.DELIVERY_LEASE_SECONDS ?? 120,
    ...(env.RECORDINGS_STORAGE ? { recordingsStorage: env.RECORDINGS_STORAGE } : {}),
    ...(env.S3_ENDPOINT && env.S3_BUCKET && env.S3_ACCESS_KEY_ID && env.S3_SECRET_ACCESS_KEY
      ? {
          s3: {
            endpoint: env.S3_ENDPOINT,
            bucket: env.S3_BUCKET,
            region: env.S3_REGION ?? 'auto',
            accessKeyId: env.S3_ACCESS_KEY_ID,
            secretAccessKey: env.S3_SECRET_ACCESS_KEY,
            forcePathStyle: env.S3_FORCE_PATH_STYLE !== 'false',
          },
        }
      : {}),
    recordingLinkKeys: (env.RECORDING_LINK_KEYS ?? '')
      .split(',')
      .map((pair) => pair.trim())
      .filter(Boolean)
      .map((pair) => ({ kid: pair.slice(0, pair.indexOf(':')), secret: pair.slice(pair.indexOf(':') + 1) })),
    secretsKeys: env.SECRETS_KEYS ?? [],
    logLevel: env.LOG_LEVEL ?? 'info',
    ...(env.ASTERISK_AMI_URL ? { asteriskAmi: env.ASTERISK_AMI_URL } : {}),
    ...(env.FREESWITCH_ESL ? { freeswitchEsl: env.FREESWITCH_ESL } : {}),
    secrets: dropUndefined({
      generic: env.GENERIC_WEBHOOK_SECRET,
      asterisk: env.ASTERISK_WEBHOOK_SECRET,
      zadarma: pair(env.ZADARMA_API_KEY, env.ZADARMA_API_SECRET, (key, secret) => ({ key, secret })),
      twilio: env.TWILIO_AUTH_TOKEN,
      mango: pair(env.MANGO_API_KEY, env.MANGO_API_SALT, (key, salt) => ({ key, salt })),
      yeastar: env.YEASTAR_WEBHOOK_SECRET,
      freeswitch: env.FREESWITCH_BASIC_AUTH,
    }),
  };
}

/** GET /metrics's own token, and where traces go. */
function observabilitySettings(env: z.output<typeof envSchema>): Pick<Settings, 'metricsToken' | 'tracing'> {
  return {
    ...(env.METRICS_TOKEN ? { metricsToken: env.METRICS_TOKEN } : {}),
    ...(env.OTEL_EXPORTER_OTLP_ENDPOINT
      ? { tracing: { endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT, headers: parseOtlpHeaders(env.OTEL_EXPORTER_OTLP_HEADERS ?? '') ?? {} } }
      : {}),
  };
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
