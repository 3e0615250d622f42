/**
 * Fetches a recording from where a webhook said it is, without letting the webhook aim calltrail
 * at its own network (SSRF). Every URL — the first and each redirect target — must pass the
 * policy (http(s), no credentials, an allowed host, no refused IP literal) before it is
 * requested; redirects are followed by hand, up to the policy's limit; one timeout covers the
 * whole transfer; the body is counted as it arrives and dropped past maxBytes. The runtime's
 * fetch (FetchFor) checks the addresses a name resolves to, where it can. Never throws: every
 * failure is an outcome, retryable or not, with a reason an admin can act on.
 * @module
 */
import { urlRefusal } from './host-policy';
import { AddressRefusedError } from './ip-policy';
import type { FetchFor, FetchOutcome, FetchPolicy } from './port';
import { readLimited } from './read-limited';

export interface SafeFetchOptions {
  /** Sent to the first host (a PBX's API token); dropped on a redirect to another origin. */
  headers?: Record<string, string>;
  /** Cancels the fetch from outside (shutdown). */
  signal?: AbortSignal;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Statuses worth another try later: the server is busy or broken, not saying "no". */
const RETRYABLE = (status: number) => status >= 500 || status === 429 || status === 408;

export async function safeFetch(url: string, policy: FetchPolicy, fetchFor: FetchFor, options: SafeFetchOptions = {}): Promise<FetchOutcome> {
  let current: URL;
  try {
    current = new URL(url);
  } catch {
    return refused('not a valid URL');
  }
  const timeout = AbortSignal.timeout(policy.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  let headers = options.headers ?? {};
  const origin = current.origin;

  try {
    const fetchImpl = fetchFor(policy);
    for (let redirects = 0; ; redirects += 1) {
      const refusal = urlRefusal(current, policy);
      if (refusal) return refused(redirects === 0 ? refusal : `redirected: ${refusal}`);
      const response = await fetchImpl(current.href, { redirect: 'manual', signal, headers });

      if (REDIRECTS.has(response.status)) {
        discard(response);
        const location = response.headers.get('location');
        if (redirects >= policy.maxRedirects) return refused(`more than ${policy.maxRedirects} redirects (last from ${current.host})`);
        const next = location === null ? null : URL.parse(location, current);
        if (!next) return refused(`${current.host} answered ${response.status} without a usable Location`);
        // Whatever authenticated us to the PBX is not for another origin's eyes.
        if (next.origin !== origin) headers = {};
        current = next;
        continue;
      }
      if (response.status < 200 || response.status > 299) {
        discard(response);
        const text = `${current.host} answered ${response.status}${response.statusText ? ` ${response.statusText.slice(0, 80)}` : ''}`;
        return { ok: false, reason: text, retryable: RETRYABLE(response.status) };
      }
      const declared = Number(response.headers.get('content-length') ?? 'NaN');
      if (declared > policy.maxBytes) {
        discard(response);
        return refused(tooLarge(policy.maxBytes, `${current.host} announced ${declared} bytes`));
      }
      const bytes = await readLimited(response.body, policy.maxBytes);
      if (!bytes) return refused(tooLarge(policy.maxBytes, `${current.host} sent more`));
      return { ok: true, bytes, contentType: response.headers.get('content-type'), finalUrl: current.href };
    }
  } catch (error) {
    return failure(error, timeout, policy, current);
  }
}

function refused(reason: string): FetchOutcome {
  return { ok: false, reason, retryable: false };
}

function tooLarge(maxBytes: number, what: string): string {
  return `the recording is larger than the limit of ${maxBytes} bytes (recordings.max_mb): ${what}`;
}

/** Frees the connection of an answer we will not read; a failure to do so changes nothing. */
function discard(response: Response): void {
  response.body?.cancel().catch(() => undefined);
}

/** A thrown fetch: our own address refusal, the timeout, or the network — told apart. */
function failure(error: unknown, timeout: AbortSignal, policy: FetchPolicy, url: URL): FetchOutcome {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth += 1) {
    // Its message names the host already.
    if (e instanceof AddressRefusedError || e.name === 'AddressRefusedError') return refused(e.message);
  }
  if (timeout.aborted) return { ok: false, reason: `${url.host} did not send the recording within ${policy.timeoutMs / 1000} s`, retryable: true };
  if (error instanceof Error && error.name === 'AbortError') return { ok: false, reason: `fetching from ${url.host} was cancelled`, retryable: true };
  return { ok: false, reason: `could not fetch from ${url.host}: ${networkDetail(error)}`, retryable: true };
}

/** fetch's "fetch failed" says nothing; its cause (ECONNREFUSED, ENOTFOUND, a TLS error) does. */
function networkDetail(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e instanceof Error && parts.length < 3; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    parts.push(typeof code === 'string' && !e.message.includes(code) ? `${e.message} (${code})` : e.message);
  }
  // Error texts name hosts and ports, not URLs; cut anything that looks like userinfo all the same.
  return (parts.join(': ') || String(error)).replace(/\/\/[^/@\s]*@/g, '//');
}
