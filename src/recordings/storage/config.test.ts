import { describe, expect, it } from 'vitest';
import { defaultStorageKind, storageFromSettings, StorageConfigError } from './config';
import { MemoryStorage } from './memory';
import { FakeR2Bucket } from './testing/r2-fake';

const s3 = {
  endpoint: 'https://0123.r2.cloudflarestorage.com',
  bucket: 'recordings',
  region: 'auto',
  accessKeyId: 'AKID0123456789',
  secretAccessKey: 'very-secret-key-value',
  forcePathStyle: true,
};

describe('storageFromSettings', () => {
  it('builds each kind from what it needs', () => {
    expect(storageFromSettings({ kind: 'memory' }).kind).toBe('memory');
    expect(storageFromSettings({ kind: 's3', s3 }).kind).toBe('s3');
    expect(storageFromSettings({ kind: 'r2' }, { r2: new FakeR2Bucket() }).kind).toBe('r2');
    const local = new MemoryStorage();
    expect(storageFromSettings({ kind: 'local' }, { local: () => local })).toBe(local);
  });

  it.each([
    [{ kind: 's3' as const }, 'S3_ENDPOINT, S3_BUCKET'],
    [{ kind: 'r2' as const }, 'bound as RECORDINGS'],
    [{ kind: 'local' as const }, 'needs a file system'],
  ])('says what is missing for %j', (settings, message) => {
    expect(() => storageFromSettings(settings)).toThrow(StorageConfigError);
    expect(() => storageFromSettings(settings)).toThrow(message);
  });

  it('defaults to local on Node, R2 on Workers with a binding, and to none without', () => {
    expect(defaultStorageKind('node', {})).toBe('local');
    expect(defaultStorageKind('workerd', { r2: new FakeR2Bucket() })).toBe('r2');
    expect(defaultStorageKind('workerd', {})).toBeNull();
  });
});
