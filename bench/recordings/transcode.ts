/**
 * Transcode benchmark: buildCallAudio on one 10-minute 8 kHz mono 16-bit WAV (a synthesized,
 * speech-like call, see speech.ts) — × real time (audio seconds per wall second, median of N
 * runs), CPU time, output size, and the process's RSS before, during (peak) and after each run —
 * against sox encoding the same file to MP3 at the same bitrate with native libmp3lame, measured
 * in the same run. See README.md.
 *
 *   node --import tsx bench/recordings/transcode.ts [--minutes 10] [--runs 5] [--json]
 *
 * Also a module: runTranscodeBench() returns the figures for the full benchmark to print.
 * Exits 1 when a check fails (wrong duration, an MP3 that does not decode to the input's length,
 * memory growing from run to run).
 * @module
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MPEGDecoder } from 'mpg123-decoder';
import { buildCallAudio } from '../../src/recordings/audio/build';
import { mp3Bitrate } from '../../src/recordings/audio/mp3';
import { decodePcm, readWav } from '../../src/recordings/audio/wav';
import { machineInfo, type MachineInfo } from '../ingest/sys.mjs';
import { speechSamples, wav16 } from './speech';

const SAMPLE_RATE = 8000;
const MiB = 2 ** 20;

export interface TranscodeOptions {
  minutes?: number;
  runs?: number;
  /** Progress lines; the result is returned either way. */
  log?: (line: string) => void;
}

export interface Timing {
  /** Median wall seconds of the runs. */
  seconds: number;
  min: number;
  max: number;
  /** Audio seconds per wall second, from the median. */
  realtime: number;
}

export interface TranscodeResult {
  machine: MachineInfo;
  audioSeconds: number;
  inputBytes: number;
  runs: number;
  build: Timing & { cpuSeconds: number; outputBytes: number; kbps: number; durationMs: number };
  decodeOnly: Timing;
  baseline: (Timing & { kind: 'sox' | 'lame'; command: string; outputBytes: number }) | { kind: 'none'; reason: string };
  memory: {
    /** RSS with the input in memory, before the first run. */
    beforeMiB: number;
    /** RSS after each run (after a full GC). */
    afterMiB: number[];
    /** Peak RSS during each run (VmHWM, reset before it), when the kernel allows the reset. */
    peakMiB: number[] | null;
    /** JS heap in use plus ArrayBuffers, after a GC: before the first run and after the last. */
    liveBeforeMiB: number;
    liveAfterMiB: number;
  };
  checks: { what: string; ok: boolean }[];
}

