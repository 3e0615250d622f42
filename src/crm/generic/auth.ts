/**
 * Credentials of a generic CRM: a bearer token, basic auth, a header of its own, or OAuth 2.0
 * client credentials (a token fetched from token_url, kept until it expires, fetched anew once
 * after a 401). Secrets are literal, or `{env: NAME}` looked up in what the runtime entry hands
 * over (Node: the process environment; Workers: the bindings) — this module never reads either.
 * Secret values never reach a log line: errors name the variable, not its value.
 * @module
 */
import * as z from 'zod';
import { CrmError } from '../port';
import type { Credentials } from '../transport';
import type { GenericAuth, Secret } from './config';

/** Values of the environment variables the config names (`{env: NAME}`). */
export type SecretLookup = (name: string) => string | undefined;

export function resolveSecret(secret: Secret, lookup: SecretLookup): string {
  if (typeof secret === 'string') return secret;
  const value = lookup(secret.env);
  if (value === undefined || value === '') {
    throw new CrmError({ kind: 'unauthorized', detail: `the environment variable ${secret.env} named in crm.generic.auth is not set` });
  }
  return value;
}

export interface AuthDeps {
  lookup: SecretLookup;
  fetch: typeof fetch;
  now: () => number;
  timeoutMs: number;
}

/** The credentials `crm.generic.auth` describes, as the CRM transport uses them. */
export function authProvider(auth: GenericAuth, deps: AuthDeps): Credentials {
  const fixed = (make: () => Record<string, string>): Credentials => ({ headers: async () => make(), renew: async () => false });
  switch (auth.type) {
    case 'none':
      return fixed(() => ({}));
    case 'bearer':
      return fixed(() => ({ authorization: `Bearer ${resolveSecret(auth.token, deps.lookup)}` }));
    case 'basic':
      return fixed(() => ({ authorization: `Basic ${base64(`${resolveSecret(auth.username, deps.lookup)}:${resolveSecret(auth.password, deps.lookup)}`)}` }));
    case 'header':
      return fixed(() => ({ [auth.name.toLowerCase()]: resolveSecret(auth.value, deps.lookup) }));
    case 'oauth2_client_credentials':
      return new ClientCredentials(auth, deps);
  }
}

const TokenAnswer = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().positive().optional(),
});

/** Renew this long before the token's stated expiry (clock skew, a slow request). */
const EXPIRY_MARGIN_MS = 30_000;
/** When the token endpoint does not say how long a token lives. */
const DEFAULT_LIFETIME_MS = 5 * 60_000;

export class ClientCredentials implements Credentials {
  private cached: { token: string; expiresAt: number } | null = null;
  /** One fetch at a time: concurrent requests share it. */
  private pending: Promise<string> | null = null;

  constructor(
    private readonly auth: Extract<GenericAuth, { type: 'oauth2_client_credentials' }>,
    private readonly deps: AuthDeps,
  ) {}

  /** Token requests made so far (tests, the preview). */
  fetched = 0;

  async headers(): Promise<Record<string, string>> {
    const valid = this.cached && this.cached.expiresAt > this.deps.now() ? this.cached.token : null;
    return { authorization: `Bearer ${valid ?? (await this.fetchToken())}` };
  }

  async renew(): Promise<boolean> {
    this.cached = null;
    await this.fetchToken();
    return true;
  }

  private fetchToken(): Promise<string> {
    this.pending ??= this.requestToken().finally(() => (this.pending = null));
    return this.pending;
  }

  private async requestToken(): Promise<string> {
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: resolveSecret(this.auth.client_id, this.deps.lookup),
      client_secret: resolveSecret(this.auth.client_secret, this.deps.lookup),
      ...(this.auth.scope ? { scope: this.auth.scope } : {}),
    });
    this.fetched++;
    let response: Response;
    try {
      response = await this.deps.fetch(this.auth.token_url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        signal: AbortSignal.timeout(this.deps.timeoutMs),
      });
    } catch (error) {
      throw new CrmError({ kind: 'unavailable', sent: false, status: null, detail: `token endpoint unreachable: ${(error as Error).message}` });
    }
    if (response.status >= 500 || response.status === 429) {
      throw new CrmError({ kind: 'unavailable', sent: false, status: response.status, detail: `token endpoint answered HTTP ${response.status}` });
    }
    const parsed = TokenAnswer.safeParse(await response.json().catch(() => null));
    if (!response.ok || !parsed.success) {
      throw new CrmError({ kind: 'unauthorized', detail: `the token endpoint refused the client credentials (HTTP ${response.status})` });
    }
    const lifetime = parsed.data.expires_in ? parsed.data.expires_in * 1000 : DEFAULT_LIFETIME_MS;
    this.cached = { token: parsed.data.access_token, expiresAt: this.deps.now() + Math.max(0, lifetime - EXPIRY_MARGIN_MS) };
    return parsed.data.access_token;
  }
}

function base64(text: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)));
}
