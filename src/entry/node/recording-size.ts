/**
 * The size of a recording file when this host can see it (calltrail on the PBX itself, or the
 * monitor directory mounted): a file of 44 bytes or less is an empty WAV header, i.e. no
 * recording. Unknown (a URL, or no such file here) is undefined — the recording stays expected.
 * Whether a directory exists is remembered for a minute, so a host without the PBX's files (the
 * usual case) pays one check per directory, not one per row — and a day's new directory is seen.
 * @module
 */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';

export type FileSizer = (location: string | null | undefined) => Promise<number | undefined>;

export function createFileSizer(): FileSizer {
  const dirs = new Map<string, { present: boolean; until: number }>();
  return async (location) => {
    if (!location?.startsWith('/')) return undefined;
    const dir = dirname(location);
    const now = Date.now();
    let known = dirs.get(dir);
    if (known === undefined || known.until < now) {
      if (dirs.size > 10_000) dirs.clear();
      known = { present: existsSync(dir), until: now + 60_000 };
      dirs.set(dir, known);
    }
    if (!known.present) return undefined;
    try {
      const info = await stat(location);
      return info.isFile() ? info.size : undefined;
    } catch {
      return undefined;
    }
  };
}
