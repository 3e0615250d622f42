/**
 * Node's recordings runtime: the storage RECORDINGS_STORAGE names (default: DATA_DIR/recordings),
 * fetches whose connections are checked against the policy's address rules (DNS answers
 * included), and reading recordings that are file paths on this host (a deployment beside
 * Asterisk or FreeSWITCH; only under recordings.local_paths, see local-file.ts).
 * @module
 */
import type { Settings } from '../../settings/env';
import type { RecordingsRuntime } from '../../deps';
import { defaultStorageKind, storageFromSettings } from '../../recordings/storage/config';
// Call audio is encoded with LAME's WebAssembly module, which Node loads from the package.
import './lame';
import { readLocalFile } from './local-file';
import { LocalStorage } from './recording-storage';
import { nodeFetchFor } from './safe-fetch';

export function nodeRecordingsRuntime(settings: Settings): RecordingsRuntime {
  const kind = settings.recordingsStorage ?? defaultStorageKind('node', {}) ?? 'local';
  const storage = storageFromSettings(
    { kind, ...(settings.s3 ? { s3: settings.s3 } : {}), ...(settings.recordingsPrefix ? { prefix: settings.recordingsPrefix } : {}) },
    { local: () => LocalStorage.inDataDir(settings.dataDir) },
  );
  return { storage, fetchFor: nodeFetchFor, readLocal: readLocalFile };
}

export { readLocalFile };
