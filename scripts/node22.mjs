#!/usr/bin/env node
// Runs a Node script under Node >= 22.19, which calltrail and its test tools need. On an older
// Node (fresh machines often have one) it takes Node 22 from the npm registry via `npx -y node@22`
// and uses that, so `npm start` and `npm test` work anywhere. The path found is remembered in
// node_modules/.cache/calltrail/node22 (asking npx costs a second or more). Signals reach the
// child, and the child's exit (its code, or its signal's) is this process's.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CACHE = join(fileURLToPath(new URL('..', import.meta.url)), 'node_modules', '.cache', 'calltrail', 'node22');

function cachedNode22() {
  try {
    const path = readFileSync(CACHE, 'utf8').trim();
    return path && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

function findNode22() {
  const cached = cachedNode22();
  if (cached) return cached;
  if (!process.env.CALLTRAIL_QUIET_NODE) {
    console.error(`calltrail needs Node >= 22.19 and this is ${process.version}: using Node 22 from the npm registry (npx -y node@22)`);
  }
  const printed = execFileSync('npx', ['-y', 'node@22', '-p', 'process.execPath'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const path = printed.trim().split('\n').pop();
  try {
    mkdirSync(dirname(CACHE), { recursive: true });
    writeFileSync(CACHE, `${path}\n`);
  } catch {
    // No writable node_modules: asked again next time.
  }
  return path;
}

const [major, minor] = process.versions.node.split('.').map(Number);
const node = major < 22 || (major === 22 && minor < 19) ? findNode22() : process.execPath;
// Children (test tools, the service) find the same Node first on PATH.
const env = { ...process.env, PATH: `${dirname(node)}:${process.env.PATH ?? ''}` };
const child = spawn(node, process.argv.slice(2), { stdio: 'inherit', env });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
// `npm start` stopped with a signal exits without passing it on: this process is then handed to
// init. Whoever started us is gone, so the service is stopped (gracefully) rather than orphaned.
const parent = process.ppid;
const orphanWatch = setInterval(() => {
  if (process.ppid !== parent) {
    clearInterval(orphanWatch);
    child.kill('SIGTERM');
  }
}, 500);
orphanWatch.unref();
child.on('exit', (code, signal) => {
  if (signal) {
    // Die the way the child died, so a supervisor sees the same thing.
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
    return;
  }
  process.exit(code ?? 0);
});
