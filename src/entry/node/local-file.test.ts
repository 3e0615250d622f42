import { execFileSync } from 'node:child_process';
import type { Stats } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalFileRefused } from '../../recordings/local-file';
import { localFileReader, readLocalFile, type LocalFs } from './local-file';

let base: string;
let root: string;
let outside: string;
let socketServer: Server | undefined;
const WAV = new Uint8Array([0x52, 0x49, 0x46, 0x46, 1, 2, 3, 4]);

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'calltrail-local-'));
  root = join(base, 'monitor');
  outside = join(base, 'elsewhere');
  await mkdir(join(root, '2026/11/20'), { recursive: true });
  await mkdir(outside);
  await writeFile(join(root, '2026/11/20/in-101.wav'), WAV);
  await writeFile(join(outside, 'secret.wav'), WAV);
  execFileSync('mkfifo', [join(root, '2026/11/20/fifo.wav')]);
  await symlink(join(outside, 'secret.wav'), join(root, 'escape.wav'));
  await symlink(join(root, '2026/11/20/in-101.wav'), join(root, 'inside-link.wav'));
  await symlink(join(root, 'not-yet.wav'), join(root, 'dangling.wav'));
  await symlink('/dev/zero', join(root, 'zero.wav'));
  await symlink(root, join(base, 'spool-link'));
  socketServer = createServer();
  await new Promise<void>((resolve) => socketServer?.listen(join(root, 'sock.wav'), resolve));
});
afterAll(async () => {
  await new Promise<void>((resolve) => (socketServer ? socketServer.close(() => resolve()) : resolve()));
  await rm(base, { recursive: true, force: true });
});

const limits = (over: { roots?: string[]; timeoutMs?: number } = {}) => ({ roots: [root], timeoutMs: 2000, ...over });

async function refusal(promise: Promise<unknown>): Promise<{ message: string; retryable: boolean }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof LocalFileRefused) return { message: error.message, retryable: error.retryable };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('reading a recording given as a path on this host', () => {
  it('reads a regular file under a root, also through a symlink that stays inside, or a root reached through a symlink', async () => {
    expect(await readLocalFile(join(root, '2026/11/20/in-101.wav'), 1000, limits())).toEqual(WAV);
    expect(await readLocalFile(join(root, 'inside-link.wav'), 1000, limits())).toEqual(WAV);
    expect(await readLocalFile(join(base, 'spool-link/2026/11/20/in-101.wav'), 1000, limits({ roots: [join(base, 'spool-link')] }))).toEqual(WAV);
  });

  it('reads "not there yet" as null, a dangling symlink included', async () => {
    expect(await readLocalFile(join(root, 'later.wav'), 1000, limits())).toBeNull();
    expect(await readLocalFile(join(root, 'dangling.wav'), 1000, limits())).toBeNull();
    expect(await readLocalFile(join(root, '2026/11/20/in-101.wav/x'), 1000, limits())).toBeNull();
  });

  it('refuses a FIFO at once, for good, instead of blocking in open()', async () => {
    const started = Date.now();
    expect(await refusal(readLocalFile(join(root, '2026/11/20/fifo.wav'), 1000, limits()))).toEqual({
      message: `${join(root, '2026/11/20/fifo.wav')} is a FIFO (named pipe), not a recording file`,
      retryable: false,
    });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('refuses a socket, a device and a directory', async () => {
    expect(await refusal(readLocalFile(join(root, 'sock.wav'), 1000, limits()))).toMatchObject({
      message: expect.stringContaining('is a socket'),
      retryable: false,
    });
    expect(await refusal(readLocalFile('/dev/zero', 1000, limits({ roots: ['/dev'] })))).toMatchObject({
      message: '/dev/zero is a character device, not a recording file',
      retryable: false,
    });
    expect(await refusal(readLocalFile(join(root, '2026'), 1000, limits()))).toMatchObject({
      message: expect.stringContaining('is a directory'),
      retryable: false,
    });
  });

  it('refuses a symlink, or a path with .., that leads out of the roots, whatever it points at', async () => {
    expect(await refusal(readLocalFile(join(root, 'escape.wav'), 1000, limits()))).toEqual({
      message: `${join(root, 'escape.wav')} leads to ${join(outside, 'secret.wav')}, outside recordings.local_paths`,
      retryable: false,
    });
    expect(await refusal(readLocalFile(join(root, 'zero.wav'), 1000, limits()))).toMatchObject({
      message: expect.stringContaining('leads to /dev/zero, outside'),
      retryable: false,
    });
    expect(await refusal(readLocalFile(`${root}/../elsewhere/secret.wav`, 1000, limits()))).toMatchObject({
      message: expect.stringContaining('outside recordings.local_paths'),
    });
    // A root that does not exist holds nothing.
    expect(await refusal(readLocalFile(join(root, '2026/11/20/in-101.wav'), 1000, limits({ roots: [join(base, 'gone')] })))).toMatchObject({
      retryable: false,
    });
  });

  it('refuses a file over the size limit', async () => {
    expect(await refusal(readLocalFile(join(root, '2026/11/20/in-101.wav'), 4, limits()))).toMatchObject({
      message: expect.stringContaining('is 8 bytes, over the 4-byte limit'),
      retryable: false,
    });
  });
});

/** node:fs/promises with its reads slowed down, or a file that grows while it is read. */
function shakyFs(options: { readDelayMs?: number; growBy?: number }): LocalFs {
  return {
    lstat: (p) => fsp.lstat(p),
    realpath: (p) => fsp.realpath(p),
    stat: (p) => fsp.stat(p),
    async open(p, flags) {
      const handle = await fsp.open(p, flags);
      let stats = 0;
      const read = handle.read.bind(handle) as (...args: unknown[]) => ReturnType<typeof handle.read>;
      return Object.assign(Object.create(handle) as fsp.FileHandle, {
        async stat() {
          const s = await handle.stat();
          stats++;
          return (stats > 1 && options.growBy ? { ...s, isFile: () => true, size: s.size + options.growBy } : s) as Stats;
        },
        async read(...args: unknown[]) {
          if (options.readDelayMs) await new Promise((resolve) => setTimeout(resolve, options.readDelayMs));
          return read(...args);
        },
        close: () => handle.close(),
      });
    },
  };
}

describe('the time limit and files still being written', () => {
  it('gives up a read that does not finish in time, and says it may work later', async () => {
    const slow = localFileReader(shakyFs({ readDelayMs: 1500 }));
    const started = Date.now();
    expect(await refusal(slow(join(root, '2026/11/20/in-101.wav'), 1000, limits({ timeoutMs: 100 })))).toEqual({
      message: `reading ${join(root, '2026/11/20/in-101.wav')} did not finish within 0.1 s`,
      retryable: true,
    });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('takes a file that changed while it was read for one still being written: later', async () => {
    const growing = localFileReader(shakyFs({ growBy: 4 }));
    expect(await refusal(growing(join(root, '2026/11/20/in-101.wav'), 1000, limits()))).toMatchObject({
      message: expect.stringContaining('is still being written'),
      retryable: true,
    });
  });
});
