import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeStorageContract, pattern, readAll } from '../../recordings/storage/testing/contract';
import { LocalStorage } from './recording-storage';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'calltrail-storage-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describeStorageContract('local directory', async () => LocalStorage.inDataDir(await tempDir()));

describe('LocalStorage', () => {
  it('keeps each object as a plain file under DATA_DIR/recordings, and no temp files', async () => {
    const dataDir = await tempDir();
    const storage = LocalStorage.inDataDir(dataDir);
    await storage.put('segments/2024/05/abc.wav', pattern(100), 'audio/wav');
    await storage.put('segments/2024/05/abc.wav', pattern(50), 'audio/wav');
    expect(new Uint8Array(await readFile(join(dataDir, 'recordings/segments/2024/05/abc.wav')))).toEqual(pattern(50));
    expect(await readdir(join(dataDir, 'recordings/segments/2024/05'))).toEqual(['abc.wav']);
  });

  it('never writes outside its root, whatever the key', async () => {
    const root = join(await tempDir(), 'recordings');
    const storage = new LocalStorage(root);
    for (const key of ['../x', 'a/../../x', '/etc/passwd', 'a/./b', '.meta/a']) {
      await expect(storage.put(key, pattern(1), 'audio/wav')).rejects.toThrow('not a storage key');
    }
  });

  it('answers null for a key that is a directory or runs through a file', async () => {
    const storage = new LocalStorage(await tempDir());
    await storage.put('a/b.wav', pattern(3), 'audio/wav');
    expect(await storage.get('a')).toBeNull();
    expect(await storage.head('a')).toBeNull();
    expect(await storage.get('a/b.wav/c')).toBeNull();
    await storage.delete('a');
    expect(await storage.head('a/b.wav')).not.toBeNull();
  });

  it('guesses the type from the extension when the sidecar is gone', async () => {
    const root = await tempDir();
    const storage = new LocalStorage(root);
    await storage.put('x.mp3', pattern(3), 'audio/mpeg');
    await rm(join(root, '.meta'), { recursive: true });
    expect((await storage.head('x.mp3'))?.contentType).toBe('audio/mpeg');
    await writeFile(join(root, 'copied.bin'), pattern(3));
    expect((await storage.get('copied.bin'))?.contentType).toBe('application/octet-stream');
  });

  it('streams the version it opened, even when the key is overwritten meanwhile', async () => {
    const storage = new LocalStorage(await tempDir());
    await storage.put('v.wav', pattern(300_000, 1), 'audio/wav');
    const object = await storage.get('v.wav');
    await storage.put('v.wav', pattern(10, 2), 'audio/wav');
    expect((await readAll(object!.body)).bytes).toEqual(pattern(300_000, 1));
  });
});
