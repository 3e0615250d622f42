import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FetchPolicy } from '../../recordings/fetch/port';
import { safeFetch } from '../../recordings/fetch/safe-fetch';
import { createNodeFetchFor, type Resolver } from './safe-fetch';

/** What the local PBX stand-in saw: paths requested, and whether a big body was cut off. */
const seen: string[] = [];
let bigBodyAborted: Promise<boolean> = Promise.resolve(false);

function route(req: IncomingMessage, res: ServerResponse) {
  const path = req.url ?? '/';
  seen.push(path);
  switch (path) {
    case '/ok':
      res.writeHead(200, { 'content-type': 'audio/wav' }).end('RIFF-recording');
      return;
    case '/redirect-same':
      res.writeHead(302, { location: '/ok' }).end();
      return;
    case '/redirect-away':
      res.writeHead(302, { location: `http://localhost:${port}/ok` }).end();
      return;
    case '/redirect-metadata':
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      return;
    case '/big': {
      // 10 MB, no Content-Length: only counting the bytes can stop it.
      res.writeHead(200, { 'content-type': 'audio/wav' });
      const chunk = Buffer.alloc(64 * 1024, 1);
      let sent = 0;
      bigBodyAborted = new Promise((done) => res.on('close', () => done(!res.writableFinished)));
      const pump = () => {
        while (sent < 10 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
      return;
    }
    case '/stall':
      // Headers never come.
      return;
    case '/stall-body':
      res.writeHead(200, { 'content-length': '1000' });
      res.write(Buffer.alloc(10));
      return;
    case '/500':
      res.writeHead(500).end('broken');
      return;
    case '/404':
      res.writeHead(404).end('no such recording');
      return;
    default:
      res.writeHead(400).end();
  }
}

let server: Server;
let port = 0;
beforeAll(async () => {
  server = createServer(route);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** A resolver from a table: the names tests "own", pointing where the test wants. */
function resolver(table: Record<string, string[]>): Resolver & { asked: string[] } {
  const asked: string[] = [];
  const resolve = async (hostname: string) => {
    asked.push(hostname);
    const addresses = table[hostname];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolve, { asked });
}

const policy = (over: Partial<FetchPolicy> = {}): FetchPolicy => ({
  allowedHosts: ['127.0.0.1'],
  allowPrivate: true,
  maxBytes: 1024 * 1024,
  timeoutMs: 5000,
  maxRedirects: 3,
  ...over,
});

describe('node FetchFor: names are checked by the addresses they resolve to', () => {
  const dns = resolver({
    'pbx.test': ['127.0.0.1'],
    'metadata.test': ['169.254.169.254'],
    'mixed.test': ['93.184.216.34', '10.0.0.7'],
    'ula.test': ['fd00::7'],
  });
  const fetchFor = createNodeFetchFor({ resolve: dns });
  afterAll(() => fetchFor.close());

  it('connects through our lookup: a listed name resolving to a LAN address, private allowed', async () => {
    const outcome = await safeFetch(`http://pbx.test:${port}/ok`, policy({ allowedHosts: ['pbx.test'] }), fetchFor);
    expect(outcome).toMatchObject({ ok: true, contentType: 'audio/wav', finalUrl: `http://pbx.test:${port}/ok` });
    expect(outcome.ok && new TextDecoder().decode(outcome.bytes)).toBe('RIFF-recording');
    expect(dns.asked).toContain('pbx.test');
  });

  it('refuses a listed name that resolves to 127.0.0.1 when private addresses are not allowed', async () => {
    const before = seen.length;
    const outcome = await safeFetch(`http://pbx.test:${port}/ok`, policy({ allowedHosts: ['pbx.test'], allowPrivate: false }), fetchFor);
    expect(outcome).toEqual({
      ok: false,
      retryable: false,
      reason:
        'pbx.test resolves to a refused address: 127.0.0.1 is a private address (loopback); set recordings.allow_private_hosts to fetch from the local network',
    });
    expect(seen.length).toBe(before);
  });

  it('refuses a name resolving to the cloud metadata address even with private addresses allowed', async () => {
    const outcome = await safeFetch('http://metadata.test/latest/meta-data/', policy({ allowedHosts: ['metadata.test'] }), fetchFor);
    expect(outcome).toMatchObject({
      ok: false,
      retryable: false,
      reason: expect.stringMatching(/^metadata\.test resolves to a refused address: 169\.254\.169\.254 is a reserved address/),
    });
  });

  it('refuses a name whose answers mix public and internal addresses', async () => {
    const outcome = await safeFetch('http://mixed.test/x', policy({ allowedHosts: ['mixed.test'], allowPrivate: false }), fetchFor);
    expect(outcome).toMatchObject({ ok: false, retryable: false, reason: expect.stringMatching(/10\.0\.0\.7 is a private address/) });
  });

  it('refuses an IPv6 unique-local answer', async () => {
    const outcome = await safeFetch('http://ula.test/x', policy({ allowedHosts: ['ula.test'], allowPrivate: false }), fetchFor);
    expect(outcome).toMatchObject({ ok: false, retryable: false, reason: expect.stringMatching(/fd00::7 is a private address \(unique local/) });
  });

  it('calls a name that does not resolve a network error (retryable)', async () => {
    const outcome = await safeFetch('http://nowhere.test/x', policy({ allowedHosts: ['nowhere.test'] }), fetchFor);
    expect(outcome).toMatchObject({ ok: false, retryable: true, reason: expect.stringMatching(/ENOTFOUND/) });
  });

  it('checks the socket itself: an IP literal (no lookup) to a refused address fails at connect', async () => {
    const strict = fetchFor({ ...policy(), allowPrivate: false });
    const error = await strict(`http://127.0.0.1:${port}/ok`).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as Error).cause).toMatchObject({
      name: 'AddressRefusedError',
      message: expect.stringMatching(/the connection to 127\.0\.0\.1 reached a refused address/),
    });
  });
});

describe('node FetchFor with safeFetch, against a local HTTP server', () => {
  const fetchFor = createNodeFetchFor();
  afterAll(() => fetchFor.close());
  const url = (path: string) => `http://127.0.0.1:${port}${path}`;

  it('fetches from a listed LAN address when private addresses are allowed', async () => {
    expect(await safeFetch(url('/ok'), policy(), fetchFor)).toMatchObject({ ok: true, contentType: 'audio/wav', finalUrl: url('/ok') });
  });

  it('refuses the same address when they are not', async () => {
    expect(await safeFetch(url('/ok'), policy({ allowPrivate: false }), fetchFor)).toMatchObject({
      ok: false,
      retryable: false,
      reason: expect.stringMatching(/127\.0\.0\.1 is a private address \(loopback\)/),
    });
  });

  it('follows a redirect on the same host', async () => {
    expect(await safeFetch(url('/redirect-same'), policy(), fetchFor)).toMatchObject({ ok: true, finalUrl: url('/ok') });
  });

  it('refuses a redirect to another host, without going there', async () => {
    const before = seen.length;
    const outcome = await safeFetch(url('/redirect-away'), policy(), fetchFor);
    expect(outcome).toEqual({
      ok: false,
      retryable: false,
      reason: `redirected: localhost:${port} is not an allowed recording host (recordings.allowed_hosts)`,
    });
    expect(seen.slice(before)).toEqual(['/redirect-away']);
  });

  it('refuses a redirect to the metadata address even when it is listed', async () => {
    const outcome = await safeFetch(url('/redirect-metadata'), policy({ allowedHosts: ['127.0.0.1', '169.254.169.254'] }), fetchFor);
    expect(outcome).toMatchObject({ ok: false, retryable: false, reason: expect.stringMatching(/^redirected: 169\.254\.169\.254 is a reserved address/) });
  });

  it('cuts off a body that runs past maxBytes (no Content-Length) and closes the connection', async () => {
    const outcome = await safeFetch(url('/big'), policy({ maxBytes: 200_000 }), fetchFor);
    expect(outcome).toMatchObject({ ok: false, retryable: false, reason: expect.stringMatching(/larger than the limit of 200000 bytes/) });
    expect(await bigBodyAborted).toBe(true);
  });

  it('times out a server that never answers (retryable)', async () => {
    const started = Date.now();
    const outcome = await safeFetch(url('/stall'), policy({ timeoutMs: 300 }), fetchFor);
    expect(outcome).toEqual({ ok: false, retryable: true, reason: `127.0.0.1:${port} did not send the recording within 0.3 s` });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('times out a body that stalls half way (retryable)', async () => {
    expect(await safeFetch(url('/stall-body'), policy({ timeoutMs: 300 }), fetchFor)).toMatchObject({
      ok: false,
      retryable: true,
      reason: expect.stringMatching(/within 0.3 s/),
    });
  });

  it('calls 500 retryable and 404 not', async () => {
    expect(await safeFetch(url('/500'), policy(), fetchFor)).toEqual({
      ok: false,
      retryable: true,
      reason: `127.0.0.1:${port} answered 500 Internal Server Error`,
    });
    expect(await safeFetch(url('/404'), policy(), fetchFor)).toEqual({ ok: false, retryable: false, reason: `127.0.0.1:${port} answered 404 Not Found` });
  });

  it('calls a refused connection retryable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await safeFetch(`http://127.0.0.1:${deadPort}/x`, policy(), fetchFor)).toMatchObject({
      ok: false,
      retryable: true,
      reason: expect.stringMatching(/ECONNREFUSED/),
    });
  });
});
