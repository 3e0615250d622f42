import { http, HttpResponse } from 'msw';
import { strictMswServer } from '#test/msw';
import { describe, expect, it } from 'vitest';
import { AddressRefusedError } from './ip-policy';
import type { FetchFor, FetchOutcome, FetchPolicy } from './port';
import { runtimeFetchFor } from './runtime-fetch';
import { safeFetch } from './safe-fetch';

const server = strictMswServer();

const policy = (over: Partial<FetchPolicy> = {}): FetchPolicy => ({
  allowedHosts: ['pbx.example.com'],
  allowPrivate: false,
  maxBytes: 1000,
  timeoutMs: 2000,
  maxRedirects: 3,
  ...over,
});

/** The workerd FetchFor: the global fetch, which msw answers here. */
const viaMsw: FetchFor = runtimeFetchFor;

/** A fetch that must not be reached: the URL rules alone decide. */
function noNetwork() {
  const calls: string[] = [];
  const fetchFor: FetchFor = () => async (input) => {
    calls.push(String(input));
    throw new Error('the network was used');
  };
  return { calls, fetchFor };
}

/** A fetch answering with `answer`, remembering what it was asked. */
function answering(answer: (url: string, init?: RequestInit) => Response | Promise<Response>) {
  const calls: { url: string; init?: RequestInit }[] = [];
  const fetchFor: FetchFor = () => async (input, init) => {
    calls.push({ url: String(input), ...(init ? { init } : {}) });
    return answer(String(input), init);
  };
  return { calls, fetchFor };
}

function refusedWith(outcome: FetchOutcome, pattern: RegExp | string) {
  expect(outcome).toMatchObject({ ok: false, retryable: false });
  expect(outcome.ok ? '' : outcome.reason).toMatch(pattern);
}

