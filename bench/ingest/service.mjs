/**
 * The real service as a child process: `node bin/calltrail.mjs serve`, exactly as deployed.
 * @module
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = 'bin/calltrail.mjs';

/**
 * A minimal environment, so that nothing from the caller's shell (an AMOCRM_* token, a
 * DATABASE_URL left exported) changes what is measured or sends calls to a real CRM.
 */
function serviceEnv({ port, databaseUrl, dataDir, secret }) {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
    ...(port ? { PORT: String(port) } : {}),
    DATA_DIR: dataDir,
    GENERIC_WEBHOOK_SECRET: secret,
    // Per-request access logs at info would measure the logger as much as the service.
    LOG_LEVEL: 'warn',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  };
}

/** Runs a one-shot CLI command (e.g. `migrate`) with the same environment as the service. */
export async function runCli(args, options) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env: serviceEnv(options), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`calltrail ${args.join(' ')} exited with ${code}: ${output.trim()}`);
}

export async function startService({ databaseUrl, dataDir, secret }) {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'serve'], {
    cwd: REPO_ROOT,
    env: serviceEnv({ port, databaseUrl, dataDir, secret }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // At warn level anything the service prints is worth showing; keep the tail for the report.
  const log = { count: 0, tail: [] };
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      log.count++;
      log.tail.push(line);
      if (log.tail.length > 5) log.tail.shift();
    });
  }
  let exitCode = null;
  const exited = once(child, 'exit').then(([code, signal]) => (exitCode = code ?? signal));

  const url = `http://127.0.0.1:${port}`;
  const service = {
    url,
    pid: child.pid,
    log,
    /** Graceful stop (SIGTERM lets it finish requests and close the database), then SIGKILL. */
    async stop() {
      if (exitCode !== null) return exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
      return exitCode;
    },
  };
  try {
    await waitForHealth(url, () => exitCode, 90_000);
  } catch (error) {
    await service.stop();
    throw new Error(`${error.message}\n${log.tail.join('\n')}`);
  }
  return service;
}

async function waitForHealth(url, exitCode, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exitCode() !== null) throw new Error(`the service exited (${exitCode()}) before it was healthy`);
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the service was not healthy within ${timeoutMs / 1000} s`);
}

async function freePort() {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}
