/**
 * Serving benchmark: the real service (`calltrail serve`, PostgreSQL, local storage) answering
 * 50 concurrent ranged requests for one call's MP3 through its signed link, against a plain
 * static file server (node:http + fs streams, Range only) serving the very same file, in the
 * same run. Reports requests/s, MB/s, latency and the service's memory over the run.
 * @module
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as netServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { REPO_ROOT } from '../ingest/service.mjs';
import { cpuProbe } from '../ingest/sys.mjs';

export interface ServeFigures {
  label: string;
  requestsPerSecond: number;
  megabytesPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  cores: number | undefined;
  rssMiB?: { min: number; median: number; max: number; thirds: [number, number, number] };
}

export interface ServeOptions {
  dataDir: string;
  adminUrl: string;
  /** The 10-minute WAV the service fetches, archives and turns into the MP3 it serves. */
  wav: Uint8Array;
  connections: number;
  seconds: number;
}

const SECRET = 'bench-recordings-secret-0123456789';
const ADMIN = 'bench-recordings-admin-0123456789';

export async function benchServing(
  options: ServeOptions,
  cleanups: (() => Promise<unknown>)[],
): Promise<{ service: ServeFigures; baseline: ServeFigures; fileBytes: number }> {
  // The PBX's recording server.
  const pbx = createServer((_req, res) => res.writeHead(200, { 'content-type': 'audio/wav' }).end(Buffer.from(options.wav)));
  await new Promise<void>((resolve) => pbx.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => pbx.close(resolve)));
  const pbxPort = (pbx.address() as { port: number }).port;

  const admin = postgres(options.adminUrl, { max: 1, onnotice: () => {} });
  cleanups.push(() => admin.end({ timeout: 5 }));
  await admin.unsafe('drop database if exists calltrail_bench_recordings with (force)');
  await admin.unsafe('create database calltrail_bench_recordings');
  cleanups.push(() => admin.unsafe('drop database if exists calltrail_bench_recordings with (force)'));
  const dbUrl = new URL(options.adminUrl);
  dbUrl.pathname = '/calltrail_bench_recordings';

  const configFile = join(options.dataDir, 'calltrail.json');
  await import('node:fs/promises').then((fs) =>
    // One link hammered by 50 connections: the per-link limit is raised (not removed), so its bucket is still taken.
    fs.writeFile(
      configFile,
      JSON.stringify({ recordings: { allowed_hosts: { generic: ['127.0.0.1'] }, allow_private_hosts: true, link_requests_per_minute: 1_000_000 } }),
    ),
  );
  const port = await freePort();
  const child = spawn(process.execPath, ['bin/calltrail.mjs', 'serve'], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      DATA_DIR: options.dataDir,
      DATABASE_URL: dbUrl.toString(),
      CONFIG_FILE: configFile,
      GENERIC_WEBHOOK_SECRET: SECRET,
      ADMIN_TOKEN: ADMIN,
      // A configured key: a generated one is only kept with SECRETS_KEYS set (it is stored sealed).
      RECORDING_LINK_KEYS: 'bench:bench-recording-link-key-0123456789',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  cleanups.push(() => stop(child));
  const base = `http://127.0.0.1:${port}`;
  await until(async () => (await fetch(`${base}/health`).catch(() => null))?.ok === true, 60_000, 'the service to start');

  // A 10-minute call with its recording, through the real path: webhook, fetch, archive, MP3, note.
  const now = Math.floor(Date.now() / 1000);
  const body = JSON.stringify({
    type: 'call.ended',
    call_id: 'bench-rec-1',
    direction: 'inbound',
    from: '+7 495 123-45-67',
    to: '101',
    extension: '101',
    started_at: now - 610,
    answered_at: now - 605,
    ended_at: now - 5,
    disposition: 'answered',
    recording: { id: 'r1', url: `http://127.0.0.1:${pbxPort}/call.wav` },
  });
  const { signatureHeader } = await import('../../src/pbx/generic/signature');
  const posted = await fetch(`${base}/v1/pbx/generic/events`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'x-calltrail-signature': await signatureHeader(SECRET, body, now) },
  });
  if (posted.status !== 202) throw new Error(`the webhook answered ${posted.status}`);
  let link = '';
  await until(
    async () => {
      const state = (await (await fetch(`${base}/sandbox/amocrm/__sandbox/state`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as {
        notes: { params: { link?: string } }[];
      };
      link = state.notes.find((n) => n.params.link)?.params.link ?? '';
      return link !== '';
    },
    120_000,
    'the note with its recording link',
  );
  const path = new URL(link).pathname + new URL(link).search;
  const head = await fetch(`${base}${path}`, { method: 'HEAD' });
  const fileBytes = Number(head.headers.get('content-length'));

  // The same bytes, for the plain server.
  const mp3Path = join(options.dataDir, 'same.mp3');
  const mp3 = new Uint8Array(await (await fetch(`${base}${path}`)).arrayBuffer());
  await import('node:fs/promises').then((fs) => fs.writeFile(mp3Path, mp3));
  const plain = staticServer(mp3Path);
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => plain.close(resolve)));
  const plainUrl = `http://127.0.0.1:${(plain.address() as { port: number }).port}/same.mp3`;

  const service = await load('calltrail /recordings/:id.mp3 (signed, PostgreSQL, local storage)', `${base}${path}`, fileBytes, options, child.pid);
  const baseline = await load('plain static server (node:http + fs, Range)', plainUrl, fileBytes, options);
  return { service, baseline, fileBytes };
}