export async function runTranscodeBench(options: TranscodeOptions = {}): Promise<TranscodeResult> {
  const minutes = options.minutes ?? 10;
  const runs = options.runs ?? 5;
  const log = options.log ?? (() => {});
  const audioSeconds = minutes * 60;
  const gc = exposeGc();
  const dir = mkdtempSync(join(tmpdir(), 'calltrail-bench-transcode-'));
  try {
    const samples = speechSamples(audioSeconds, SAMPLE_RATE);
    const bytes = wav16(samples, SAMPLE_RATE);
    const input = join(dir, 'call.wav');
    writeFileSync(input, bytes);
    log(`input: ${minutes}-minute ${SAMPLE_RATE / 1000} kHz mono 16-bit WAV, speech-like, ${(bytes.length / MiB).toFixed(1)} MiB`);

    // Warm-up: the first call compiles lamejs and the decoder; not what a long-lived worker pays per call.
    buildCallAudio([{ bytes: bytes.subarray(0, 44 + SAMPLE_RATE * 2 * 5) }]);
    await settle(gc);
    const beforeMiB = rssMiB();
    const liveBeforeMiB = liveMiB();
    const wall: number[] = [];
    const cpu: number[] = [];
    const afterMiB: number[] = [];
    const peaks: number[] = [];
    let canResetPeak = true;
    let output: ReturnType<typeof buildCallAudio> | null = null;
    for (let run = 0; run < runs; run++) {
      output = null;
      gc();
      canResetPeak &&= resetPeak();
      const cpuStart = process.cpuUsage();
      const start = performance.now();
      output = buildCallAudio([{ bytes, name: 'call.wav' }]);
      wall.push((performance.now() - start) / 1000);
      const used = process.cpuUsage(cpuStart);
      cpu.push((used.user + used.system) / 1e6);
      if (canResetPeak) peaks.push(peakMiB());
      await settle(gc);
      afterMiB.push(rssMiB());
      log(`run ${run + 1}/${runs}: ${(wall.at(-1) as number).toFixed(2)} s, RSS after ${(afterMiB.at(-1) as number).toFixed(0)} MiB`);
    }
    if (!output) throw new Error('no run');
    const liveAfterMiB = liveMiB();

    const decodeWall: number[] = [];
    for (let run = 0; run < runs; run++) {
      const start = performance.now();
      decodePcm(readWav(bytes));
      decodeWall.push((performance.now() - start) / 1000);
    }

    const decoder = new MPEGDecoder();
    await decoder.ready;
    const decoded = decoder.decode(output.mp3);
    decoder.free();

    const baseline = measureBaseline(input, join(dir, 'baseline.mp3'), runs, audioSeconds, log);
    const kbps = mp3Bitrate(SAMPLE_RATE, 1);
    const expectedBytes = (kbps * 1000 * audioSeconds) / 8;
    // A run that kept its input or samples would add ≥ 9 MiB a run; allocator noise is a few. The
    // first run still grows the allocator's pools (V8's young generation, malloc arenas): from the
    // second on when there are three runs or more.
    const from = runs >= 3 ? 1 : 0;
    const growthPerRun = runs > 1 ? ((afterMiB.at(-1) as number) - (afterMiB[from] as number)) / (runs - 1 - from) : 0;
    const checks = [
      { what: `durationMs ${output.durationMs} = ${audioSeconds * 1000}`, ok: output.durationMs === audioSeconds * 1000 },
      {
        what: `mpg123 decodes ${decoded.samplesDecoded} samples at ${decoded.sampleRate} Hz = the input's ${samples.length}`,
        ok: decoded.samplesDecoded === samples.length && decoded.sampleRate === SAMPLE_RATE,
      },
      {
        what: `${output.mp3.length} bytes ≈ ${kbps} kbit/s × ${audioSeconds} s (${expectedBytes}, ±1 %)`,
        ok: Math.abs(output.mp3.length - expectedBytes) < expectedBytes * 0.01,
      },
      { what: `RSS flat from run ${from + 1} on: ${growthPerRun >= 0 ? '+' : ''}${growthPerRun.toFixed(1)} MiB a run (< 4)`, ok: growthPerRun < 4 },
      {
        what: `nothing kept: heap + ArrayBuffers ${liveAfterMiB.toFixed(1)} MiB after the runs vs ${liveBeforeMiB.toFixed(1)} before (+ the ${(output.mp3.length / MiB).toFixed(1)} MiB MP3 still referenced, < +4)`,
        ok: liveAfterMiB - liveBeforeMiB < output.mp3.length / MiB + 4,
      },
    ];
    return {
      machine: machineInfo(),
      audioSeconds,
      inputBytes: bytes.length,
      runs,
      build: { ...timing(wall, audioSeconds), cpuSeconds: median(cpu), outputBytes: output.mp3.length, kbps, durationMs: output.durationMs },
      decodeOnly: timing(decodeWall, audioSeconds),
      baseline,
      memory: {
        beforeMiB,
        afterMiB,
        peakMiB: canResetPeak ? peaks : null,
        liveBeforeMiB,
        liveAfterMiB,
      },
      checks,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** sox with its MP3 handler (libmp3lame) at our bitrate; else the lame CLI; else nothing. */
function measureBaseline(input: string, out: string, runs: number, audioSeconds: number, log: (line: string) => void): TranscodeResult['baseline'] {
  const kbps = String(mp3Bitrate(SAMPLE_RATE, 1));
  const candidates: { kind: 'sox' | 'lame'; available: () => boolean; args: string[] }[] = [
    { kind: 'sox', available: () => / mp3 /.test(run('sox', ['--help']).stdout), args: ['-D', input, '-C', kbps, out] },
    { kind: 'lame', available: () => run('lame', ['--version']).status === 0, args: ['--quiet', '--cbr', '-b', kbps, input, out] },
  ];
  const found = candidates.find((c) => c.available());
  if (!found) return { kind: 'none', reason: 'neither sox with MP3 support (libsox-fmt-mp3) nor the lame CLI is installed' };
  const wall: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const result = run(found.kind, found.args);
    wall.push((performance.now() - start) / 1000);
    if (result.status !== 0) return { kind: 'none', reason: `${found.kind} failed: ${result.stderr.trim()}` };
  }
  const command = [found.kind, ...found.args].join(' ');
  log(`baseline: ${command}`);
  return { kind: found.kind, command, ...timing(wall, audioSeconds), outputBytes: statSync(out).size };
}

function run(command: string, args: string[]) {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 120_000 });
  return { status: result.error ? -1 : result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

function timing(seconds: number[], audioSeconds: number): Timing {
  const mid = median(seconds);
  return { seconds: mid, min: Math.min(...seconds), max: Math.max(...seconds), realtime: audioSeconds / mid };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** A full GC, and a moment for V8 to free the ArrayBuffers it swept (that happens off-thread). */
async function settle(gc: () => void): Promise<void> {
  gc();
  await new Promise((done) => setTimeout(done, 50));
  gc();
}

function liveMiB(): number {
  const usage = process.memoryUsage();
  return (usage.heapUsed + usage.arrayBuffers) / MiB;
}

/** A full GC between runs, so RSS after a run is what the run kept, not what it left for later. */
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  return gc ?? (() => {});
}

function status(key: 'VmRSS' | 'VmHWM'): number {
  const text = readFileSync('/proc/self/status', 'utf8');
  return Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) / 1024;
}

const rssMiB = () => status('VmRSS');
const peakMiB = () => status('VmHWM');

/** Resets VmHWM to the current RSS (Linux: "5" to clear_refs); false where that is not allowed. */
function resetPeak(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return Math.abs(peakMiB() - rssMiB()) < 8;
  } catch {
    return false;
  }
}

