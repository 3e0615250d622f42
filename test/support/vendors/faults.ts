/**
 * The faults a vendor fake can be told to inject on one of its routes (or methods): a failure
 * answered instead of doing the work, or a success whose answer is lost after the vendor acted —
 * the case that makes an exactly-once writer look before it writes again.
 */
import { HttpResponse, type JsonBodyType } from 'msw';

export function routeFaults<R extends string>(key: (route: R) => R = (r) => r) {
  const drops = new Map<R, number>();
  const failures = new Map<R, { status: number; body: JsonBodyType; times: number }>();
  return {
    /** The answer to give instead of doing the work, while a failure is queued for the route. */
    failure(route: R): Response | null {
      const failure = failures.get(route);
      if (!failure || failure.times <= 0) return null;
      failure.times--;
      return HttpResponse.json(failure.body, { status: failure.status });
    },
    /** The answer as it reaches the client: a network error while drops are queued for a success. */
    deliver(route: R, answer: Response): Response {
      const drop = drops.get(route) ?? 0;
      if (drop <= 0 || answer.status >= 300) return answer;
      drops.set(route, drop - 1);
      return HttpResponse.error();
    },
    controls: {
      /** The next `times` successful answers of the route are lost after the vendor acted. */
      dropAnswer(route: R, times = 1) {
        drops.set(key(route), times);
      },
      /** The next `times` requests of the route answer `status` with `body` and do nothing. */
      fail(route: R, status: number, body: JsonBodyType, times = 1) {
        failures.set(key(route), { status, body, times });
      },
    },
  };
}

/** Counts over the requests a fake has recorded: how many reached a route (429s included), how many were throttled. */
export function tallies<R extends string>(requests: readonly { route: R | 'unknown'; status: number }[]) {
  return {
    count: (route: R) => requests.filter((q) => q.route === route).length,
    throttledCount: () => requests.filter((q) => q.status === 429).length,
  };
}

/** A vendor's rolling rate window: at most `limit` accepted requests in any `ms`; a refused one is not counted. */
export function rollingWindow(limit: number, ms: number, now: () => number) {
  const accepted: number[] = [];
  const prune = () => {
    const t = now();
    while (accepted.length && (accepted[0] as number) <= t - ms) accepted.shift();
  };
  return {
    limit,
    /** Whether one more request fits now (the window rolled on first). */
    fits(): boolean {
      prune();
      return accepted.length < limit;
    },
    admit() {
      accepted.push(now());
    },
    remaining: () => Math.max(0, limit - accepted.length),
    /** When the oldest accepted request leaves the window. */
    resetsAt: () => (accepted[0] ?? now()) + ms,
    /** Use up the window now: the next requests are refused until it rolls on. */
    exhaust() {
      while (accepted.length < limit) accepted.push(now());
    },
  };
}
