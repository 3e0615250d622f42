/**
 * bench/recordings: (1) transcoding a 10-minute 8 kHz mono call to MP3 in-process, × real time,
 * against sox/lame in the same run (transcode.ts); (2) serving one call's MP3 to 50 concurrent
 * ranged requests through the signed link, against a plain static file server serving the same
 * file in the same run, with the service's memory sampled throughout (serve.ts).
 *
 *   npm run bench:recordings       (node --import tsx bench/recordings/run.ts [--seconds 10] [--connections 50])
 *
 * Exits 1 when a check fails: the transcode's own checks, any non-2xx answer while serving, or
 * the service's memory growing over the serving run.
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../ingest/service.mjs';
import { machineInfo } from '../ingest/sys.mjs';
import { benchServing, type ServeFigures } from './serve';
import { speechSamples, wav16 } from './speech';
import { printTranscode, runTranscodeBench } from './transcode';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '20' }, connections: { type: 'string', default: '50' }, runs: { type: 'string', default: '5' } },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const runs = Number(values.runs);
for (const [name, value] of Object.entries({ seconds, connections, runs })) {
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} expects a positive integer`);
}

const cleanups: (() => Promise<unknown>)[] = [];
async function cleanUp() {
  while (cleanups.length)
    await cleanups
      .pop()?.()
      .catch((error: Error) => console.error(`cleanup: ${error.message}`));
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanUp().finally(() => process.exit(130)));

const print = (line = '') => console.log(line);
let ok = true;
try {
  const machine = machineInfo();
  print('calltrail recordings benchmark');
  print();
  print(`  machine    ${machine.cpus} CPUs (${machine.model}), Linux ${machine.kernel}, Node ${machine.node}`);
  print(`  command    node --import tsx ${relative(REPO_ROOT, process.argv[1] ?? '')} ${process.argv.slice(2).join(' ')}`.trimEnd());
  print();
  print('1. transcode');
  const transcode = await runTranscodeBench({ minutes: 10, runs, log: (line) => console.error(line) });
  printTranscode(transcode, (line) => print(`  ${line}`));
  if (transcode.checks.some((c) => !c.ok)) ok = false;

  print();
  print('2. serving');
  const dataDir = mkdtempSync(join(tmpdir(), 'calltrail-bench-serve-'));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  const wav = wav16(speechSamples(600, 8000), 8000);
  const { service, baseline, fileBytes } = await benchServing(
    { dataDir, adminUrl: process.env.BENCH_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/postgres', wav, connections, seconds },
    cleanups,
  );
  print(
    `  one 10-minute call's MP3 (${(fileBytes / 1024 / 1024).toFixed(2)} MiB); ${connections} connections for ${seconds} s each; every request a random 64 KiB range`,
  );
  print();
  const row = (f: ServeFigures) =>
    `  ${f.label.padEnd(64)} ${f.requestsPerSecond.toFixed(0).padStart(7)} req/s ${f.megabytesPerSecond.toFixed(1).padStart(7)} MiB/s  p50 ${String(f.p50).padStart(4)} ms  p99 ${String(f.p99).padStart(4)} ms  non-2xx ${f.non2xx}`;
  print(row(service));
  print(row(baseline));
  const ratio = service.requestsPerSecond / baseline.requestsPerSecond;
  print();
  print(`  calltrail serves ${(ratio * 100).toFixed(1)} % of the plain server's requests/s (each request also checks the signature and reads the database)`);
  if (service.cores !== undefined) print(`  service CPU ${service.cores.toFixed(2)} cores`);
  if (service.rssMiB) {
    const { min, median, max, thirds } = service.rssMiB;
    print(
      `  service RSS during the run: min ${min.toFixed(0)} / median ${median.toFixed(0)} / max ${max.toFixed(0)} MiB; median of each third ${thirds.map((t) => t.toFixed(0)).join(' / ')} MiB`,
    );
    // Streamed, not buffered: memory settles after warm-up instead of climbing with the requests.
    if (thirds[2] - thirds[1] > 32) {
      ok = false;
      print(`  FAILED memory kept growing: ${thirds[1].toFixed(0)} → ${thirds[2].toFixed(0)} MiB from the middle to the last third`);
    }
  }
  if (service.non2xx > 0 || baseline.non2xx > 0) {
    ok = false;
    print(`  FAILED non-2xx answers: service ${service.non2xx}, baseline ${baseline.non2xx}`);
  }
  print();
  print(ok ? 'all checks passed' : 'some checks FAILED');
} catch (error) {
  ok = false;
  console.error(`benchmark failed: ${(error as Error).stack ?? error}`);
} finally {
  await cleanUp();
}
process.exit(ok ? 0 : 1);
