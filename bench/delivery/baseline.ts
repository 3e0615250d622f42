/**
 * The ceiling on this machine: a bare client that POSTs the calls to /api/v4/calls in full
 * batches, one request in flight, each start 1000/rps ms after the previous one (or right after
 * its answer, if that came later). No database, no retries beyond resending a batch that got a 429.
 *
 * One guard on top of the even spacing: a request never starts less than 1000 + WINDOW_GUARD_MS
 * after the one `rps` requests before it. The CRM's limit is a sliding one-second window stamped
 * on arrival, so with exactly 1000/rps spacing the (rps+1)-th request lands exactly 1000 ms after
 * the first, and a few ms of arrival jitter turn it into a 429 — five of those within a minute
 * and the sandbox, like amoCRM, blocks the account (measured here: blocked after 37–55 requests
 * with no guard; 1–2 × 429 per 100 requests with 1–5 ms; none with 10 ms over 2 × 200 requests).
 * The guard costs 1 % (≈ 6.93 of 7 requests/s).
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { amoCallItem, type PlannedCall } from './workload';

export const WINDOW_GUARD_MS = 10;

export interface BaselineRun {
  seconds: number;
  requests: number;
  /** 429 answers (each batch resent in the next slot). */
  rateLimited: number;
  /** The account was blocked (403): the run stopped there. */
  blocked: boolean;
  /** Any other non-2xx answer: the batch was given up (the CRM check then fails). */
  errors: string[];
}

export async function runBaseline(options: { url: string; token: string; rps: number; batch: number; calls: PlannedCall[] }): Promise<BaselineRun> {
  const { url, token, rps, batch, calls } = options;
  const batches: ReturnType<typeof amoCallItem>[][] = [];
  for (let i = 0; i < calls.length; i += batch) batches.push(calls.slice(i, i + batch).map((c, j) => amoCallItem(c, i + j)));
  const interval = 1000 / rps;
  const run: BaselineRun = { seconds: 0, requests: 0, rateLimited: 0, blocked: false, errors: [] };
  const starts: number[] = [];
  for (let i = 0; i < batches.length; ) {
    const even = (starts.at(-1) ?? -Infinity) + interval;
    const window = (starts.at(-rps) ?? -Infinity) + 1000 + WINDOW_GUARD_MS;
    const wait = Math.max(even, window) - performance.now();
    if (wait > 0) await sleep(wait);
    starts.push(performance.now());
    run.requests++;
    const response = await fetch(`${url}/api/v4/calls`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(batches[i]),
    });
    const text = await response.text();
    if (response.status === 429) {
      run.rateLimited++;
      continue; // the same batch in the next slot
    }
    if (response.status === 403) {
      run.blocked = true;
      run.errors.push(`batch ${i}: 403, the account is blocked; ${batches.length - i} batches not sent`);
      break;
    }
    if (!response.ok) run.errors.push(`batch ${i}: ${response.status} ${text.slice(0, 200)}`);
    i++;
  }
  run.seconds = (performance.now() - (starts[0] ?? 0)) / 1000;
  return run;
}
