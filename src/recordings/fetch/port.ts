/**
 * Fetching a recording from the PBX without letting a webhook point calltrail at the inside of
 * its own network (SSRF): which hosts, which addresses, how many redirects, how big, how long.
 * @module
 */
export interface FetchPolicy {
  /**
   * Hosts recordings may come from: exact names ("pbx.example.com") or "*.example.com" for any
   * subdomain. An IP literal must be listed as is. Empty: nothing may be fetched.
   */
  allowedHosts: readonly string[];
  /** Allow private, loopback and link-local addresses (a PBX on the LAN of a Node deployment). */
  allowPrivate: boolean;
  maxBytes: number;
  timeoutMs: number;
  /** Redirects are followed only to an allowed host, at most this many. */
  maxRedirects: number;
}

export type FetchOutcome =
  | { ok: true; bytes: Uint8Array; contentType: string | null; finalUrl: string }
  /**
   * retryable: a timeout, 5xx or network error; not: refused by the policy, 4xx, too large.
   * status: the HTTP status the server answered, when it answered; body: the start of its answer
   * (a vendor API explains a refusal there).
   */
  | { ok: false; reason: string; retryable: boolean; status?: number; body?: string };

/**
 * The runtime's way to check where a host name points before connecting (Node resolves and
 * pins the addresses; workerd cannot, and its fetch does not reach private networks anyway).
 */
export type FetchFor = (policy: FetchPolicy) => typeof fetch;
