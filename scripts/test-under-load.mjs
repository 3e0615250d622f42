#!/usr/bin/env node
/**
 * `npm run test:loaded [-- --runs N --cpu N]`: the whole vitest suite, N times in a row, on a
 * machine kept busy by another process — `stress-ng --cpu N` when it is installed, else the same
 * load made here (one busy child process per CPU asked for). Stops at the first failing run.
 * Prints, per run: result, wall time, tests passed/failed, and the slowest tests; then the
 * command and the load used, so the figures can be reproduced.
 *
 * Assumes `npm run build` has run (npm test does it first); needs the same services as npm test.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, cpu: { type: 'string', default: '2' }, slowest: { type: 'string', default: '5' } },
});
const runs = Number(values.runs);
const cpu = Number(values.cpu);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(cpu) || cpu < 0) {
  console.error('test:loaded: --runs and --cpu take whole numbers (runs ≥ 1)');
  process.exit(2);
}

/** The load: stress-ng if present (what the issue names), else busy Node children. */
function startLoad() {
  if (cpu === 0) return { name: 'none', stop: () => {} };
  if (spawnSync('stress-ng', ['--version'], { stdio: 'ignore' }).status === 0) {
    const child = spawn('stress-ng', ['--cpu', String(cpu), '--timeout', '0'], { stdio: 'ignore', detached: true });
    return { name: `stress-ng --cpu ${cpu}`, stop: () => kill(child) };
  }
  const children = Array.from({ length: cpu }, () => spawn(process.execPath, ['-e', 'for(;;){Math.sqrt(Math.random())}'], { stdio: 'ignore', detached: true }));
  return { name: `${cpu} busy node processes (stress-ng not installed)`, stop: () => children.forEach(kill) };
}

function kill(child) {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

function runSuite(outputFile) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--reporter=dot', '--reporter=json', `--outputFile.json=${outputFile}`], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('exit', (code) => resolve({ code: code ?? 1, seconds: (Date.now() - started) / 1000 }));
  });
}

function summarize(outputFile) {
  try {
    const report = JSON.parse(readFileSync(outputFile, 'utf8'));
    const tests = report.testResults.flatMap((file) =>
      file.assertionResults.map((t) => ({ name: `${file.name.replace(`${process.cwd()}/`, '')} › ${t.fullName}`, ms: t.duration ?? 0, status: t.status })),
    );
    return {
      passed: report.numPassedTests,
      failed: report.numFailedTests,
      skipped: report.numPendingTests + report.numTodoTests,
      failures: tests.filter((t) => t.status === 'failed').map((t) => t.name),
      slowest: tests.sort((a, b) => b.ms - a.ms).slice(0, Number(values.slowest)),
    };
  } catch (error) {
    return { passed: 0, failed: 0, skipped: 0, failures: [`no report: ${error.message}`], slowest: [] };
  }
}

const dir = mkdtempSync(join(tmpdir(), 'calltrail-loaded-'));
const load = startLoad();
const stopLoad = () => load.stop();
process.on('SIGINT', () => {
  stopLoad();
  process.exit(130);
});
const rows = [];
try {
  for (let i = 1; i <= runs; i++) {
    console.log(`\n== run ${i} of ${runs} under ${load.name} (load average ${loadavg()[0].toFixed(1)} on ${cpus().length} CPUs)`);
    const file = join(dir, `run-${i}.json`);
    const { code, seconds } = await runSuite(file);
    const s = summarize(file);
    rows.push({ i, code, seconds, ...s });
    console.log(`run ${i}: ${code === 0 ? 'PASSED' : 'FAILED'} in ${seconds.toFixed(0)} s — ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`);
    for (const t of s.slowest) console.log(`  slowest: ${(t.ms / 1000).toFixed(1)} s  ${t.name}`);
    for (const f of s.failures) console.log(`  FAILED: ${f}`);
    if (code !== 0) break;
  }
} finally {
  stopLoad();
  rmSync(dir, { recursive: true, force: true });
}

console.log(`\n| run | result | wall | passed | failed | slowest test |`);
console.log('|---:|---|---:|---:|---:|---|');
for (const r of rows) {
  const slow = r.slowest[0];
  console.log(
    `| ${r.i} | ${r.code === 0 ? 'passed' : 'FAILED'} | ${r.seconds.toFixed(0)} s | ${r.passed} | ${r.failed} | ${slow ? `${(slow.ms / 1000).toFixed(1)} s` : '—'} |`,
  );
}
const ok = rows.length === runs && rows.every((r) => r.code === 0);
console.log(`\n${ok ? 'MET' : 'MISSED'}: ${rows.filter((r) => r.code === 0).length} of ${runs} runs passed in a row under ${load.name}`);
console.log(`command: npm run test:loaded -- --runs ${runs} --cpu ${cpu}`);
process.exit(ok ? 0 : 1);
