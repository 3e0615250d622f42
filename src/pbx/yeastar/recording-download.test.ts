import { createHash } from 'node:crypto';
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { strictMswServer } from '#test/msw';
import { parseEnv } from '../../settings/env';
import { defaultIntegratorConfig } from '../../settings/integrator';
import type { AppDeps } from '../../deps';
import type { DownloadContext, RecordingToDownload } from '../../recordings/downloads';
import type { FetchPolicy } from '../../recordings/fetch/port';
import { runtimeFetchFor } from '../../recordings/fetch/runtime-fetch';
import { safeFetch } from '../../recordings/fetch/safe-fetch';
import { sourcesConfigSchema } from '../sources-config';
import { YeastarTokens } from './api';
import { yeastarRecordingDownloader } from './recording-download';

/**
 * Yeastar's recording download as its API references describe it (S-Series / Cloud PBX API
 * v2.0.0 and P-Series OpenAPI v1.0), answered here by msw. The request and answer bodies follow
 * the references' examples; the PBX address is invented.
 */
const server = strictMswServer();
const BASE = 'https://pbx.example.com:8088';
const FILE = '20220412173331-1649756009.12-2002-2005-Internal.wav';
const WAV = new Uint8Array([...new TextEncoder().encode('RIFF'), 0x24, 0, 0, 0, ...new TextEncoder().encode('WAVE')]);

let clock = new Date('2026-11-20T10:00:00Z');
function setup(api: Record<string, unknown>) {
  const config = {
    ...defaultIntegratorConfig(),
    sources: sourcesConfigSchema.parse({ yeastar: { api: { base_url: BASE, username: 'api', password: 'Passw0rd', ...api } } }),
  };
  const deps = { settings: parseEnv({}), config, now: () => clock } as unknown as AppDeps;
  const policy: FetchPolicy = { allowedHosts: [], allowPrivate: false, maxBytes: 1_000_000, timeoutMs: 2000, maxRedirects: 3 };
  const context: DownloadContext<AppDeps> = {
    deps,
    fetch: (url, options, widen = {}) =>
      safeFetch(url, { ...policy, ...widen, allowedHosts: [...policy.allowedHosts, ...(widen.allowedHosts ?? [])] }, runtimeFetchFor, options),
  };
  return { context, downloader: yeastarRecordingDownloader(new YeastarTokens()) };
}
const recording: RecordingToDownload = { recordingId: 'r1', source: 'yeastar', callKey: 'c', legKey: 'l', vendorRef: FILE, attempts: 0 };

/** A P-Series PBX: tokens it has issued (the first `expireFirst` of them expire at once), files it has. */
function pSeries(options: { expireFirst?: number; files?: Record<string, Uint8Array>; tokenErr?: number } = {}) {
  const seen: string[] = [];
  let issued = 0;
  const valid = new Set<string>();
  server.use(
    http.post(`${BASE}/openapi/v1.0/get_token`, async ({ request }) => {
      seen.push(`get_token ${request.headers.get('user-agent')} ${await request.text()}`);
      if (options.tokenErr) return HttpResponse.json({ errcode: options.tokenErr, errmsg: 'FAILURE' });
      const token = `tok${++issued}`;
      if (issued > (options.expireFirst ?? 0)) valid.add(token);
      return HttpResponse.json({
        errcode: 0,
        errmsg: 'SUCCESS',
        access_token_expire_time: 1800,
        access_token: token,
        refresh_token_expire_time: 86400,
        refresh_token: 'r',
      });
    }),
    http.get(`${BASE}/openapi/v1.0/recording/download`, ({ request }) => {
      const url = new URL(request.url);
      const token = url.searchParams.get('access_token') ?? '';
      seen.push(`recording/download ${url.searchParams.get('file')} ${token}`);
      if (!valid.has(token)) return HttpResponse.json({ errcode: 10004, errmsg: 'TOKEN EXPIRED' });
      const file = url.searchParams.get('file') ?? '';
      if (!(options.files ?? { [FILE]: WAV })[file]) return HttpResponse.json({ errcode: 60001, errmsg: 'DATA NOT FOUND' });
      return HttpResponse.json({
        errcode: 0,
        errmsg: 'SUCCESS',
        file,
        download_resource_url: '/api/download/Recording-X.7.0.6-1-download-20220412175901-M8zB66xYUNTNMr2D.wav',
      });
    }),
    http.get(`${BASE}/api/download/:name`, ({ request }) => {
      const token = new URL(request.url).searchParams.get('access_token') ?? '';
      seen.push(`download ${token}`);
      if (!valid.has(token)) return HttpResponse.json({ errcode: 10004, errmsg: 'TOKEN EXPIRED' });
      return new HttpResponse(WAV, { headers: { 'content-type': 'audio/x-wav' } });
    }),
  );
  return seen;
}

