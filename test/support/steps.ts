/**
 * One scenario told as sequential steps: the `it`s of one describe, which vitest runs in order,
 * sharing the describe's state. Each step stays well under the 60 s test limit on a loaded
 * machine, and a step after a failed one fails at once, naming the step that failed, instead of
 * running on missing state until it times out.
 *
 * Call `steps()` first thing inside the describe.
 */
import { beforeEach } from 'vitest';

export function steps(): void {
  let failed: string | undefined;
  beforeEach(({ task, onTestFailed }) => {
    if (failed) throw new Error(`not run: the earlier step "${failed}" failed`);
    onTestFailed(() => {
      failed ??= task.name;
    });
  });
}

/** A value an earlier step set: the step that needs it fails clearly when it is missing. */
export function need<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) throw new Error(`${what} is missing: an earlier step did not set it`);
  return value;
}