describe('safeFetch: what may be fetched (decided without the network)', () => {
  it.each(['ftp://pbx.example.com/a.wav', 'file:///etc/passwd', 'data:audio/wav;base64,AAAA', 'javascript:alert(1)', 'ws://pbx.example.com/'])(
    'refuses the scheme of %s',
    async (url) => {
      const { calls, fetchFor } = noNetwork();
      refusedWith(await safeFetch(url, policy(), fetchFor), /only http and https/);
      expect(calls).toEqual([]);
    },
  );

  it('refuses credentials in the URL, without repeating them', async () => {
    const { calls, fetchFor } = noNetwork();
    const outcome = await safeFetch('https://admin:s3cr3t-pw@pbx.example.com/rec.wav', policy(), fetchFor);
    refusedWith(outcome, 'the URL for pbx.example.com carries credentials');
    expect(JSON.stringify(outcome)).not.toContain('s3cr3t-pw');
    expect(calls).toEqual([]);
  });

  it('refuses what is not a URL', async () => {
    refusedWith(await safeFetch('not a url', policy(), noNetwork().fetchFor), 'not a valid URL');
  });

  it.each([
    ['https://evil.example.net/rec.wav', ['pbx.example.com']],
    ['https://pbx.example.com.evil.net/rec.wav', ['pbx.example.com']],
    ['https://evilpbx.example.com/rec.wav', ['pbx.example.com']],
    ['https://example.com/rec.wav', ['*.example.com']],
    ['https://pbx.example.com/rec.wav', []],
    ['https://pbx.example.com/rec.wav', ['pbx.example.com:443']],
    ['https://xn--80ak6aa92e.com/rec.wav', ['pbx.example.com']],
  ])('refuses %s when the hosts are %j', async (url, allowedHosts) => {
    const { calls, fetchFor } = noNetwork();
    refusedWith(await safeFetch(url, policy({ allowedHosts }), fetchFor), /is not an allowed recording host/);
    expect(calls).toEqual([]);
  });

  it.each([
    ['https://pbx.example.com/a.wav', ['pbx.example.com']],
    ['https://PBX.Example.COM/a.wav', ['pbx.example.com']],
    ['https://pbx.example.com./a.wav', ['pbx.example.com']],
    ['https://pbx.example.com/a.wav', ['PBX.EXAMPLE.COM.']],
    ['https://a.pbx.example.com/a.wav', ['*.example.com']],
    ['https://eu.rec.zadarma.com/a.wav', ['*.ZADARMA.com']],
    ['https://пример.рф/a.wav', ['пример.рф']],
    ['https://xn--e1afmkfd.xn--p1ai/a.wav', ['пример.рф']],
    ['https://пример.рф/a.wav', ['xn--e1afmkfd.xn--p1ai']],
    ['https://pbx.example.com:8443/a.wav', ['pbx.example.com']],
    ['https://93.184.216.34/a.wav', ['93.184.216.34']],
    ['https://[2606:4700:4700::1111]/a.wav', ['[2606:4700:4700:0::1111]']],
  ])('fetches %s when the hosts are %j', async (url, allowedHosts) => {
    const { calls, fetchFor } = answering(() => new Response('RIFF'));
    expect(await safeFetch(url, policy({ allowedHosts }), fetchFor)).toMatchObject({ ok: true });
    expect(calls).toHaveLength(1);
  });

  it('does not let a wildcard match an IP address', async () => {
    const { fetchFor } = noNetwork();
    refusedWith(await safeFetch('http://10.0.0.1/a.wav', policy({ allowedHosts: ['*.0.0.1'], allowPrivate: true }), fetchFor), /not an allowed/);
    refusedWith(await safeFetch('http://10.0.0.1/a.wav', policy({ allowedHosts: ['*.0.1'], allowPrivate: true }), fetchFor), /not an allowed/);
  });

  // Each listed as is, so only the address rule can refuse it.
  it.each([
    'http://127.0.0.1/',
    'http://2130706433/',
    'http://017700000001/',
    'http://0x7f000001/',
    'http://0x7f.1/',
    'http://0177.0.0.1/',
    'http://127.1/',
    'http://[::1]/',
    'http://[0:0:0:0:0:0:0:1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:7f00:1]/',
    'http://[64:ff9b::127.0.0.1]/',
    'http://[fc00::1]/',
    'http://[fd12:3456::1]/',
    'http://[fe80::1]/',
    'http://10.1.2.3/',
    'http://172.16.0.1/',
    'http://172.31.255.255/',
    'http://192.168.1.10/',
    'http://100.64.0.1/',
    'http://169.254.1.1/',
  ])('refuses the private address in %s unless allowed', async (url) => {
    const hostname = new URL(url).hostname;
    const { calls, fetchFor } = noNetwork();
    refusedWith(await safeFetch(url, policy({ allowedHosts: [hostname] }), fetchFor), /is a private address/);
    expect(calls).toEqual([]);
    const ok = answering(() => new Response('x'));
    expect(await safeFetch(url, policy({ allowedHosts: [hostname], allowPrivate: true }), ok.fetchFor)).toMatchObject({ ok: true });
    expect(ok.calls.map((c) => c.url)).toEqual([new URL(url).href]);
  });

  it.each([
    'http://169.254.169.254/latest/meta-data/',
    'http://2852039166/latest/meta-data/',
    'http://[::ffff:169.254.169.254]/',
    'http://[fd00:ec2::254]/',
    'http://0.0.0.0/',
    'http://0/',
    'http://224.0.0.1/',
    'http://255.255.255.255/',
    'http://192.0.2.1/',
    'http://[ff02::1]/',
    'http://[::]/',
    'http://[2001:db8::1]/',
  ])('refuses the reserved address in %s even with private addresses allowed', async (url) => {
    const { calls, fetchFor } = noNetwork();
    const outcome = await safeFetch(url, policy({ allowedHosts: [new URL(url).hostname], allowPrivate: true }), fetchFor);
    refusedWith(outcome, /is a reserved address .* never fetched from/);
    expect(calls).toEqual([]);
  });

  it('does not take a numeric spelling of an address for an allowed name', async () => {
    refusedWith(
      await safeFetch('http://2130706433/', policy({ allowedHosts: ['2130706433.example.com'] }), noNetwork().fetchFor),
      /127\.0\.0\.1 is not an allowed/,
    );
  });
});

