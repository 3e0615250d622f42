import { createHash, createHmac } from 'node:crypto';
import { http as rest, HttpResponse } from 'msw';
import { strictMswServer } from '#test/msw';
import { describe, expect, it } from 'vitest';
import type { AppDeps } from '../../deps';
import type { RecordingToLink } from '../../recordings/links';
import { sourcesConfigSchema } from '../sources-config';
import { phpQuery } from './api';
import { FILE_READY_WINDOW_MS, zadarmaLinkResolver } from './recordings';

const KEY = 'a248a6a984459935b569';
const SECRET = '8a8e91d214fb728889c7';
const ENDPOINT = 'https://api.zadarma.com/v1/pbx/record/request/';

const server = strictMswServer();

const now = new Date('2026-11-20T08:00:00Z');
const deps = (lifetime?: number) =>
  ({
    settings: { secrets: { zadarma: { key: KEY, secret: SECRET } } },
    config: { sources: sourcesConfigSchema.parse(lifetime ? { zadarma: { recording_link_lifetime_seconds: lifetime } } : {}) },
    now: () => now,
  }) as unknown as AppDeps;

const recording: RecordingToLink = {
  recordingId: '00000000-0000-4000-8000-000000000001',
  source: 'zadarma',
  callKey: 'in_4f9e5b2a1c0d3e6f7a8b9c0d1e2f3a4b5c6d7e8f',
  legKey: 'in_4f9e5b2a1c0d3e6f7a8b9c0d1e2f3a4b5c6d7e8f',
  vendorRef: '1795158000.2051',
  attempts: 0,
};

/** Zadarma's documented request signature, computed here with node:crypto. */
function expectedAuthorization(query: string) {
  const md5 = createHash('md5').update(query).digest('hex');
  const hex = createHmac('sha1', SECRET).update(`/v1/pbx/record/request/${query}${md5}`).digest('hex');
  return `${KEY}:${Buffer.from(hex).toString('base64')}`;
}

function answer(body: unknown, status = 200) {
  const seen: { url: URL; authorization: string | null }[] = [];
  server.use(
    rest.get(ENDPOINT, ({ request }) => {
      seen.push({ url: new URL(request.url), authorization: request.headers.get('authorization') });
      return typeof body === 'string' ? new HttpResponse(body, { status }) : HttpResponse.json(body as object, { status });
    }),
  );
  return seen;
}

/** The call's last event happened `ago` ms before now. */
const lastEvent = (ago: number | null) => async () => (ago === null ? null : new Date(now.getTime() - ago));

describe('Zadarma recording links', () => {
  it('asks for the file by call_id with a signed request and returns the link', async () => {
    const seen = answer({
      status: 'success',
      link: 'https://api.zadarma.com/v1/pbx/record/download/abc/1795158000.2051.mp3',
      lifetime_till: '2027-01-19 11:00:00',
    });
    const result = await zadarmaLinkResolver(lastEvent(0)).resolve(recording, deps());
    expect(result).toEqual({ url: 'https://api.zadarma.com/v1/pbx/record/download/abc/1795158000.2051.mp3' });
    expect(seen).toHaveLength(1);
    const query = 'call_id=1795158000.2051&format=json&lifetime=5184000';
    expect(seen[0]?.url.search).toBe(`?${query}`);
    expect(seen[0]?.authorization).toBe(expectedAuthorization(query));
  });

  it('sends the configured lifetime', async () => {
    const seen = answer({ status: 'success', link: 'https://example.org/a.mp3' });
    await zadarmaLinkResolver(lastEvent(0)).resolve(recording, deps(1800));
    const query = 'call_id=1795158000.2051&format=json&lifetime=1800';
    expect(seen[0]?.url.search).toBe(`?${query}`);
    expect(seen[0]?.authorization).toBe(expectedAuthorization(query));
  });

  it('takes the first of several links', async () => {
    answer({ status: 'success', links: ['https://example.org/1.mp3', 'https://example.org/2.mp3'] });
    expect(await zadarmaLinkResolver(lastEvent(0)).resolve(recording, deps())).toEqual({ url: 'https://example.org/1.mp3' });
  });

  it('waits while Zadarma is still saving the file, shortly after the call', async () => {
    answer({ status: 'error', message: 'Requested file not found' });
    expect(await zadarmaLinkResolver(lastEvent(40_000)).resolve(recording, deps())).toEqual({ pending: true });
  });

  it('reports a file still missing long after the call as an error (retried with backoff, then failed)', async () => {
    answer({ status: 'error', message: 'Requested file not found' }, 404);
    await expect(zadarmaLinkResolver(lastEvent(FILE_READY_WINDOW_MS)).resolve(recording, deps())).rejects.toThrow(
      'Zadarma refused the recording link for call_id 1795158000.2051: Requested file not found',
    );
    await expect(zadarmaLinkResolver(lastEvent(null)).resolve(recording, deps())).rejects.toThrow(/not found/);
  });

  it('reports other refusals and unreadable answers', async () => {
    answer({ status: 'error', message: 'Not authorized' }, 401);
    await expect(zadarmaLinkResolver(lastEvent(0)).resolve(recording, deps())).rejects.toThrow(/Not authorized/);
    server.resetHandlers();
    answer('<html>502 Bad Gateway</html>', 502);
    await expect(zadarmaLinkResolver(lastEvent(0)).resolve(recording, deps())).rejects.toThrow(
      'Zadarma answered HTTP 502 with an unexpected body: <html>502 Bad Gateway</html>',
    );
    server.resetHandlers();
    answer({ status: 'success', link: 'javascript:alert(1)' });
    await expect(zadarmaLinkResolver(lastEvent(0)).resolve(recording, deps())).rejects.toThrow(/unexpected body/);
    server.resetHandlers();
    answer({ status: 'success' });
    await expect(zadarmaLinkResolver(lastEvent(0)).resolve(recording, deps())).rejects.toThrow('Zadarma gave no link for call_id 1795158000.2051');
  });

  it('needs the API credentials', async () => {
    const none = { ...deps(), settings: { secrets: {} } } as unknown as AppDeps;
    await expect(zadarmaLinkResolver(lastEvent(0)).resolve(recording, none)).rejects.toThrow(/ZADARMA_API_KEY/);
  });
});

describe('the signed query', () => {
  it('is sorted by name and encoded like PHP http_build_query (RFC 1738)', () => {
    expect(phpQuery({ start: '2026-11-20 10:00:00', call_id: 'a.b-c_d', end: "x~y*z!'()" })).toBe(
      'call_id=a.b-c_d&end=x%7Ey%2Az%21%27%28%29&start=2026-11-20+10%3A00%3A00',
    );
  });
});
