/**
 * The service side of the scale bench: M `node bin/calltrail.mjs serve --role all` processes on
 * one PostgreSQL database, exactly as deployed, and the accounts added to them through
 * `POST /v1/accounts` — each with its own sandbox amoCRM, long-lived token and webhook secret.
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '../ingest/service.mjs';

const BIN = 'bin/calltrail.mjs';

export interface ClusterOptions {
  databaseUrl: string;
  dataDir: string;
  adminToken: string;
  secretsKeys: string;
  /** Account 1's webhook secret (account 1 stays idle, in sandbox mode). */
  secret: string;
  databasePoolSize: number;
  accountPoolSize: number;
  /** Integrator config for account 1 and every added account (CONFIG; `config` of POST /v1/accounts). */
  config: Record<string, unknown>;
}

export interface Process {
  pid: number;
  url: string;
  /** Lines printed (at LOG_LEVEL=warn, each one is news): how many, and the last few. */
  log: { count: number; tail: string[] };
  stop(): Promise<number | string | null>;
}

export interface AccountSpec {
  slug: string;
  crmUrl: string;
  token: string;
  rps: number;
  secret: string;
  config: Record<string, unknown>;
}

/** Only what the service needs: nothing from the caller's shell (a real AMOCRM_* token) leaks in. */
function environment(options: ClusterOptions, port: number): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
    PORT: String(port),
    DATABASE_URL: options.databaseUrl,
    DATA_DIR: options.dataDir,
    ADMIN_TOKEN: options.adminToken,
    SECRETS_KEYS: options.secretsKeys,
    GENERIC_WEBHOOK_SECRET: options.secret,
    CONFIG: JSON.stringify(options.config),
    DATABASE_POOL_SIZE: String(options.databasePoolSize),
    ACCOUNT_POOL_SIZE: String(options.accountPoolSize),
    // Diagnosis: BENCH_SCALE_LOG_LEVEL=info and BENCH_SCALE_LOG_DIR keep every process's whole log.
    LOG_LEVEL: process.env.BENCH_SCALE_LOG_LEVEL ?? 'warn',
  };
}

/** `calltrail serve --role all`; resolves once /health answers 200. */
export async function startProcess(options: ClusterOptions): Promise<Process> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [BIN, 'serve', '--role', 'all'], {
    cwd: REPO_ROOT,
    env: environment(options, port),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = { count: 0, tail: [] as string[] };
  const keep = process.env.BENCH_SCALE_LOG_DIR ? createWriteStream(join(process.env.BENCH_SCALE_LOG_DIR, `serve-${port}-${child.pid}.log`)) : null;
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => {
      keep?.write(`${line}\n`);
      log.count++;
      log.tail.push(line);
      if (log.tail.length > 5) log.tail.shift();
    });
  }
  let exitCode: number | string | null = null;
  const exited = once(child, 'exit').then(([code, signal]) => (exitCode = code ?? signal));
  const stop = async () => {
    if (exitCode !== null) return exitCode;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
    return exitCode;
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (exitCode !== null) throw new Error(`calltrail serve exited (${exitCode}) before it was healthy\n${log.tail.join('\n')}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`calltrail serve was not healthy within 120 s\n${log.tail.join('\n')}`);
    }
    if (await answers(`${url}/health`)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { pid: child.pid as number, url, log, stop };
}

async function answers(url: string, headers: Record<string, string> = {}): Promise<boolean> {
  try {
    const response = await fetch(url, { headers });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/** Adds an account through the instance owner's API; it is created, migrated and running on return. */
export async function addAccount(process: Process, adminToken: string, spec: AccountSpec): Promise<void> {
  const response = await fetch(`${process.url}/v1/accounts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      slug: spec.slug,
      name: `Bench ${spec.slug}`,
      variables: {
        AMOCRM_BASE_URL: spec.crmUrl,
        AMOCRM_LONG_LIVED_TOKEN: spec.token,
        AMOCRM_RPS: String(spec.rps),
        GENERIC_WEBHOOK_SECRET: spec.secret,
      },
      config: spec.config,
    }),
  });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`POST /v1/accounts (${spec.slug}) answered ${response.status}: ${text.slice(0, 300)}`);
  if (!text.includes('"running":true')) throw new Error(`the account ${spec.slug} was added but is not running: ${text.slice(0, 300)}`);
}

/** Waits until every process serves every account (a process started before an account starts it on its first request). */
export async function waitForAccounts(processes: Process[], slugs: string[], adminToken: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (const process of processes) {
    for (const slug of slugs) {
      while (!(await answers(`${process.url}/a/${slug}/health`, { authorization: `Bearer ${adminToken}` }))) {
        if (Date.now() > deadline) throw new Error(`${process.url} does not serve /a/${slug}/health within 120 s\n${process.log.tail.join('\n')}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
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