describe('safeFetch: redirects', () => {
  it('follows a redirect on an allowed host, relative or absolute, and says where it ended', async () => {
    server.use(
      http.get('https://pbx.example.com/start', () => new HttpResponse(null, { status: 302, headers: { location: '/next' } })),
      http.get('https://pbx.example.com/next', () => new HttpResponse(null, { status: 307, headers: { location: 'https://cdn.pbx.example.com/file.wav' } })),
      http.get('https://cdn.pbx.example.com/file.wav', () => new HttpResponse('RIFFdata', { headers: { 'content-type': 'audio/wav' } })),
    );
    const outcome = await safeFetch('https://pbx.example.com/start', policy({ allowedHosts: ['pbx.example.com', '*.pbx.example.com'] }), viaMsw);
    expect(outcome).toEqual({
      ok: true,
      bytes: new TextEncoder().encode('RIFFdata'),
      contentType: 'audio/wav',
      finalUrl: 'https://cdn.pbx.example.com/file.wav',
    });
  });

  it.each([
    ['https://evil.example.net/steal', /redirected: evil\.example\.net is not an allowed recording host/],
    ['http://169.254.169.254/latest/meta-data/', /redirected: 169\.254\.169\.254 is not an allowed/],
    ['http://127.0.0.1/admin', /redirected: 127\.0\.0\.1 is not an allowed/],
    ['file:///etc/passwd', /redirected: only http and https/],
    ['https://user:pw@pbx.example.com/x', /redirected: the URL for pbx\.example\.com carries credentials/],
  ])('refuses a redirect to %s without requesting it', async (location, reason) => {
    server.use(http.get('https://pbx.example.com/start', () => new HttpResponse(null, { status: 301, headers: { location } })));
    refusedWith(await safeFetch('https://pbx.example.com/start', policy(), viaMsw), reason);
  });

  it('refuses a redirect to a private address that is listed, unless private addresses are allowed', async () => {
    server.use(http.get('https://pbx.example.com/start', () => new HttpResponse(null, { status: 302, headers: { location: 'http://10.0.0.5/x' } })));
    refusedWith(
      await safeFetch('https://pbx.example.com/start', policy({ allowedHosts: ['pbx.example.com', '10.0.0.5'] }), viaMsw),
      /redirected: 10\.0\.0\.5 is a private address/,
    );
  });

  it('stops after maxRedirects', async () => {
    let hops = 0;
    server.use(
      http.get('https://pbx.example.com/loop', () => {
        hops += 1;
        return new HttpResponse(null, { status: 302, headers: { location: `/loop?n=${hops}` } });
      }),
    );
    refusedWith(await safeFetch('https://pbx.example.com/loop', policy({ maxRedirects: 2 }), viaMsw), 'more than 2 redirects');
    expect(hops).toBe(3);
    hops = 0;
    refusedWith(await safeFetch('https://pbx.example.com/loop', policy({ maxRedirects: 0 }), viaMsw), 'more than 0 redirects');
    expect(hops).toBe(1);
  });

  it('refuses a redirect without a Location', async () => {
    server.use(http.get('https://pbx.example.com/start', () => new HttpResponse(null, { status: 302 })));
    refusedWith(await safeFetch('https://pbx.example.com/start', policy(), viaMsw), 'answered 302 without a usable Location');
  });

  it("asks for manual redirects and sends the caller's headers to the first origin only", async () => {
    const { calls, fetchFor } = answering((url) =>
      url.endsWith('/a')
        ? new Response(null, { status: 302, headers: { location: '/b' } })
        : url.endsWith('/b')
          ? new Response(null, { status: 302, headers: { location: 'https://files.example.com/c' } })
          : new Response('ok'),
    );
    const outcome = await safeFetch('https://pbx.example.com/a', policy({ allowedHosts: ['pbx.example.com', 'files.example.com'] }), fetchFor, {
      headers: { authorization: 'Basic dG9rZW4=' },
    });
    expect(outcome.ok).toBe(true);
    expect(calls.map((c) => [c.url, c.init?.redirect, (c.init?.headers as Record<string, string> | undefined)?.authorization])).toEqual([
      ['https://pbx.example.com/a', 'manual', 'Basic dG9rZW4='],
      ['https://pbx.example.com/b', 'manual', 'Basic dG9rZW4='],
      ['https://files.example.com/c', 'manual', undefined],
    ]);
  });
});

