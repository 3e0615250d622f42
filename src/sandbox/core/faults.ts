/**
 * Seeded fault injection for write requests: the failures a delivery engine must survive without
 * losing or duplicating a call. `*_before` fail without writing; `502_after` writes and then loses
 * the answer; `slow_after` writes and answers late (a client with a shorter timeout gives up
 * although the write happened). Every eligible request draws from the PRNG, so the same seed and
 * the same request sequence give the same faults.
 * @module
 */
import { FAULT_KINDS, type FaultKind, type FaultOptions } from './options';
import { mulberry32, type Random } from './prng';

export const DEFAULT_SLOW_MS = 3000;

export class FaultInjector {
  private options: FaultOptions | undefined;
  private random: Random | undefined;

  constructor(options?: FaultOptions) {
    this.set(options);
  }

  /** Replaces the settings and restarts the sequence from the seed; rate 0 turns faults off. */
  set(options: FaultOptions | undefined): void {
    this.options = options && options.rate > 0 ? options : undefined;
    this.random = this.options ? mulberry32(this.options.seed) : undefined;
  }

  get slowMs(): number {
    return this.options?.slowMs ?? DEFAULT_SLOW_MS;
  }

  /** Rolls for one request that passed auth and the rate limit. */
  roll(method: string): FaultKind | undefined {
    const o = this.options;
    const random = this.random;
    if (!o || !random) return undefined;
    const isWrite = method === 'POST' || method === 'PATCH';
    if (!isWrite && !o.reads) return undefined;
    const hit = random() < o.rate;
    const pick = random();
    if (!hit) return undefined;
    const weights = FAULT_KINDS.map((k) => Math.max(0, o.kinds ? (o.kinds[k] ?? 0) : 1));
    const total = weights.reduce((a, b) => a + b, 0);
    if (total === 0) return undefined;
    let point = pick * total;
    for (const [i, kind] of FAULT_KINDS.entries()) {
      point -= weights[i] ?? 0;
      if (point < 0) return kind;
    }
    return FAULT_KINDS.findLast((_, i) => (weights[i] ?? 0) > 0);
  }
}