/** An S-Series PBX: logins, one-time random strings, and tokens the first `expireFirst` of which are already dropped. */
function sSeries(options: { expireFirst?: number; loginFails?: boolean; hasFile?: boolean } = {}) {
  const seen: string[] = [];
  let issued = 0;
  const valid = new Set<string>();
  const randoms = new Set<string>();
  server.use(
    http.post(`${BASE}/api/v2.0.0/login`, async ({ request }) => {
      seen.push(`login ${await request.text()}`);
      if (options.loginFails) return HttpResponse.json({ status: 'Failed', errno: '20002' });
      const token = `tok${++issued}`;
      if (issued > (options.expireFirst ?? 0)) valid.add(token);
      return HttpResponse.json({ status: 'Success', token });
    }),
    http.post(`${BASE}/api/v2.0.0/recording/get_random`, async ({ request }) => {
      const token = new URL(request.url).searchParams.get('token') ?? '';
      seen.push(`get_random ${token} ${await request.clone().text()}`);
      if (!valid.has(token)) return HttpResponse.json({ status: 'Failed', errno: '10006' });
      if (options.hasFile === false) return HttpResponse.json({ status: 'Failed', errno: '10002' });
      const { recording: name } = (await request.json()) as { recording: string };
      const random = `rnd${randoms.size + 1}`;
      randoms.add(random);
      return HttpResponse.json({ status: 'Success', recording: name, random });
    }),
    http.get(`${BASE}/api/v2.0.0/recording/download`, ({ request }) => {
      const q = new URL(request.url).searchParams;
      seen.push(`download ${q.get('recording')} ${q.get('random')} ${q.get('token')}`);
      // A random string works once.
      if (!randoms.delete(q.get('random') ?? '')) return HttpResponse.json({ status: 'Failed', errno: '10001' });
      return new HttpResponse(WAV, { headers: { 'content-type': 'audio/x-wav' } });
    }),
  );
  return seen;
}