export function printTranscode(result: TranscodeResult, print: (line: string) => void = console.log): void {
  const n = (v: number) => Math.round(v).toLocaleString('en-US');
  const s = (t: Timing) => `median ${t.seconds.toFixed(3)} s (min ${t.min.toFixed(3)}, max ${t.max.toFixed(3)}) = ${n(t.realtime)}× real time`;
  const { build, memory, baseline, machine } = result;
  print(`machine: ${machine.cpus} × ${machine.model}, node ${machine.node}, kernel ${machine.kernel}`);
  print(`input: ${result.audioSeconds / 60}-minute 8 kHz mono 16-bit WAV (speech-like), ${(result.inputBytes / MiB).toFixed(1)} MiB; ${result.runs} runs each`);
  print(`buildCallAudio (WAV → MP3, lamejs): ${s(build)}; CPU ${build.cpuSeconds.toFixed(2)} s per run`);
  print(`  output ${n(build.outputBytes)} bytes, ${build.kbps} kbit/s CBR, durationMs ${n(build.durationMs)}`);
  print(`  of which WAV decoding (readWav + decodePcm): ${s(result.decodeOnly)}`);
  if (baseline.kind === 'none') print(`baseline: none — ${baseline.reason}; the WAV decoding above is the only reference`);
  else {
    print(`baseline: ${baseline.command} (native libmp3lame, same bitrate): ${s(baseline)}; output ${n(baseline.outputBytes)} bytes`);
    print(`  buildCallAudio takes ${(build.seconds / baseline.seconds).toFixed(1)}× the baseline's time`);
  }
  const peaks = memory.peakMiB ? `; peak during each run ${memory.peakMiB.map((m) => m.toFixed(0)).join(', ')}` : '; peak during runs not measurable here';
  print(`memory (RSS, MiB): before ${memory.beforeMiB.toFixed(0)}, after each run ${memory.afterMiB.map((m) => m.toFixed(0)).join(', ')}${peaks}`);
  print(
    `  JS heap + ArrayBuffers after GC: ${memory.liveBeforeMiB.toFixed(1)} MiB before the runs (the input WAV and its samples included), ${memory.liveAfterMiB.toFixed(1)} after`,
  );
  print('checks:');
  for (const check of result.checks) print(`  ${check.ok ? 'ok  ' : 'FAIL'} ${check.what}`);
}

const invoked = process.argv[1] ? resolve(process.argv[1]) === fileURLToPath(import.meta.url) : false;
if (invoked) {
  const { values: flags } = parseArgs({
    options: { minutes: { type: 'string', default: '10' }, runs: { type: 'string', default: '5' }, json: { type: 'boolean' } },
  });
  const minutes = Number(flags.minutes);
  const runs = Number(flags.runs);
  if (!(minutes > 0 && minutes <= 120)) throw new Error(`--minutes expects a number from 0 to 120, got "${flags.minutes}"`);
  if (!(Number.isInteger(runs) && runs >= 1 && runs <= 50)) throw new Error(`--runs expects an integer from 1 to 50, got "${flags.runs}"`);
  console.log(`bench:recordings transcode — node --import tsx bench/recordings/transcode.ts --minutes ${minutes} --runs ${runs}`);
  const result = await runTranscodeBench({ minutes, runs, log: (line) => console.error(`  ${line}`) });
  printTranscode(result);
  if (flags.json) console.log(JSON.stringify(result));
  process.exit(result.checks.every((c) => c.ok) ? 0 : 1);
}
