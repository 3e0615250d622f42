/**
 * The Node service as a real process, started as README's first command starts it (nothing
 * configured): the sandbox CRM's page stays open in that pure local mode, and the requests Node's
 * HTTP parser refuses before Hono — an oversized header (431), a malformed request line (400) —
 * get the usual JSON error envelope instead of a bare status line (issue 13 item 8).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, testDbKind, type TestDb } from '#test/db';
import { startService, type Service } from '#test/process';

let dir: string;
let db: TestDb | undefined;
let service: Service;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'calltrail-client-errors-'));
  const env: Record<string, string> = { DATA_DIR: dir, LOG_LEVEL: 'info' };
  if (testDbKind() === 'postgres') {
    db = await createTestDb();
    env.DATABASE_URL = db.url ?? '';
  }
  service = await startService(env);
});
afterAll(async () => {
  if (service) expect(await service.stop()).toBe(0);
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

type Envelope = { error: { code: string; message: string; requestId: string } };

/** Raw bytes in, everything read until the server closes out: no client library in between. */
function exchange(data: string): Promise<string> {
  const { port } = new URL(service.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let out = '';
    socket.on('data', (d) => (out += d));
    socket.on('error', reject);
    socket.on('close', () => resolve(out));
    socket.on('connect', () => socket.write(data));
  });
}

describe('calltrail serve with nothing configured', () => {
  it('shows the sandbox CRM at /sandbox/amocrm/ without any token, as README says', async () => {
    const res = await fetch(`${service.url}/sandbox/amocrm/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Ivan Petrov');
  });

  it('answers an oversized request header with 431 and the JSON error envelope', async () => {
    const res = await fetch(`${service.url}/health`, { headers: { 'x-padding': 'x'.repeat(20_000) } });
    expect(res.status).toBe(431);
    expect(res.headers.get('content-type')).toBe('application/json; charset=UTF-8');
    const body = (await res.json()) as Envelope;
    expect(body.error.code).toBe('header_too_large');
    expect(body.error.message).toMatch(/headers are larger than the \d+ bytes/);
    expect(body.error.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('x-request-id')).toBe(body.error.requestId);
    // Logged by its request id, never with what the header carried.
    await expect.poll(() => service.output()).toContain(body.error.requestId);
    expect(service.output()).not.toContain('xxxxxxxx');
  });

  it('answers a malformed request line with 400 and the envelope, and keeps serving', async () => {
    const answer = await exchange('NOT AN HTTP REQUEST\r\n\r\n');
    const [head = '', json = ''] = answer.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(head).toMatch(/\r\nContent-Type: application\/json; charset=UTF-8(\r\n|$)/);
    expect((JSON.parse(json) as Envelope).error.code).toBe('bad_request');
    expect((await fetch(`${service.url}/health`)).status).toBe(200);
  });
});