describe('Yeastar P-Series recordings through OpenAPI v1.0', () => {
  it('gets a token, the download URL, then the file; the token is kept for the next one', async () => {
    const seen = pSeries();
    const { context, downloader } = setup({ edition: 'p-series' });
    expect(await downloader.download(recording, context)).toMatchObject({ ok: true, bytes: WAV });
    expect(await downloader.download(recording, context)).toMatchObject({ ok: true, bytes: WAV });
    expect(seen).toEqual([
      'get_token OpenAPI {"username":"api","password":"Passw0rd"}',
      `recording/download ${FILE} tok1`,
      'download tok1',
      `recording/download ${FILE} tok1`,
      'download tok1',
    ]);
  });

  it('renews an expired token and asks once more; renews it on time without being told', async () => {
    const seen = pSeries({ expireFirst: 1 });
    const { context, downloader } = setup({ edition: 'p-series' });
    expect(await downloader.download(recording, context)).toMatchObject({ ok: true });
    expect(seen.filter((s) => s.startsWith('get_token'))).toHaveLength(2);
    clock = new Date(clock.getTime() + 30 * 60_000);
    expect(await downloader.download(recording, context)).toMatchObject({ ok: true });
    expect(seen.filter((s) => s.startsWith('get_token'))).toHaveLength(3);
  });

  it('asks again later for a recording the PBX does not have yet (60001)', async () => {
    pSeries({ files: {} });
    const { context, downloader } = setup({ edition: 'p-series' });
    expect(await downloader.download(recording, context)).toEqual({
      ok: false,
      retryable: true,
      reason: `the Yeastar PBX has no recording ${FILE} (yet) (errcode 60001 DATA NOT FOUND); asked again later`,
    });
  });

  it('stops logging in for a while after the PBX refused the credentials (it locks the address out after five)', async () => {
    const seen = pSeries({ tokenErr: 10005 });
    const { context, downloader } = setup({ edition: 'p-series' });
    const first = await downloader.download(recording, context);
    expect(first).toMatchObject({ ok: false, retryable: true, reason: expect.stringContaining('refused the token request (errcode 10005 FAILURE') });
    expect(await downloader.download(recording, context)).toMatchObject({ ok: false, retryable: true, reason: expect.stringContaining('no new login before') });
    expect(seen).toHaveLength(1);
  });
});

describe('Yeastar S-Series / Cloud PBX recordings through API v2.0.0', () => {
  it('logs in with the MD5 of the password, gets a random string, downloads with it', async () => {
    const seen = sSeries();
    const { context, downloader } = setup({
      edition: 's-series',
      login_fields: { port: '8260', url: 'calltrail.example.com:443/v1/pbx/yeastar', urltag: '1', version: '2.0.0' },
    });
    expect(await downloader.download(recording, context)).toMatchObject({ ok: true, bytes: WAV });
    const md5 = createHash('md5').update('Passw0rd').digest('hex');
    expect(JSON.parse(seen[0]?.slice('login '.length) ?? '')).toEqual({
      port: '8260',
      url: 'calltrail.example.com:443/v1/pbx/yeastar',
      urltag: '1',
      version: '2.0.0',
      username: 'api',
      password: md5,
    });
    expect(seen.slice(1)).toEqual([`get_random tok1 {"recording":"${FILE}"}`, `download ${FILE} rnd1 tok1`]);
  });

  it('logs in again when the PBX has dropped the token, and asks once more', async () => {
    const seen = sSeries({ expireFirst: 1 });
    const { context, downloader } = setup({ edition: 's-series' });
    expect(await downloader.download(recording, context)).toMatchObject({ ok: true });
    expect(seen.map((s) => s.split(' ')[0])).toEqual(['login', 'get_random', 'login', 'get_random', 'download']);
  });

  it('asks again later when the PBX will not give the file, and does not hammer its login', async () => {
    sSeries({ hasFile: false });
    const { context, downloader } = setup({ edition: 's-series' });
    expect(await downloader.download(recording, context)).toEqual({
      ok: false,
      retryable: true,
      reason: `the Yeastar PBX refused the download of ${FILE} with a new token too (errno 10002); asked again later`,
    });
    const refused = sSeries({ loginFails: true });
    const other = setup({ edition: 's-series' });
    expect(await other.downloader.download(recording, other.context)).toMatchObject({
      ok: false,
      retryable: true,
      reason: expect.stringContaining('refused the login (errno 20002'),
    });
    await other.downloader.download(recording, other.context);
    expect(refused.filter((s) => s.startsWith('login'))).toHaveLength(1);
  });

  it('is enabled by sources.yeastar.api only', () => {
    const { context, downloader } = setup({ edition: 's-series' });
    expect(downloader.enabled(context.deps)).toBe(true);
    expect(downloader.enabled({ ...context.deps, config: defaultIntegratorConfig() })).toBe(false);
  });
});
