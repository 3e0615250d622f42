/**
 * `calltrail sandbox-crm` as a real process (issue 13 item 8): on loopback its page and controls
 * answer to --admin-token once one is given, while its amoCRM API keeps answering to --token;
 * bound beyond loopback without an admin token it refuses to start, naming the fix.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '../../bin/calltrail.mjs');
const ADMIN = 'sandbox-admin-token-0123456789';

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function run(args: string[]): Run {
  const child = spawn(process.execPath, [BIN, 'sandbox-crm', ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function listening(r: Run): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const url = /"url":"(http:\/\/[^"]+)"/.exec(r.output())?.[1];
    if (url) return url;
    if (r.child.exitCode !== null) throw new Error(`sandbox-crm exited:\n${r.output()}`);
    if (Date.now() > deadline) throw new Error(`sandbox-crm did not listen:\n${r.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('calltrail sandbox-crm', () => {
  it('refuses to listen beyond loopback without --admin-token, and says so', async () => {
    const r = run(['--host', '0.0.0.0', '--port', '0']);
    const timer = setTimeout(() => r.child.kill('SIGKILL'), 20_000);
    const code = await r.exited;
    clearTimeout(timer);
    expect(code).toBe(1);
    expect(r.output()).toContain('--host 0.0.0.0 reaches beyond this machine: give --admin-token');
  });

  it('guards its page and controls with --admin-token; its amoCRM API keeps its own --token', async () => {
    const r = run(['--port', '0', '--token', 'api-token', '--admin-token', ADMIN]);
    try {
      const url = await listening(r);
      expect(r.output()).toContain('"controls":"admin token required"');
      expect((await fetch(`${url}/`)).status).toBe(401);
      expect((await fetch(`${url}/__sandbox/faults`, { method: 'POST', body: JSON.stringify({ rate: 1 }) })).status).toBe(401);
      expect((await fetch(`${url}/__sandbox/stats`, { headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(200);
      const stats = (await (await fetch(`${url}/__sandbox/stats`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { faultsInjected: number };
      expect(stats.faultsInjected).toBe(0);
      expect((await fetch(`${url}/api/v4/account`, { headers: { authorization: 'Bearer api-token' } })).status).toBe(200);
    } finally {
      r.child.kill('SIGTERM');
      expect(await r.exited).toBe(0);
    }
  });
});
