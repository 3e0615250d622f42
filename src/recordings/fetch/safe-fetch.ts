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
  /**
   * A vendor API that hands the file out in answer to a POST (Mango's recording/post, Yeastar's
   * login): the body goes to the first URL only; a 301/302/303 that follows is a GET, as browsers do.
   */
  method?: 'GET' | 'POST';
  body?: string;
  /** A failure also carries the HTTP status and the start of the answer (a vendor API's refusal). */
  explain?: boolean;
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
  let method = options.method ?? 'GET';
  let body = method === 'POST' ? options.body : undefined;
  const origin = current.origin;

  try {
    const fetchImpl = fetchFor(policy);
    for (let redirects = 0; ; redirects += 1) {
      const refusal = urlRefusal(current, policy);
      if (refusal) return refused(redirects === 0 ? refusal : `redirected: ${refusal}`);
      const response = await fetchImpl(current.href, { method, redirect: 'manual', signal, headers, ...(body === undefined ? {} : { body }) });

      if (REDIRECTS.has(response.status)) {
        discard(response);
        const location = response.headers.get('location');
        if (redirects >= policy.maxRedirects) return refused(`more than ${policy.maxRedirects} redirects (last from ${current.host})`);
        const next = location === null ? null : URL.parse(location, current);
        if (!next) return refused(`${current.host} answered ${response.status} without a usable Location`);
        // Whatever authenticated us to the PBX is not for another origin's eyes.
        if (next.origin !== origin) headers = {};
        // 307/308 repeat the request as it was; the others turn it into a GET without a body.
        if (response.status !== 307 && response.status !== 308) {
          method = 'GET';
          body = undefined;
          headers = withoutContentType(headers);
        }
        current = next;
        continue;
      }
      if (response.status < 200 || response.status > 299) {
        const text = `${current.host} answered ${response.status}${response.statusText ? ` ${response.statusText.slice(0, 80)}` : ''}`;
        const outcome = { ok: false as const, reason: text, retryable: RETRYABLE(response.status) };
        if (!options.explain) {
          discard(response);
          return outcome;
        }
        return { ...outcome, status: response.status, body: await answerStart(response) };
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

function withoutContentType(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'content-type'));
}

function refused(reason: string): FetchOutcome {
  return { ok: false, reason, retryable: false };
}

function tooLarge(maxBytes: number, what: string): string {
  return `the recording is larger than the limit of ${maxBytes} bytes (recordings.max_mb): ${what}`;
}

/** The first bytes of an error answer as text (at most 1 KB), the rest not read. */
async function answerStart(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    while (total < ERROR_BODY_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      total += value.byteLength;
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
  const bytes = new Uint8Array(Math.min(total, ERROR_BODY_BYTES));
  let at = 0;
  for (const part of parts) {
    if (at >= bytes.length) break;
    const take = part.subarray(0, bytes.length - at);
    bytes.set(take, at);
    at += take.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

const ERROR_BODY_BYTES = 1024;

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
