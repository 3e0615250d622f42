import { serve, type ServerType } from '@hono/node-server';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLogger } from '../../lib/log';
import { answerClientErrors, rawAnswer, refusalFor } from './client-error';

let server: ServerType | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

async function start(fetch: (request: Request) => Response | Promise<Response>) {
  const log = memoryLogger();
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  answerClientErrors(server as Server, log);
  const address = server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, log };
}

/** Sends bytes in `chunks` pieces over a raw connection and returns all it reads until the close. */
function exchange(port: number, data: string, chunks = 1): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let out = '';
    socket.on('data', (d) => (out += d));
    socket.on('error', reject);
    socket.on('close', () => resolve(out));
    socket.on('connect', async () => {
      const size = Math.ceil(data.length / chunks);
      for (let i = 0; i < data.length; i += size) {
        socket.write(data.slice(i, i + size));
        await new Promise((r) => setTimeout(r, 5));
      }
    });
  });
}

function parse(answer: string) {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  const [statusLine = '', ...headers] = head.split('\r\n');
  const header = (name: string) => headers.find((h) => h.toLowerCase().startsWith(`${name}:`))?.split(': ')[1];
  return { statusLine, header, body: JSON.parse(body) as { error: { code: string; message: string; requestId: string } } };
}

describe('refusalFor', () => {
  it('maps the parser’s codes the way Node does, with an envelope code', () => {
    expect(refusalFor('HPE_HEADER_OVERFLOW', 16384)).toMatchObject({ status: 431, code: 'header_too_large' });
    expect(refusalFor('HPE_CHUNK_EXTENSIONS_OVERFLOW', 16384)).toMatchObject({ status: 413, code: 'payload_too_large' });
    expect(refusalFor('ERR_HTTP_REQUEST_TIMEOUT', 16384)).toMatchObject({ status: 408, code: 'request_timeout' });
    expect(refusalFor('HPE_INVALID_METHOD', 16384)).toMatchObject({ status: 400, code: 'bad_request' });
    expect(refusalFor(undefined, 16384)).toMatchObject({ status: 400, code: 'bad_request' });
  });

  it('writes a complete HTTP/1.1 answer whose length is the body’s bytes', () => {
    const answer = rawAnswer({ status: 431, code: 'header_too_large', message: 'ünïcode' }, 'req-1');
    const body = answer.split('\r\n\r\n')[1] ?? '';
    expect(answer).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(answer).toContain(`Content-Length: ${Buffer.byteLength(body)}\r\n`);
    expect(JSON.parse(body)).toEqual({ error: { code: 'header_too_large', message: 'ünïcode', requestId: 'req-1' } });
  });
});

describe('answerClientErrors', () => {
  it('answers a header over the limit, even sent in pieces, once with the 431 envelope and closes', async () => {
    const { port, log } = await start(() => new Response('ok'));
    const answer = await exchange(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(40_000)}\r\n\r\n`, 20);
    expect(answer.match(/HTTP\/1\.1/g)).toHaveLength(1);
    const { statusLine, header, body } = parse(answer);
    expect(statusLine).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(header('content-type')).toBe('application/json; charset=UTF-8');
    expect(header('connection')).toBe('close');
    expect(body.error).toMatchObject({ code: 'header_too_large' });
    expect(header('x-request-id')).toBe(body.error.requestId);
    expect(log.lines.join('\n')).toContain(body.error.requestId);
    expect(log.lines.join('\n')).not.toContain('aaaa');
  });

  it('answers a malformed request line with the 400 envelope', async () => {
    const { port } = await start(() => new Response('ok'));
    const { statusLine, body } = parse(await exchange(port, 'HELLO THERE\r\n\r\n'));
    expect(statusLine).toBe('HTTP/1.1 400 Bad Request');
    expect(body.error.code).toBe('bad_request');
  });

  it('lets a response in flight finish untouched when a broken request is pipelined behind it', async () => {
    const { port } = await start(async () => {
      await new Promise((r) => setTimeout(r, 100));
      return new Response('slow-ok');
    });
    const answer = await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\nHELLO THERE\r\n\r\n');
    expect(answer.match(/HTTP\/1\.1/g)).toHaveLength(1);
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nslow-ok$/);
  });
});
