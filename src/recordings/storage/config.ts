/**
 * Which storage a deployment archives recordings in, from its settings: RECORDINGS_STORAGE picks
 * the kind (local | s3 | r2 | memory), S3_* describe the bucket, the Workers binding RECORDINGS is
 * the R2 bucket. Pure: the entries parse the environment and hand over what they have; a local
 * directory needs the file system, so the Node entry passes a maker for it.
 * @module
 */
import { MemoryStorage } from './memory';
import type { RecordingStorage } from './port';
import { type R2BucketLike, R2Storage } from './r2';
import { S3Storage } from './s3';
import { prefixedStorage } from './prefixed';

export type StorageKind = RecordingStorage['kind'];

/** The S3 settings as the environment gives them (S3_ENDPOINT, S3_BUCKET, S3_REGION, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_FORCE_PATH_STYLE). */
export interface S3Settings {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
}

export interface StorageSettings {
  kind: StorageKind;
  s3?: S3Settings;
  /** Keys under this prefix in a shared bucket (an added account's); a local directory is the account's own. */
  prefix?: string;
}

/** What only the runtime has: the R2 binding (Workers), a local directory (Node). */
export interface StorageBindings {
  /** The Workers binding RECORDINGS. */
  r2?: R2BucketLike;
  /** Node: builds the DATA_DIR/recordings store (src/entry/node/recording-storage.ts). */
  local?: () => RecordingStorage;
  /** For S3: a fetch other than the global one. */
  fetch?: typeof fetch;
}

/** A storage that cannot be built from these settings; the message says what to set. */
export class StorageConfigError extends Error {
  override name = 'StorageConfigError';
}

export function storageFromSettings(settings: StorageSettings, bindings: StorageBindings = {}): RecordingStorage {
  const storage = storageOfKind(settings, bindings);
  return settings.prefix && storage.kind !== 'local' ? prefixedStorage(storage, settings.prefix) : storage;
}

function storageOfKind(settings: StorageSettings, bindings: StorageBindings): RecordingStorage {
  switch (settings.kind) {
    case 'memory':
      return new MemoryStorage();
    case 'local':
      if (!bindings.local) {
        throw new StorageConfigError('RECORDINGS_STORAGE=local needs a file system: use s3 or r2 on Workers');
      }
      return bindings.local();
    case 'r2':
      if (!bindings.r2) {
        throw new StorageConfigError("RECORDINGS_STORAGE=r2 needs an R2 bucket bound as RECORDINGS (Workers only; on Node use s3 with R2's S3 endpoint)");
      }
      return new R2Storage(bindings.r2);
    case 's3':
      if (!settings.s3) {
        throw new StorageConfigError('RECORDINGS_STORAGE=s3 needs S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY');
      }
      return new S3Storage({ ...settings.s3, ...(bindings.fetch ? { fetch: bindings.fetch } : {}) });
  }
}

/**
 * RECORDINGS_STORAGE unset: Node uses its data directory; Workers their R2 binding, and without
 * one there is nowhere durable — null, recordings are not archived (memory would lose them with
 * the isolate, so it is only ever chosen on purpose).
 */
export function defaultStorageKind(runtime: 'node' | 'workerd', bindings: StorageBindings): StorageKind | null {
  if (runtime === 'node') return 'local';
  return bindings.r2 ? 'r2' : null;
}
