/**
 * Recordings in a local directory (DATA_DIR/recordings): one file per key, written atomically
 * (temp file, fsync, rename, fsync of the directory) so a crash leaves the old file or the new,
 * never half of one. The content type lives in a sidecar under `.meta/` — a name no key can take,
 * since keys start with a letter or digit. Reads open the file once and stream from that handle,
 * so an overwrite while a listener seeks cannot mix two versions.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { assertKey, type ByteRange, type ObjectBody, type RecordingStorage, type StoredObject } from '../../recordings/storage/port';
import { checkRange, resolveRange } from '../../recordings/storage/ranges';

/** Errors that mean "no object under this key": missing, or a directory on the way or at the end. */
const ABSENT = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);

interface Meta {
  contentType: string;
}

export class LocalStorage implements RecordingStorage {
  readonly kind = 'local';
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** The recordings directory of a data directory. */
  static inDataDir(dataDir: string): LocalStorage {
    return new LocalStorage(join(dataDir, 'recordings'));
  }

  async put(key: string, bytes: Uint8Array, contentType: string): Promise<void> {
    const path = this.#path(key);
    // Data first: a crash before the sidecar is written leaves a file whose type is guessed.
    await writeAtomically(path, bytes);
    await writeAtomically(this.#metaPath(key), new TextEncoder().encode(JSON.stringify({ contentType } satisfies Meta)));
  }

  async get(key: string, range?: ByteRange): Promise<ObjectBody | null> {
    const path = this.#path(key);
    if (range) checkRange(range);
    const handle = await openFile(path);
    if (!handle) return null;
    let slice: ByteRange | undefined;
    let meta: StoredObject;
    try {
      const stat = await handle.stat({ bigint: true });
      if (!stat.isFile()) {
        await handle.close();
        return null;
      }
      meta = await this.#describe(key, stat);
      if (range) slice = resolveRange(key, range, meta.size);
    } catch (error) {
      await handle.close();
      throw error;
    }
    // The stream closes the handle when it ends or its reader cancels.
    const stream = handle.createReadStream(slice ? { start: slice.offset, end: slice.offset + slice.length - 1 } : {});
    const body = Readable.toWeb(stream) as unknown as ReadableStream<Uint8Array>;
    return { ...meta, ...(slice ? { range: slice } : {}), body };
  }

  async head(key: string): Promise<StoredObject | null> {
    const handle = await openFile(this.#path(key));
    if (!handle) return null;
    try {
      const stat = await handle.stat({ bigint: true });
      return stat.isFile() ? await this.#describe(key, stat) : null;
    } finally {
      await handle.close();
    }
  }

  async delete(key: string): Promise<void> {
    await unlinkIfThere(this.#path(key));
    await unlinkIfThere(this.#metaPath(key));
  }

  #path(key: string): string {
    assertKey(key);
    const path = resolve(this.root, key);
    // assertKey already rules out climbing; this keeps the promise even if the key rules change.
    if (!path.startsWith(this.root + sep)) throw new Error(`not a storage key: ${key}`);
    return path;
  }

  /** `@` is not in the key alphabet: `a@meta.json` can never be a directory another key needs. */
  #metaPath(key: string): string {
    return join(this.root, '.meta', `${key}@meta.json`);
  }

  async #describe(key: string, stat: { size: bigint; mtimeMs: bigint; mtimeNs: bigint; ino: bigint }): Promise<StoredObject> {
    return {
      size: Number(stat.size),
      contentType: (await this.#readMeta(key))?.contentType ?? guessType(key),
      // A new inode per write (rename), so every overwrite gets a new tag.
      etag: `"${stat.ino.toString(36)}-${stat.size.toString(36)}-${stat.mtimeNs.toString(36)}"`,
      lastModified: new Date(Number(stat.mtimeMs)),
    };
  }

  async #readMeta(key: string): Promise<Meta | null> {
    try {
      const meta = JSON.parse(await readFile(this.#metaPath(key), 'utf8')) as Partial<Meta>;
      return typeof meta.contentType === 'string' ? { contentType: meta.contentType } : null;
    } catch {
      return null;
    }
  }
}

async function openFile(path: string): Promise<FileHandle | null> {
  try {
    return await open(path, 'r');
  } catch (error) {
    if (ABSENT.has((error as NodeJS.ErrnoException).code ?? '')) return null;
    throw error;
  }
}

async function unlinkIfThere(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if (!ABSENT.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
  }
}

/** Temp file beside the target (same file system, so rename is atomic), synced, renamed, directory synced. */
async function writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o640);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlinkIfThere(temp);
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await unlinkIfThere(temp);
    throw error;
  }
  await syncDirectory(dir);
}

/** The rename is durable only once the directory entry is; some platforms cannot open a directory. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Windows: EISDIR/EPERM. The file itself is synced; nothing better can be done there.
  } finally {
    await handle?.close();
  }
}

/** For a file whose sidecar is missing (a crash between the two writes, or a file copied in). */
function guessType(key: string): string {
  if (key.endsWith('.mp3')) return 'audio/mpeg';
  if (key.endsWith('.wav')) return 'audio/wav';
  return 'application/octet-stream';
}
