/**
 * The generic adapter assembled from the config and the connection's dependencies: the account's
 * rate limiter (requests / per_seconds), the credentials with their secrets, the HTTP layer.
 * @module
 */
import type { IntegratorConfig } from '../../config/integrator';
import type { Logger } from '../../lib/log';
import type { RateLimiter } from '../limiter';
import { GenericCrmAdapter } from './adapter';
import { authProvider } from './auth';
import type { GenericCrmConfig } from './config';
import { GenericHttp } from './http';

export interface GenericDeps {
  config: IntegratorConfig;
  limiter: RateLimiter;
  log: Logger;
  /** The values of the environment variables the config names (settings.crm.secrets). */
  secrets: Record<string, string>;
  fetch?: typeof fetch;
  /** Reads a recording for a multipart upload; default: the same fetch. */
  fetchRecording?: (url: string) => Promise<Response>;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export function genericAdapter(generic: GenericCrmConfig, deps: GenericDeps): GenericCrmAdapter {
  const fetcher = deps.fetch ?? ((input, init) => fetch(input, init));
  const timeoutMs = generic.timeout_seconds * 1000;
  const auth = authProvider(generic.auth, {
    lookup: (name) => deps.secrets[name],
    fetch: fetcher,
    now: deps.now ?? (() => Date.now()),
    timeoutMs,
  });
  const http = new GenericHttp({
    limiter: deps.limiter,
    auth,
    fetch: fetcher,
    headers: generic.headers,
    retryStatuses: generic.retry_statuses,
    timeoutMs,
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
  });
  return new GenericCrmAdapter({
    config: generic,
    http,
    defaultCountry: deps.config.default_country,
    timeZone: deps.config.time_zone,
    log: deps.log,
    fetchRecording: deps.fetchRecording ?? ((url) => fetcher(url)),
  });
}
