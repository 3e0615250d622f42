/**
 * The webhooks of the scale bench: every account's calls as signed generic `call.ended` bodies,
 * interleaved across accounts (call 0 of every account, then call 1 …), sent round-robin to the
 * processes with a fixed number in flight — the same offered load whatever the number of
 * processes. Each answer must be a 2xx saying "processed" (stored and applied).
 * @module
 */
import { createHmac } from 'node:crypto';
import { callEndedBody, type PlannedCall } from '../delivery/workload';

export interface Target {
  /** Index of the account. */
  account: number;
  slug: string;
  secret: string;
  call: PlannedCall;
}

export interface AccountLoad {
  /** performance.now() when its first webhook was sent. */
  firstSentAt: number;
  lastAckAt: number;
  acknowledged: number;
}

export interface LoadResult {
  startedAt: number;
  endedAt: number;
  sent: number;
  acknowledged: number;
  /** "<status> <body>" of the first few answers that were not "processed". */
  failures: string[];
  failed: number;
  perAccount: AccountLoad[];
  latencyMs: { p50: number; p99: number; max: number };
}

/** Same scheme as src/pbx/generic/signature.ts, synchronous and cheap for the load generator. */
function signature(secret: string, body: string): string {
  const t = Math.floor(Date.now() / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

/** call j of every account, then call j+1: each account's calls are spread over the whole run. */
export function interleave(perAccount: Target[][]): Target[] {
  const order: Target[] = [];
  const longest = Math.max(0, ...perAccount.map((calls) => calls.length));
  for (let j = 0; j < longest; j++) {
    for (const calls of perAccount) {
      const target = calls[j];
      if (target) order.push(target);
    }
  }
  return order;
}

export async function sendAll(processUrls: string[], order: Target[], concurrency: number, accounts: number): Promise<LoadResult> {
  const perAccount: AccountLoad[] = Array.from({ length: accounts }, () => ({ firstSentAt: Number.NaN, lastAckAt: Number.NaN, acknowledged: 0 }));
  const failures: string[] = [];
  const latencies: number[] = [];
  let failed = 0;
  let next = 0;
  const startedAt = performance.now();
  const worker = async () => {
    while (next < order.length) {
      const i = next++;
      const target = order[i] as Target;
      const body = callEndedBody(target.call);
      const url = `${processUrls[i % processUrls.length]}/a/${target.slug}/v1/pbx/generic/events`;
      const load = perAccount[target.account] as AccountLoad;
      const sentAt = performance.now();
      if (Number.isNaN(load.firstSentAt)) load.firstSentAt = sentAt;
      let answer: string;
      let ok = false;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-calltrail-signature': signature(target.secret, body) },
          body,
        });
        const text = await response.text();
        ok = response.ok && text.includes('"status":"processed"');
        answer = `${response.status} ${text.slice(0, 200)}`;
      } catch (error) {
        answer = `network: ${(error as Error).message}`;
      }
      const at = performance.now();
      if (ok) {
        latencies.push(at - sentAt);
        load.acknowledged++;
        load.lastAckAt = at;
      } else {
        failed++;
        if (failures.length < 3) failures.push(`${target.slug}/${target.call.callId}: ${answer}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, order.length) }, worker));
  const endedAt = performance.now();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => (latencies.length ? (latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)] as number) : Number.NaN);
  return {
    startedAt,
    endedAt,
    sent: order.length,
    acknowledged: latencies.length,
    failures,
    failed,
    perAccount,
    latencyMs: { p50: at(0.5), p99: at(0.99), max: latencies.at(-1) ?? Number.NaN },
  };
}