/** 50 connections, each request a random 64 KiB range (a player seeking around the call). */
async function load(label: string, url: string, size: number, options: ServeOptions, pid?: number): Promise<ServeFigures> {
  const span = 64 * 1024;
  const rss: number[] = [];
  const sampler = pid ? setInterval(() => rss.push(rssMiB(pid)), 200) : undefined;
  const probe = cpuProbe(pid);
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.seconds,
    requests: [
      {
        setupRequest: (request) => {
          const start = Math.floor(Math.random() * Math.max(1, size - span));
          return { ...request, headers: { ...(request.headers ?? {}), range: `bytes=${start}-${start + span - 1}` } };
        },
      },
    ],
  });
  const cpu = probe() as { service?: number; bench: number };
  if (sampler) clearInterval(sampler);
  const sorted = [...rss].sort((a, b) => a - b);
  const third = (i: number) => {
    const part = rss.slice(Math.floor((rss.length * i) / 3), Math.floor((rss.length * (i + 1)) / 3)).sort((a, b) => a - b);
    return part[Math.floor(part.length / 2)] ?? 0;
  };
  return {
    label,
    requestsPerSecond: result.requests.average,
    megabytesPerSecond: result.throughput.average / 1024 / 1024,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    cores: cpu.service,
    ...(sorted.length
      ? {
          rssMiB: {
            min: sorted[0] as number,
            median: sorted[Math.floor(sorted.length / 2)] as number,
            max: sorted.at(-1) as number,
            thirds: [third(0), third(1), third(2)] as [number, number, number],
          },
        }
      : {}),
  };
}

function staticServer(file: string) {
  const size = statSync(file).size;
  return createServer((req, res) => {
    const match = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (!match) {
      res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': size, 'accept-ranges': 'bytes' });
      createReadStream(file).pipe(res);
      return;
    }
    const start = Number(match[1]);
    const end = Math.min(match[2] ? Number(match[2]) : size - 1, size - 1);
    res.writeHead(206, {
      'content-type': 'audio/mpeg',
      'content-length': end - start + 1,
      'content-range': `bytes ${start}-${end}/${size}`,
      'accept-ranges': 'bytes',
    });
    createReadStream(file, { start, end }).pipe(res);
  });
}

function rssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = netServer();
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
