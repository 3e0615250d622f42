/**
 * Builds the CRM port for the configured account: amoCRM over HTTPS with its token, the generic
 * REST adapter described by the config's crm.generic, Bitrix24 through its webhook, or — when no
 * CRM is configured (sandbox mode) — the amoCRM adapter talking to the in-process sandbox CRM
 * through its fetch, so a newcomer's calls take exactly the production path.
 *
 * The one place that knows every vendor, so it sits in a folder of its own: the vendors'
 * folders import the CRM side's shared modules (port, transport, limiter), never the other way.
 * @module
 */
import type { CountryCode } from 'libphonenumber-js/max';
import type { Db } from '../../db/client';
import type { Logger } from '../../lib/log';
import { LongLivedToken, OAuthTokens, type RefreshLock } from '../amocrm/auth';
import type { SealKey } from '../../lib/seal';
import { amoCrmAdapter } from '../amocrm/connect';
import { createBitrix24Adapter } from '../bitrix24/adapter';
import type { CrmConfig } from '../config';
import { genericAdapter } from '../generic/connect';
import { type Budget, RateLimiter } from '../limiter';
import { SharedBudget, type SlotStore } from '../shared-budget';
import type { CrmPort } from '../port';
import type { CrmSettings } from '../settings';
import type { TokenProvider } from '../transport';

/** The token the in-process sandbox CRM accepts. */
export const SANDBOX_TOKEN = 'calltrail-sandbox-long-lived-token';
/**
 * What the in-process sandbox CRM signs its widget's one-time tokens with: sandbox mode's stand-in
 * for an amoCRM integration's secret key (POST /v1/auth/amocrm). Written in the source like
 * SANDBOX_TOKEN, so a token signed with it proves nothing: calltrail takes it in pure local mode only.
 */
export const SANDBOX_WIDGET_SECRET = 'calltrail-sandbox-widget-secret';
/** Never resolved: requests to it go to the sandbox's fetch. */
export const SANDBOX_BASE_URL = 'http://sandbox-crm.calltrail.invalid';

export interface CrmConnection {
  accountId: string;
  port: CrmPort;
  limiter: Budget;
}

/** What the CRM side takes from the integrator config: its own section and a few shared values. */
export interface CrmConnectConfig {
  crm: CrmConfig;
  /** For national phone formats (generic CRM). */
  default_country: CountryCode;
  /** For dates in request templates (generic CRM). */
  time_zone: string;
  missed_call_tasks: { task_type: number };
}

export interface ConnectDeps {
  /** secretsKeys: SECRETS_KEYS, which seal the OAuth tokens stored in crm_accounts. */
  settings: { crm: CrmSettings; secretsKeys: readonly SealKey[] };
  config: CrmConnectConfig;
  db: Db;
  log: Logger;
  now: () => Date;
  /** The sandbox CRM's fetch (sandbox mode). */
  sandboxFetch?: (request: Request) => Promise<Response>;
  /** Limiters outlive a connection (Workers builds one per request); keyed by account id. */
  limiters: Map<string, Budget>;
  /** Where the account's budget is shared with the other processes (PostgreSQL); absent: this process's alone. */
  slotStore?: SlotStore;
  /** Serializes amoCRM's OAuth refresh beyond the row lock (Workers: the account's Durable Object). */
  refreshLock?: RefreshLock;
  /** Replaces the global fetch for the CRM (tests). */
  fetch?: typeof fetch;
  /** How long to wait for amoCRM's answer (default 20 s). */
  timeoutMs?: number;
}

/** null in sandbox mode without a sandbox: deliveries then wait in the outbox. */
export function connectCrm(deps: ConnectDeps): CrmConnection | null {
  const crm = deps.settings.crm;
  let limiter = deps.limiters.get(crm.accountId);
  if (!limiter) {
    limiter = deps.slotStore
      ? new SharedBudget({ account: crm.accountId, rps: crm.rps, store: deps.slotStore, log: deps.log })
      : new RateLimiter({ rps: crm.rps });
    deps.limiters.set(crm.accountId, limiter);
  }
  const port = configuredPort(deps, limiter);
  return port ? { accountId: crm.accountId, port, limiter } : null;
}

function configuredPort(deps: ConnectDeps, limiter: Budget): CrmPort | null {
  const crm = deps.settings.crm;
  const { bitrix24, generic } = deps.config.crm;
  const secrets = crm.secrets ?? {};
  if (crm.kind === 'bitrix24' && bitrix24) {
    return createBitrix24Adapter({ config: bitrix24, env: (name) => secrets[name], fetch: deps.fetch ?? ((input, init) => fetch(input, init)), limiter });
  }
  if (crm.kind === 'generic' && generic) {
    return genericAdapter(generic, { config: deps.config, limiter, log: deps.log, secrets, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
  }
  const amo = amoConnection(deps);
  if (!amo) return null;
  return amoCrmAdapter(deps.config, { ...amo, limiter, ...(deps.timeoutMs ? { timeoutMs: deps.timeoutMs } : {}) });
}

/** amoCRM's URL, tokens and fetch: the live account, or the sandbox CRM in process (null without it). */
function amoConnection(deps: ConnectDeps): { baseUrl: string; tokens: TokenProvider; fetch?: typeof fetch } | null {
  const crm = deps.settings.crm;
  if (crm.kind === 'sandbox') {
    const sandboxFetch = deps.sandboxFetch;
    if (!sandboxFetch) return null;
    const fetcher = ((input: RequestInfo | URL, init?: RequestInit) => sandboxFetch(new Request(input, init))) as typeof fetch;
    return { baseUrl: SANDBOX_BASE_URL, tokens: new LongLivedToken(SANDBOX_TOKEN), fetch: fetcher };
  }
  const baseUrl = crm.baseUrl as string;
  const tokens = crm.longLivedToken
    ? new LongLivedToken(crm.longLivedToken)
    : new OAuthTokens({
        // Read at each refresh: on Workers the client belongs to the request being served.
        get db() {
          return deps.db;
        },
        account: { id: crm.accountId, kind: crm.kind, baseUrl },
        client: crm.oauth as NonNullable<typeof crm.oauth>,
        log: deps.log,
        now: deps.now,
        keys: deps.settings.secretsKeys,
        ...(deps.fetch ? { fetch: deps.fetch } : {}),
        ...(deps.refreshLock ? { refreshLock: deps.refreshLock } : {}),
      });
  return { baseUrl, tokens, ...(deps.fetch ? { fetch: deps.fetch } : {}) };
}
