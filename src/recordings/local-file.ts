/**
 * Recordings given as file paths on this host (a Node deployment beside Asterisk or FreeSWITCH,
 * `recordings.local_paths`). A path comes from a PBX record, so it is an input like any URL: it
 * may name a FIFO (whose open never returns), a device (/dev/zero never ends), a directory, or a
 * symlink that leads out of the recordings directory. The runtime's reader refuses those and
 * bounds the whole read in time; a refusal is per recording, with its reason, and says whether
 * trying again can help. The portable half: the reader's contract, and the refusal it throws.
 * @module
 */

export interface LocalReadLimits {
  /** Directories the file must lie in once every symlink of it and of them is resolved. */
  roots: readonly string[];
  /** The whole read, from the first look at the path to the last byte. */
  timeoutMs: number;
}

/**
 * The runtime's reader: the file's bytes, null when there is no file there (yet), or a
 * LocalFileRefused. `limits` is optional only for runtimes written before it existed.
 */
export type LocalFileReader = (path: string, maxBytes: number, limits?: LocalReadLimits) => Promise<Uint8Array | null>;

/** Why a path was not read; `retryable` when the same path may read fine later. */
export class LocalFileRefused extends Error {
  override readonly name = 'LocalFileRefused';
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** An absolute path without . or .. segments (null when it tries to climb out). */
export function normalizePath(path: string): string | null {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') return null;
    parts.push(part);
  }
  return `/${parts.join('/')}`;
}

/** Whether `path` lies under the directory `root` (both absolute). */
export function isUnder(path: string, root: string): boolean {
  return path.startsWith(`${root.replace(/\/+$/, '')}/`);
}