describe('safeFetch: answers, sizes and time', () => {
  it.each([
    [404, false],
    [403, false],
    [410, false],
    [400, false],
    [429, true],
    [408, true],
    [500, true],
    [502, true],
    [503, true],
  ])('answers %i as a failure, retryable: %s', async (status, retryable) => {
    server.use(http.get('https://pbx.example.com/rec.wav', () => new HttpResponse('nope', { status })));
    const outcome = await safeFetch('https://pbx.example.com/rec.wav', policy(), viaMsw);
    expect(outcome).toMatchObject({ ok: false, retryable });
    expect(outcome.ok ? '' : outcome.reason).toMatch(new RegExp(`^pbx\\.example\\.com answered ${status}`));
  });

  it('takes exactly maxBytes', async () => {
    server.use(http.get('https://pbx.example.com/rec.wav', () => new HttpResponse(new Uint8Array(1000))));
    const outcome = await safeFetch('https://pbx.example.com/rec.wav', policy(), viaMsw);
    expect(outcome.ok && outcome.bytes.byteLength).toBe(1000);
  });

  it('refuses a body announced too large before reading it', async () => {
    let pulled = 0;
    const { fetchFor } = answering(
      () =>
        new Response(
          new ReadableStream({
            pull: (c) => {
              pulled += 1;
              c.enqueue(new Uint8Array(10));
            },
          }),
          {
            headers: { 'content-length': '5000' },
          },
        ),
    );
    refusedWith(await safeFetch('https://pbx.example.com/rec.wav', policy(), fetchFor), /larger than the limit of 1000 bytes.*announced 5000/);
    expect(pulled).toBeLessThanOrEqual(1);
  });

  it('stops reading a body that runs past maxBytes whatever it announced, and cancels it', async () => {
    let cancelled = false;
    let sent = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += 300;
        controller.enqueue(new Uint8Array(300));
      },
      cancel() {
        cancelled = true;
      },
    });
    const { fetchFor } = answering(() => new Response(endless, { headers: { 'content-length': '10' } }));
    refusedWith(await safeFetch('https://pbx.example.com/rec.wav', policy(), fetchFor), /larger than the limit.*sent more/);
    expect(cancelled).toBe(true);
    expect(sent).toBeLessThan(3000);
  });

  it('times out a server that never answers (retryable), passing the signal to fetch', async () => {
    const { fetchFor } = answering(
      (_url, init) =>
        new Promise<Response>((_resolve, reject) => {
          init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
        }),
    );
    const started = Date.now();
    const outcome = await safeFetch('https://pbx.example.com/rec.wav', policy({ timeoutMs: 150 }), fetchFor);
    expect(outcome).toEqual({ ok: false, reason: 'pbx.example.com did not send the recording within 0.15 s', retryable: true });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('times out a body that stalls half way: the timeout covers the whole transfer', async () => {
    const { fetchFor } = answering((_url, init) => {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new Uint8Array(10));
          init?.signal?.addEventListener('abort', () => controller.error(init.signal?.reason));
        },
      });
      return new Response(body);
    });
    expect(await safeFetch('https://pbx.example.com/rec.wav', policy({ timeoutMs: 150 }), fetchFor)).toMatchObject({
      ok: false,
      retryable: true,
      reason: expect.stringMatching(/within 0.15 s/),
    });
  });

  it('calls a network error retryable and says what it was', async () => {
    const { fetchFor } = answering(() => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 203.0.113.5:443'), { code: 'ECONNREFUSED' }) });
    });
    expect(await safeFetch('https://pbx.example.com/rec.wav', policy(), fetchFor)).toEqual({
      ok: false,
      reason: 'could not fetch from pbx.example.com: fetch failed: connect ECONNREFUSED 203.0.113.5:443',
      retryable: true,
    });
  });

  it('calls an address refused where the connection is made a policy refusal (not retryable)', async () => {
    const { fetchFor } = answering(() => {
      throw new TypeError('fetch failed', { cause: new AddressRefusedError('pbx.example.com resolves to 127.0.0.1, a private address') });
    });
    refusedWith(await safeFetch('https://pbx.example.com/rec.wav', policy(), fetchFor), /^pbx\.example\.com resolves to 127\.0\.0\.1/);
  });

  it('stops when the caller cancels', async () => {
    const controller = new AbortController();
    const { fetchFor } = answering(
      (_url, init) =>
        new Promise<Response>((_resolve, reject) => {
          init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
          controller.abort();
        }),
    );
    expect(await safeFetch('https://pbx.example.com/rec.wav', policy(), fetchFor, { signal: controller.signal })).toMatchObject({
      ok: false,
      retryable: true,
      reason: 'fetching from pbx.example.com was cancelled',
    });
  });

  it('returns an outcome, never throws, even when the FetchFor itself throws', async () => {
    const broken: FetchFor = () => {
      throw new Error('no dispatcher');
    };
    expect(await safeFetch('https://pbx.example.com/rec.wav', policy(), broken)).toMatchObject({ ok: false, retryable: true });
  });
});

