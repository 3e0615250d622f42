/**
 * Node's reader of recordings given as file paths (recordings.local_paths). Before anything is
 * opened the path is looked at without following it (lstat) and resolved (realpath): a path that
 * is not there yet reads as "no file (yet)"; one that resolves outside the roots (themselves
 * resolved), or that is not a regular file — a FIFO, a socket, a device such as /dev/zero, a
 * directory — is refused for good. The file is then opened with O_NONBLOCK and O_NOFOLLOW, so
 * that a FIFO or a symlink swapped in after the look cannot block or redirect the open, and the
 * handle is checked to be the very file that was looked at. A file that grows while it is read is
 * still being written: tried again later. One time limit covers all of it; when it runs out the
 * recording is given up for now and the pipeline goes on (the read, if still running, closes its
 * file when it ends).
 * @module
 */
import { constants, type Stats } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { isUnder, LocalFileRefused, type LocalFileReader, type LocalReadLimits } from '../../recordings/local-file';

/** The parts of node:fs/promises the reader uses (tests slow them down). */
export interface LocalFs {
  lstat(path: string): Promise<Stats>;
  realpath(path: string): Promise<string>;
  stat(path: string): Promise<Stats>;
  open(path: string, flags: number): Promise<fsp.FileHandle>;
}

const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0);
const CHUNK = 1 << 20;
const DEFAULT_TIMEOUT_MS = 120_000;

export function localFileReader(fs: LocalFs = fsp): LocalFileReader {
  return (path, maxBytes, limits) => {
    const timeoutMs = limits?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const deadline = AbortSignal.timeout(timeoutMs);
    const work = readChecked(fs, path, maxBytes, limits, deadline);
    const late = new Promise<never>((_, reject) => {
      deadline.addEventListener('abort', () => reject(new LocalFileRefused(`reading ${path} did not finish within ${timeoutMs / 1000} s`, true)), {
        once: true,
      });
    });
    // Whichever ends first; a read that lost the race still ends (and closes its file) on its own.
    work.catch(() => undefined);
    return Promise.race([work, late]);
  };
}

export const readLocalFile = localFileReader();

async function readChecked(
  fs: LocalFs,
  path: string,
  maxBytes: number,
  limits: LocalReadLimits | undefined,
  deadline: AbortSignal,
): Promise<Uint8Array | null> {
  const looked = await lookAt(fs, path, limits);
  if (!looked) return null;
  const { real, info } = looked;
  if (info.size > maxBytes) throw new LocalFileRefused(`${path} is ${info.size} bytes, over the ${maxBytes}-byte limit (recordings.max_mb)`, false);
  if (deadline.aborted) throw new LocalFileRefused(`reading ${path} did not finish in time`, true);
  const handle = await fs.open(real, OPEN_FLAGS).catch((error: unknown) => {
    throw refusal(path, error);
  });
  try {
    const opened = await handle.stat();
    if (!opened.isFile() || opened.ino !== info.ino || opened.dev !== info.dev) {
      throw new LocalFileRefused(`${path} changed between being checked and opened`, true);
    }
    const bytes = await readAll(handle, opened.size, maxBytes, deadline, path);
    const after = await handle.stat();
    if (after.size !== opened.size || after.mtimeMs !== opened.mtimeMs) {
      throw new LocalFileRefused(`${path} is still being written (it changed while it was read)`, true);
    }
    return bytes;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** The file's real path and what it is, null when nothing is there (yet); refuses the rest. */
async function lookAt(fs: LocalFs, path: string, limits: LocalReadLimits | undefined): Promise<{ real: string; info: Stats } | null> {
  let link: Stats;
  let real: string;
  try {
    link = await fs.lstat(path);
    // A symlink whose target is missing may get one: "not yet", like a missing file.
    real = await fs.realpath(path);
  } catch (error) {
    if (isMissing(error)) return null;
    throw refusal(path, error);
  }
  if (limits) await insideRoots(fs, path, real, limits.roots);
  const info = link.isSymbolicLink() ? await fs.stat(real).catch((error: unknown) => Promise.reject(refusal(path, error))) : link;
  const kind = notRegular(info);
  if (kind) throw new LocalFileRefused(`${path} is ${kind}, not a recording file`, false);
  return { real, info };
}

async function insideRoots(fs: LocalFs, path: string, real: string, roots: readonly string[]): Promise<void> {
  const resolved: string[] = [];
  for (const root of roots) {
    // A configured directory that does not exist holds nothing.
    const dir = await fs.realpath(root).catch(() => null);
    if (dir) resolved.push(dir);
  }
  if (!resolved.some((root) => isUnder(real, root))) {
    throw new LocalFileRefused(`${path} leads to ${real}, outside recordings.local_paths`, false);
  }
}

function notRegular(info: Stats): string | null {
  if (info.isFile()) return null;
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isDirectory()) return 'a directory';
  return 'not a regular file';
}

/** The file's bytes, in chunks, stopping at the deadline; one byte more than it had is growth. */
async function readAll(handle: fsp.FileHandle, size: number, maxBytes: number, deadline: AbortSignal, path: string): Promise<Uint8Array> {
  const bytes = new Uint8Array(size);
  let at = 0;
  while (at < size) {
    if (deadline.aborted) throw new LocalFileRefused(`reading ${path} did not finish in time`, true);
    const { bytesRead } = await handle.read(bytes, at, Math.min(CHUNK, size - at), at);
    if (bytesRead === 0) throw new LocalFileRefused(`${path} got shorter while it was read (still being written?)`, true);
    at += bytesRead;
  }
  if (size < maxBytes) {
    const probe = new Uint8Array(1);
    const { bytesRead } = await handle.read(probe, 0, 1, size);
    if (bytesRead > 0) throw new LocalFileRefused(`${path} is still being written (it grew while it was read)`, true);
  }
  return bytes;
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** An error the file system gave, as a refusal: a permission problem may be fixed, a loop not. */
function refusal(path: string, error: unknown): LocalFileRefused {
  if (error instanceof LocalFileRefused) return error;
  const code = (error as NodeJS.ErrnoException).code ?? 'error';
  const retryable = code === 'EACCES' || code === 'EPERM' || code === 'EMFILE' || code === 'ENFILE' || code === 'EIO' || code === 'EAGAIN' || code === 'EBUSY';
  return new LocalFileRefused(`${path} cannot be read (${code}: ${(error as Error).message.replace(/^\w+: /, '')})`, retryable);
}
