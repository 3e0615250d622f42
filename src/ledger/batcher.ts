/**
 * Group commit for the inbox. A body is applied at once when a slot is free; bodies arriving
 * while earlier groups are in flight wait and go together in the next group — one transaction,
 * one round of statements, one commit for all of them. At low load nothing waits; under load
 * the groups grow by themselves. Each caller still gets its 2xx only after its own commit.
 * @module
 */
import { ingestMany, type InboxDeps, type IngestInput, type IngestResult } from './inbox';

interface Waiting {
  input: IngestInput;
  resolve(result: IngestResult): void;
  reject(error: unknown): void;
}

export interface BatcherOptions {
  /** Most bodies in one transaction. */
  maxBatch?: number;
  /** Groups applied concurrently (on separate connections). */
  maxInFlight?: number;
  /**
   * Runs the start of a group on a later turn of the event loop, after every request already
   * readable has been queued (Node: setImmediate). Without it the first request to arrive
   * starts a group alone, and with a database on the same thread (PGlite) no group ever forms.
   */
  defer?: (start: () => void) => void;
}

export class IngestBatcher {
  private readonly queue: Waiting[] = [];
  private inFlight = 0;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  private readonly defer: (start: () => void) => void;
  private scheduled = false;

  constructor(
    private readonly deps: InboxDeps,
    options: BatcherOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 100;
    this.maxInFlight = options.maxInFlight ?? 2;
    this.defer = options.defer ?? ((start) => setTimeout(start, 0));
  }

  submit = (input: IngestInput): Promise<IngestResult> =>
    new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.schedule();
    });

  private schedule() {
    if (this.scheduled || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    this.defer(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /** Resolves when everything submitted so far has been applied. */
  drain(): Promise<void> {
    if (this.inFlight === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump() {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const group = this.queue.splice(0, this.maxBatch);
      this.inFlight++;
      ingestMany(
        this.deps,
        group.map((w) => w.input),
      )
        .then(
          (results) => {
            for (const [i, w] of group.entries()) {
              const result = results[i];
              if (result) w.resolve(result);
              else w.reject(new Error('no result'));
            }
          },
          (error: unknown) => {
            for (const w of group) w.reject(error);
          },
        )
        .finally(() => {
          this.inFlight--;
          this.schedule();
          if (this.inFlight === 0 && this.queue.length === 0) {
            for (const resolve of this.idleWaiters.splice(0)) resolve();
          }
        });
    }
  }
}
