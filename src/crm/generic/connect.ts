/**
 * The generic adapter assembled from the config and the connection's dependencies: the account's
 * rate limiter (requests / per_seconds), the credentials with their secrets, and the CRM
 * transport reading answers by the table the config describes.
 * @module
 */
import type { CountryCode } from 'libphonenumber-js/max';
import type { Logger } from '../../lib/log';
import type { Budget } from '../limiter';
import { CrmTransport } from '../transport';
import { GenericCrmAdapter } from './adapter';
import { authProvider } from './auth';
import type { GenericCrmConfig } from './config';
import { genericTable } from './table';

export interface GenericDeps {
  /** What the adapter takes from the rest of the integrator config. */
  config: { default_country: CountryCode; time_zone: string };
  limiter: Budget;
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
  const credentials = authProvider(generic.auth, {
    lookup: (name) => deps.secrets[name],
    fetch: fetcher,
    now: deps.now ?? (() => Date.now()),
    timeoutMs,
  });
  const transport = new CrmTransport({
    vendor: genericTable(generic),
    limiter: deps.limiter,
    credentials,
    fetch: fetcher,
    timeoutMs,
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
  });
  return new GenericCrmAdapter({
    config: generic,
    transport,
    defaultCountry: deps.config.default_country,
    timeZone: deps.config.time_zone,
    log: deps.log,
    fetchRecording: deps.fetchRecording ?? ((url) => fetcher(url)),
  });
}
