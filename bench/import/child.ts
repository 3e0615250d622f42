/**
 * Runs `node bin/calltrail.mjs …` as a child process and watches it: wall time, CPU shares
 * (bench/ingest/sys.mjs), and memory from /proc/<pid>/status — VmRSS sampled over time (is it
 * flat?) and VmHWM, the kernel's own peak, read until the process exits.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpuProbe, type CpuShare } from '../ingest/sys.mjs';

export const REPO_ROOT = join(import.meta.dirname, '../..');
const BIN = join(REPO_ROOT, 'bin/calltrail.mjs');
const SAMPLE_MS = 250;

export interface ChildRun {
  code: number | null;
  seconds: number;
  out: string;
  err: string;
  /** RSS samples in MiB, in time order. */
  rss: number[];
  /** Peak resident set (VmHWM), MiB. */
  peakMiB: number;
  cores: CpuShare;
}

/** Children still running, for the Ctrl-C handler. */
export const running = new Set<ChildProcess>();

function status(pid: number): { rss: number; hwm: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
    return { rss: kib('VmRSS') / 1024, hwm: kib('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

export function commandLine(args: string[]): string {
  return `node bin/calltrail.mjs ${args.join(' ')}`;
}

export function runCalltrail(args: string[], env: Record<string, string>, onStderr?: (text: string) => void): Promise<ChildRun> {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const probe = cpuProbe(child.pid);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => {
    err += d;
    onStderr?.(String(d));
  });
  const rss: number[] = [];
  let peakMiB = 0;
  let cores: CpuShare | undefined;
  const sample = () => {
    const s = child.pid ? status(child.pid) : null;
    if (!s) return;
    rss.push(s.rss);
    peakMiB = Math.max(peakMiB, s.hwm);
    cores = probe();
  };
  const timer = setInterval(sample, SAMPLE_MS);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(timer);
      running.delete(child);
      resolve({ code, seconds: (performance.now() - started) / 1000, out, err, rss, peakMiB, cores: cores ?? probe() });
    });
  });
}

/** min / median / max of the samples, and the peak. */
export function memoryLine(run: ChildRun): string {
  const sorted = [...run.rss].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  // Over time: the first, middle and last tenth, to show it is flat rather than growing.
  const tenth = Math.max(1, Math.floor(run.rss.length / 10));
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const phases = [
    run.rss.slice(0, tenth),
    run.rss.slice(Math.floor(run.rss.length / 2) - tenth / 2, Math.floor(run.rss.length / 2) + tenth / 2),
    run.rss.slice(-tenth),
  ];
  return (
    `RSS MiB min ${at(0).toFixed(0)} / median ${at(0.5).toFixed(0)} / max ${at(1 - 1e-9).toFixed(0)} over ${run.rss.length} samples; ` +
    `peak (VmHWM) ${run.peakMiB.toFixed(0)}; first/middle/last tenth avg ${phases.map((p) => avg(p).toFixed(0)).join(' / ')}`
  );
}
