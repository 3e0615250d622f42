/**
 * Transcode benchmark: buildCallAudio (LAME compiled to WebAssembly) on one 10-minute 8 kHz mono
 * 16-bit WAV (a synthesized, speech-like call, see speech.ts) — × real time (audio seconds per
 * wall second, median of N runs), CPU time, output size, and the process's RSS before, during
 * (peak) and after each run — against, in the same run: the native `lame` CLI and sox (native
 * libmp3lame) encoding the same file at the same bitrate, each when installed (the bench installs
 * nothing and says what was absent), and lamejs (LAME compiled to JavaScript, the encoder
 * calltrail used before) encoding the same samples. Goal: ≥ 50 % of the lame CLI's speed (sox's
 * when lame is absent). See README.md.
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
import { Mp3Encoder } from '@breezystack/lamejs';
import { MPEGDecoder } from 'mpg123-decoder';
// LAME's WebAssembly module, provided as the Node service provides it.
import '../../src/entry/node/lame';
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
  /** lamejs encoding the decoded samples (no WAV parsing, no tag): the encoder it replaced. */
  lamejs: Timing & { outputBytes: number };
  /** The native encoders, lame CLI first: the goal is measured against the first one present. */
  baselines: Baseline[];
  goal: { against: string; share: number; met: boolean } | null;
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

export type Baseline = (Timing & { kind: 'sox' | 'lame'; command: string; outputBytes: number }) | { kind: 'sox' | 'lame'; absent: string };

/** The goal: calltrail's encode at ≥ 50 % of the native encoder's speed. */
export const NATIVE_SHARE_GOAL = 0.5;

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

    // Warm-up: the first call compiles LAME's module and the decoder; not what a long-lived worker pays per call.
    await buildCallAudio([{ bytes: bytes.subarray(0, 44 + SAMPLE_RATE * 2 * 5) }]);
    await settle(gc);
    const beforeMiB = rssMiB();
    const liveBeforeMiB = liveMiB();
    const wall: number[] = [];
    const cpu: number[] = [];
    const afterMiB: number[] = [];
    const peaks: number[] = [];
    let canResetPeak = true;
    let output: Awaited<ReturnType<typeof buildCallAudio>> | null = null;
    for (let run = 0; run < runs; run++) {
      output = null;
      gc();
      canResetPeak &&= resetPeak();
      const cpuStart = process.cpuUsage();
      const start = performance.now();
      output = await buildCallAudio([{ bytes, name: 'call.wav' }]);
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

    const pcm16 = decodePcm(readWav(bytes)).channels[0] as Int16Array;
    const lamejsWall: number[] = [];
    let lamejsBytes = 0;
    for (let run = 0; run < runs; run++) {
      const start = performance.now();
      lamejsBytes = encodeWithLamejs(pcm16, mp3Bitrate(SAMPLE_RATE, 1));
      lamejsWall.push((performance.now() - start) / 1000);
    }
    log(`lamejs: median ${median(lamejsWall).toFixed(2)} s`);

    const decoder = new MPEGDecoder();
    await decoder.ready;
    const decoded = decoder.decode(output.mp3);
    decoder.free();

    const baselines = measureBaselines(input, join(dir, 'baseline.mp3'), runs, audioSeconds, log);
    const reference = baselines.find((b): b is Extract<Baseline, { seconds: number }> => 'seconds' in b);
    const buildSeconds = median(wall);
    const goal = reference
      ? { against: reference.kind, share: reference.seconds / buildSeconds, met: reference.seconds / buildSeconds >= NATIVE_SHARE_GOAL }
      : null;
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
      lamejs: { ...timing(lamejsWall, audioSeconds), outputBytes: lamejsBytes },
      baselines,
      goal,
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

/** The previous encoder on the same samples, as mp3.ts used it (1152 × 8 samples a call). */
function encodeWithLamejs(samples: Int16Array, kbps: number): number {
  const encoder = new Mp3Encoder(1, SAMPLE_RATE, kbps);
  let length = 0;
  for (let at = 0; at < samples.length; at += 1152 * 8) length += encoder.encodeBuffer(samples.subarray(at, at + 1152 * 8)).length;
  return length + encoder.flush().length;
}

/** The lame CLI and sox with its MP3 handler (libmp3lame), at our bitrate, each when installed. */
function measureBaselines(input: string, out: string, runs: number, audioSeconds: number, log: (line: string) => void): Baseline[] {
  const kbps = String(mp3Bitrate(SAMPLE_RATE, 1));
  const candidates: { kind: 'sox' | 'lame'; available: () => boolean; args: string[]; absent: string }[] = [
    {
      kind: 'lame',
      available: () => run('lame', ['--version']).status === 0,
      args: ['--quiet', '--cbr', '-b', kbps, input, out],
      absent: 'the lame CLI is not installed (Debian: apt-get install lame)',
    },
    {
      kind: 'sox',
      available: () => / mp3 /.test(run('sox', ['--help']).stdout),
      args: ['-D', input, '-C', kbps, out],
      absent: 'sox with MP3 support is not installed (Debian: apt-get install sox libsox-fmt-mp3)',
    },
  ];
  return candidates.map((candidate): Baseline => {
    if (!candidate.available()) return { kind: candidate.kind, absent: candidate.absent };
    const wall: number[] = [];
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      const result = run(candidate.kind, candidate.args);
      wall.push((performance.now() - start) / 1000);
      if (result.status !== 0) return { kind: candidate.kind, absent: `${candidate.kind} failed: ${result.stderr.trim()}` };
    }
    const command = [candidate.kind, ...candidate.args].join(' ');
    log(`baseline: ${command}`);
    return { kind: candidate.kind, command, ...timing(wall, audioSeconds), outputBytes: statSync(out).size };
  });
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
  const { build, memory, baselines, machine, goal } = result;
  print(`machine: ${machine.cpus} × ${machine.model}, node ${machine.node}, kernel ${machine.kernel}`);
  print(`input: ${result.audioSeconds / 60}-minute 8 kHz mono 16-bit WAV (speech-like), ${(result.inputBytes / MiB).toFixed(1)} MiB; ${result.runs} runs each`);
  print(`buildCallAudio (WAV → MP3, LAME WebAssembly): ${s(build)}; CPU ${build.cpuSeconds.toFixed(2)} s per run`);
  print(`  output ${n(build.outputBytes)} bytes, ${build.kbps} kbit/s CBR, durationMs ${n(build.durationMs)}`);
  print(`  of which WAV decoding (readWav + decodePcm): ${s(result.decodeOnly)}`);
  print(`lamejs (LAME in JavaScript, the previous encoder), same samples: ${s(result.lamejs)}; output ${n(result.lamejs.outputBytes)} bytes`);
  print(`  buildCallAudio is ${(result.lamejs.seconds / build.seconds).toFixed(1)}× as fast as lamejs alone`);
  for (const baseline of baselines) {
    if ('absent' in baseline) print(`baseline ${baseline.kind}: absent — ${baseline.absent}`);
    else {
      print(`baseline: ${baseline.command} (native libmp3lame, same bitrate): ${s(baseline)}; output ${n(baseline.outputBytes)} bytes`);
      print(`  buildCallAudio runs at ${((baseline.seconds / build.seconds) * 100).toFixed(1)} % of its speed`);
    }
  }
  if (goal) {
    print(`  ${(goal.met ? 'MET' : 'MISSED').padEnd(7)}≥ ${NATIVE_SHARE_GOAL * 100} % of native ${goal.against}'s speed: ${(goal.share * 100).toFixed(1)} %`);
  } else print('  MISSED  no native encoder to compare with (see above): the goal cannot be judged here');
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
