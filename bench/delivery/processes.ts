/**
 * The two child processes of a scenario, both `node bin/calltrail.mjs …` exactly as deployed:
 * the sandbox amoCRM (`sandbox-crm`) and the service (`serve`) pointed at it.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '../ingest/service.mjs';

const BIN = 'bin/calltrail.mjs';

export interface Child {
  pid: number;
  /** Lines printed on stdout/stderr: how many, and the last few. */
  log: { count: number; tail: string[] };
  /** Graceful stop (SIGTERM), SIGKILL after 15 s; resolves to the exit code (or signal). */
  stop(): Promise<number | string | null>;
  exited(): number | string | null;
}

function spawnCli(args: string[], env: NodeJS.ProcessEnv, onLine?: (line: string) => void): Child {
  const child: ChildProcess = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = { count: 0, tail: [] as string[] };
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => {
      onLine?.(line);
      log.count++;
      log.tail.push(line);
      if (log.tail.length > 5) log.tail.shift();
    });
  }
  let exitCode: number | string | null = null;
  const exited = once(child, 'exit').then(([code, signal]) => (exitCode = code ?? signal));
  return {
    pid: child.pid as number,
    log,
    exited: () => exitCode,
    async stop() {
      if (exitCode !== null) return exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
      return exitCode;
    },
  };
}

/** Only what the child needs: nothing from the caller's shell (a real AMOCRM_* token) leaks in. */
function baseEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
  };
}

export interface Sandbox extends Child {
  url: string;
}

/** `calltrail sandbox-crm --port 0 …`; the port it got is read from its "listening" line. */
export async function startSandbox(options: { token: string; rps: number }): Promise<Sandbox> {
  let resolveUrl: (url: string) => void = () => {};
  const listening = new Promise<string>((resolve) => (resolveUrl = resolve));
  const args = [
    'sandbox-crm',
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    '--token',
    options.token,
    '--rps',
    String(options.rps),
    '--seed',
    'none',
    '--unknown',
    'partial',
  ];
  const child = spawnCli(args, baseEnv(), (line) => {
    try {
      const parsed = JSON.parse(line) as { msg?: string; url?: string };
      if (parsed.msg === 'sandbox amoCRM listening' && parsed.url) resolveUrl(parsed.url);
    } catch {
      // not a JSON line
    }
  });
  const url = await waitFor(listening, child, 30_000, 'the sandbox CRM did not start listening');
  return { ...child, url };
}

export interface ServiceOptions {
  databaseUrl: string;
  dataDir: string;
  crmUrl: string;
  token: string;
  rps: number;
  adminToken: string;
  secret: string;
  /** Integrator config as JSON (the CONFIG variable). */
  config: string;
  /** More variables for the service (LOOKUP_TOKEN, …). */
  env?: Record<string, string>;
}

export interface Service extends Child {
  url: string;
}

/** The environment the service gets; the bench's own ingest parses the same one. */
export function serviceEnv(options: ServiceOptions & { port?: number }): Record<string, string> {
  return {
    ...(options.port ? { PORT: String(options.port) } : {}),
    DATABASE_URL: options.databaseUrl,
    DATA_DIR: options.dataDir,
    AMOCRM_BASE_URL: options.crmUrl,
    AMOCRM_LONG_LIVED_TOKEN: options.token,
    AMOCRM_RPS: String(options.rps),
    LOG_LEVEL: 'warn',
    ADMIN_TOKEN: options.adminToken,
    GENERIC_WEBHOOK_SECRET: options.secret,
    CONFIG: options.config,
    ...options.env,
  };
}

/** `calltrail serve`; resolves once /health answers 200 (it is draining deliveries by then). */
export async function startService(options: ServiceOptions): Promise<Service> {
  const port = await freePort();
  const child = spawnCli(['serve'], { ...baseEnv(), ...serviceEnv({ ...options, port }) });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(waitForHealth(url, child), child, 90_000, 'the service was not healthy');
  return { ...child, url };
}

async function waitForHealth(url: string, child: Child): Promise<string> {
  for (;;) {
    if (child.exited() !== null) throw new Error(`exited (${child.exited()}) before it was healthy`);
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) return url;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The child's start, bounded: on a timeout or an early exit the child is stopped and its last lines shown. */
async function waitFor<T>(ready: Promise<T>, child: Child, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  const exit = new Promise<never>((_, reject) => {
    const poll = setInterval(() => {
      if (child.exited() === null) return;
      clearInterval(poll);
      reject(new Error(`${what}: it exited with ${child.exited()}`));
    }, 50);
    void timeout.catch(() => clearInterval(poll));
    void ready.then(
      () => clearInterval(poll),
      () => clearInterval(poll),
    );
  });
  try {
    return await Promise.race([ready, timeout, exit]);
  } catch (error) {
    await child.stop();
    throw new Error(`${(error as Error).message}\n${child.log.tail.join('\n')}`);
  } finally {
    clearTimeout(timer);
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}
