/**
 * What a generic CRM's answers mean, as data for the CRM transport — built from its config
 * (`crm.generic`), since only the integrator knows the CRM: 429 is the rate limit (Retry-After
 * honoured), 401 refused credentials (renewed once where they can be), 402/403 a block, a status in
 * `retry_statuses` (5xx by default) a failure to retry later — the CRM may have acted on a write,
 * so it is looked up before it is sent again —, and any other status a refusal: resending will
 * not help. Every detail names the status and quotes the start of the body.
 * @module
 */
import { snippet, type VendorTable } from '../answers';
import type { GenericCrmConfig } from './config';

export function genericTable(config: Pick<GenericCrmConfig, 'headers' | 'retry_statuses'>): VendorTable {
  return {
    headers: config.headers,
    // 429 is a rate limit even when retry_statuses lists it: the kinds are tried in order.
    statuses: { rate_limited: [429], blocked: [402, 403], unauthorized: [401], unavailable: config.retry_statuses },
    waitHeader: 'retry-after',
    quote: (text) => snippet(text, 300),
    statusInDetail: ['rate_limited', 'blocked', 'unauthorized', 'too_large', 'unavailable', 'rejected'],
  };
}
