/**
 * Keeping the sandbox account across restarts. The sandbox itself writes nowhere: the runtime
 * hands it a `SandboxStateStore` (on Node a JSON file under DATA_DIR, src/entry/node/sandbox-state.ts;
 * on Workers none, so an isolate starts from the seed). With one, the account starts from the
 * saved state instead of the seed, and every request that may change it (anything but GET, HEAD
 * and OPTIONS) marks it changed; the saver writes the whole account at most once per `debounceMs`
 * — the first change starts the wait, later ones ride along — and `flush()` writes what is pending
 * at once (a stopping service calls it).
 *
 * Kept: users, contacts, companies, leads, customers, notes, unsorted items, tasks, pop-ups, the id
 * counters and the draws of the uid dice (so uids do not repeat). Not kept: OAuth codes and tokens
 * issued by the sandbox (a client signs in again; long-lived tokens come from the options), the
 * rate limit's window, faults and statistics.
 * @module
 */
import type { Random } from './prng';
import type { SandboxRecords, SandboxStore } from './store';

export const SANDBOX_STATE_VERSION = 1;

/** The saved account: its records and how many uids have been drawn. */
export interface SandboxState {
  version: typeof SANDBOX_STATE_VERSION;
  records: SandboxRecords;
  uid_draws: number;
}

/** Where the runtime keeps the account. */
export interface SandboxStateStore {
  /** The state saved last; null when there is none (a first start), and then the seed applies. */
  load(): SandboxState | null;
  /**
   * Writes the state. It holds the live records: serialize it before the first await (the next
   * request may change them). Failures are the store's to report.
   */
  save(state: SandboxState): Promise<void>;
}

/** Dice that count their throws, so a restored account draws on where it left off. */
export interface CountedRandom {
  random: Random;
  draws(): number;
  /** Throws `n` times, discarding the results. */
  skip(n: number): void;
}

export function countedRandom(inner: Random): CountedRandom {
  let draws = 0;
  return {
    random: () => {
      draws++;
      return inner();
    },
    draws: () => draws,
    skip(n) {
      for (let i = 0; i < n; i++) inner();
      draws += n;
    },
  };
}

/** Is this what `save` wrote (this version)? Anything else starts the account from the seed. */
export function isSandboxState(value: unknown): value is SandboxState {
  if (!value || typeof value !== 'object') return false;
  const v = value as Partial<SandboxState>;
  const r = v.records as Partial<SandboxRecords> | undefined;
  return (
    v.version === SANDBOX_STATE_VERSION &&
    typeof v.uid_draws === 'number' &&
    !!r &&
    [r.users, r.contacts, r.companies, r.leads, r.customers, r.unsorted, r.tasks, r.events].every(Array.isArray) &&
    typeof r.notes === 'object' &&
    typeof r.next_ids === 'object'
  );
}

/** Writes the account after changes, at most once per `debounceMs`. */
export class StateSaver {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private dirty = false;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: SandboxStateStore,
    private readonly capture: () => SandboxState,
    private readonly debounceMs: number,
  ) {}

  changed(): void {
    this.dirty = true;
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => void this.flush(), this.debounceMs);
    // Node: a pending save does not keep the process alive (a stopping service flushes).
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Writes a pending change now, after any write in progress. */
  async flush(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.dirty) {
      this.dirty = false;
      // Captured when its write begins, in one piece (records, id counters and dice together).
      this.writing = this.writing.then(() => this.store.save(this.capture())).catch(() => {});
    }
    await this.writing;
  }
}

/** The account's state now. */
export function captureState(store: SandboxStore, uids: CountedRandom): SandboxState {
  return { version: SANDBOX_STATE_VERSION, records: store.records(), uid_draws: uids.draws() };
}

/** Puts a saved account back (the seed is not applied then). */
export function restoreState(store: SandboxStore, uids: CountedRandom, state: SandboxState): void {
  store.restore(state.records);
  uids.skip(state.uid_draws);
}