describe('safeFetch: a vendor API that answers a POST with the file', () => {
  it('posts the body to the first URL, then follows a 302 as a GET without it, headers dropped on another origin', async () => {
    const seen: string[] = [];
    server.use(
      http.post('https://api.example.com/recording/post', async ({ request }) => {
        seen.push(`POST ${request.headers.get('content-type')} ${await request.text()}`);
        return new HttpResponse(null, { status: 302, headers: { location: 'https://files.example.com/once/abc.mp3' } });
      }),
      http.get('https://files.example.com/once/abc.mp3', ({ request }) => {
        seen.push(`GET ${request.headers.get('content-type')} ${request.headers.get('x-key')}`);
        return new HttpResponse(new Uint8Array([0xff, 0xfb, 1, 2]), { headers: { 'content-type': 'audio/mpeg' } });
      }),
    );
    const outcome = await safeFetch('https://api.example.com/recording/post', policy({ allowedHosts: ['api.example.com', 'files.example.com'] }), viaMsw, {
      method: 'POST',
      body: 'json=%7B%7D',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-key': 'k' },
    });
    expect(outcome).toEqual({
      ok: true,
      bytes: new Uint8Array([0xff, 0xfb, 1, 2]),
      contentType: 'audio/mpeg',
      finalUrl: 'https://files.example.com/once/abc.mp3',
    });
    expect(seen).toEqual(['POST application/x-www-form-urlencoded json=%7B%7D', 'GET null null']);
  });

  it('repeats the POST on a 307', async () => {
    const seen: string[] = [];
    server.use(
      http.post('https://pbx.example.com/a', () => new HttpResponse(null, { status: 307, headers: { location: '/b' } })),
      http.post('https://pbx.example.com/b', async ({ request }) => {
        seen.push(await request.text());
        return new HttpResponse('ok');
      }),
    );
    expect(await safeFetch('https://pbx.example.com/a', policy(), viaMsw, { method: 'POST', body: 'x=1' })).toMatchObject({ ok: true });
    expect(seen).toEqual(['x=1']);
  });

  it('explains a refusal with its status and the start of the answer, when asked', async () => {
    server.use(http.get('https://pbx.example.com/gone', () => HttpResponse.json({ result: 4001, message: 'not found' }, { status: 404 })));
    expect(await safeFetch('https://pbx.example.com/gone', policy(), viaMsw, { explain: true })).toEqual({
      ok: false,
      reason: 'pbx.example.com answered 404 Not Found',
      retryable: false,
      status: 404,
      body: '{"result":4001,"message":"not found"}',
    });
    expect(await safeFetch('https://pbx.example.com/gone', policy(), viaMsw)).toEqual({
      ok: false,
      reason: 'pbx.example.com answered 404 Not Found',
      retryable: false,
    });
  });
});
