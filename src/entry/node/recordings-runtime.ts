/**
 * Node's recordings runtime: the storage RECORDINGS_STORAGE names (default: DATA_DIR/recordings),
 * fetches whose connections are checked against the policy's address rules (DNS answers
 * included), and reading recordings that are file paths on this host (a deployment beside
 * Asterisk or FreeSWITCH; only under recordings.local_paths).
 * @module
 */
import { open } from 'node:fs/promises';
import type { Settings } from '../../config/env';
import type { RecordingsRuntime } from '../../deps';
import { defaultStorageKind, storageFromSettings } from '../../recordings/storage/config';
import { LocalStorage } from './recording-storage';
import { nodeFetchFor } from './safe-fetch';

export function nodeRecordingsRuntime(settings: Settings): RecordingsRuntime {
  const kind = settings.recordingsStorage ?? defaultStorageKind('node', {}) ?? 'local';
  const storage = storageFromSettings({ kind, ...(settings.s3 ? { s3: settings.s3 } : {}) }, { local: () => LocalStorage.inDataDir(settings.dataDir) });
  return { storage, fetchFor: nodeFetchFor, readLocal: readLocalFile };
}

/** The file's bytes, null when it does not exist (yet); refuses files over maxBytes. */
export async function readLocalFile(path: string, maxBytes: number): Promise<Uint8Array | null> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const { size, isFile } = await handle.stat().then((s) => ({ size: s.size, isFile: s.isFile() }));
    if (!isFile) throw new Error('not a regular file');
    if (size > maxBytes) throw new Error(`the file is ${size} bytes, over the ${maxBytes}-byte limit`);
    const bytes = new Uint8Array(size);
    await handle.read(bytes, 0, size, 0);
    return bytes;
  } finally {
    await handle.close();
  }
}
