/**
 * What a PBX parser refuses a body for: the problems its InvalidPayloadError lists, none when it
 * reads the body. Any other error is a bug of the parser and is thrown on.
 */
import { InvalidPayloadError } from '../../src/pbx/source';

export function problemsOf(read: () => unknown): string[] {
  try {
    read();
  } catch (error) {
    if (error instanceof InvalidPayloadError) return error.problems;
    throw error;
  }
  return [];
}
