/**
 * Builds the CRM port for the configured account: amoCRM over HTTPS with its token, the generic
 * REST adapter described by the config's crm.generic, or — when no CRM is configured (sandbox
 * mode) — the amoCRM adapter talking to the in-process sandbox CRM through its fetch, so a
 * newcomer's calls take exactly the production path.
 * @module
 */
import type { Settings } from '../config/env';
import type { IntegratorConfig } from '../config/integrator';
import type { Db } from '../db/client';
import type { Logger } from '../lib/log';
import { AmoCrmAdapter } from './amocrm/adapter';
import { createBitrix24Adapter } from './bitrix24/adapter';
import { LongLivedToken, OAuthTokens } from './amocrm/auth';
import { AmoHttp, type TokenProvider } from './amocrm/http';
import { genericAdapter } from './generic/connect';
import { RateLimiter } from './limiter';
import type { CrmPort } from './port';

/** The token the in-process sandbox CRM accepts. */
export const SANDBOX_TOKEN = 'calltrail-sandbox-long-lived-token';
/** Never resolved: requests to it go to the sandbox's fetch. */
export const SANDBOX_BASE_URL = 'http://sandbox-crm.calltrail.invalid';

export interface CrmConnection {
  accountId: string;
  port: CrmPort;
  limiter: RateLimiter;
}

export interface ConnectDeps {
  settings: Settings;
  config: IntegratorConfig;
  db: Db;
  log: Logger;
  now: () => Date;
  /** The sandbox CRM's fetch (sandbox mode). */
  sandboxFetch?: (request: Request) => Promise<Response>;
  /** Limiters outlive a connection (Workers builds one per request); keyed by account id. */
  limiters: Map<string, RateLimiter>;
  /** Replaces the global fetch for amoCRM (tests). */
  fetch?: typeof fetch;
  /** How long to wait for amoCRM's answer (default 20 s). */
  timeoutMs?: number;
}

/** null in sandbox mode without a sandbox: deliveries then wait in the outbox. */
export function connectCrm(deps: ConnectDeps): CrmConnection | null {
  const { settings } = deps;
  const crm = settings.crm;
  let limiter = deps.limiters.get(crm.accountId);
  if (!limiter) deps.limiters.set(crm.accountId, (limiter = new RateLimiter({ rps: crm.rps })));
  const bitrix24 = deps.config.crm.bitrix24;
  if (crm.kind === 'bitrix24' && bitrix24) {
    const secrets = crm.secrets ?? {};
    const port = createBitrix24Adapter({ config: bitrix24, env: (name) => secrets[name], fetch: deps.fetch ?? ((input, init) => fetch(input, init)), limiter });
    return { accountId: crm.accountId, port, limiter };
  }
  const generic = deps.config.crm.generic;
  if (crm.kind === 'generic' && generic) {
    const port = genericAdapter(generic, { config: deps.config, limiter, log: deps.log, secrets: crm.secrets ?? {}, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
    return { accountId: crm.accountId, port, limiter };
  }
  let baseUrl: string;
  let tokens: TokenProvider;
  let fetcher: typeof fetch | undefined = deps.fetch;
  if (crm.kind === 'sandbox') {
    if (!deps.sandboxFetch) return null;
    const sandboxFetch = deps.sandboxFetch;
    baseUrl = SANDBOX_BASE_URL;
    tokens = new LongLivedToken(SANDBOX_TOKEN);
    fetcher = ((input: RequestInfo | URL, init?: RequestInit) => sandboxFetch(new Request(input, init))) as typeof fetch;
  } else {
    baseUrl = crm.baseUrl as string;
    tokens = crm.longLivedToken
      ? new LongLivedToken(crm.longLivedToken)
      : new OAuthTokens({
          db: deps.db,
          account: { id: crm.accountId, kind: crm.kind, baseUrl },
          client: crm.oauth as NonNullable<typeof crm.oauth>,
          log: deps.log,
          now: deps.now,
          ...(fetcher ? { fetch: fetcher } : {}),
        });
  }
  const http = new AmoHttp({ baseUrl, limiter, tokens, log: deps.log, ...(fetcher ? { fetch: fetcher } : {}), ...(deps.timeoutMs ? { timeoutMs: deps.timeoutMs } : {}) });
  const port = new AmoCrmAdapter(http, {
    source: deps.config.crm.source,
    unsorted: { pipelineId: deps.config.crm.unsorted.pipeline_id, serviceCode: deps.config.crm.unsorted.service_code },
    taskTypeId: deps.config.missed_call_tasks.task_type,
    batchSize: deps.config.crm.batch_size,
  });
  return { accountId: crm.accountId, port, limiter };
}
