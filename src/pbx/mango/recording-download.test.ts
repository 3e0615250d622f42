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
import { mangoRecordingDownloads } from './recording-download';

/**
 * Mango's recording/post as its API notes describe it (answered here by msw): a signed form POST,
 * answered 302 to a one-time link on files.mango-office.ru, or with the file itself.
 */
const server = strictMswServer();
const KEY = 'wu8zgl7mlbpycmdbn8qq7vmcqyq5bcw3';
const SALT = 'lsy4dpvqjm5tql3dk4kfz2fqrcmkqsjh';
const POST = 'https://app.mango-office.ru/vpbx/queries/recording/post';
const RECORDING_ID = 'MToxMDE2MzUyODozMzM6cmVj';
const MP3 = new Uint8Array([0xff, 0xfb, 0x90, 0x64, 0, 0, 0, 0]);

const deps = { settings: parseEnv({ MANGO_API_KEY: KEY, MANGO_API_SALT: SALT }), config: defaultIntegratorConfig() } as unknown as AppDeps;
const policy: FetchPolicy = { allowedHosts: [], allowPrivate: false, maxBytes: 1_000_000, timeoutMs: 2000, maxRedirects: 3 };
const context: DownloadContext<AppDeps> = {
  deps,
  fetch: (url, options, widen = {}) =>
    safeFetch(url, { ...policy, ...widen, allowedHosts: [...policy.allowedHosts, ...(widen.allowedHosts ?? [])] }, runtimeFetchFor, options),
};
const recording: RecordingToDownload = { recordingId: 'r1', source: 'mango', callKey: 'e', legKey: 'c', vendorRef: RECORDING_ID, attempts: 0 };

/** Mango's POST endpoint: checks the signed form, then answers with `answer`. */
function recordingPost(answer: (n: number) => Response) {
  const forms: Record<string, string>[] = [];
  server.use(
    http.post(POST, async ({ request }) => {
      const form = Object.fromEntries(new URLSearchParams(await request.text()));
      forms.push(form);
      const expected = createHash('sha256')
        .update(KEY + (form.json ?? '') + SALT)
        .digest('hex');
      if (form.vpbx_api_key !== KEY || form.sign !== expected) return HttpResponse.json({ result: 3102, message: 'sign error' }, { status: 401 });
      return answer(forms.length);
    }),
  );
  return forms;
}

describe("Mango's recordings, downloaded through recording/post", () => {
  it('posts the signed request and follows the redirect to the one-time link', async () => {
    const used = new Set<string>();
    server.use(
      http.get('https://files.mango-office.ru/once/:token', ({ params }) => {
        // The link is void after its first use.
        if (used.has(String(params.token))) return new HttpResponse('gone', { status: 410 });
        used.add(String(params.token));
        return new HttpResponse(MP3, { headers: { 'content-type': 'audio/mpeg' } });
      }),
    );
    const forms = recordingPost((n) => new HttpResponse(null, { status: 302, headers: { location: `https://files.mango-office.ru/once/t${n}` } }));
    // Each attempt asks Mango afresh: a link is never kept.
    for (let i = 0; i < 2; i++) {
      expect(await mangoRecordingDownloads.download(recording, context)).toMatchObject({ ok: true, bytes: MP3, contentType: 'audio/mpeg' });
    }
    expect(forms).toHaveLength(2);
    expect(JSON.parse(forms[0]?.json ?? '')).toEqual({ recording_id: RECORDING_ID, action: 'download' });
  });

  it('takes the file when Mango answers with it directly', async () => {
    recordingPost(() => new HttpResponse(MP3, { headers: { 'content-type': 'audio/mp3' } }));
    expect(await mangoRecordingDownloads.download(recording, context)).toMatchObject({ ok: true, bytes: MP3 });
  });

  it('asks again later for a file that is not ready yet, whichever way Mango says so', async () => {
    recordingPost(() => HttpResponse.json({ result: 4004, message: 'record not found' }, { status: 404 }));
    expect(await mangoRecordingDownloads.download(recording, context)).toEqual({
      ok: false,
      retryable: true,
      reason: `Mango's recording ${RECORDING_ID} is not there (yet) (result 4004: record not found): asked again later`,
    });
    recordingPost(() => HttpResponse.json({ result: 4004, message: 'record not found' }));
    expect(await mangoRecordingDownloads.download(recording, context)).toMatchObject({
      ok: false,
      retryable: true,
      reason: expect.stringContaining('a message instead of the file (result 4004: record not found)'),
    });
  });

  it('names the credentials when Mango refuses them, and keeps trying (an admin can fix them)', async () => {
    recordingPost(() => new HttpResponse(null, { status: 200 }));
    const wrong = { ...context, deps: { ...deps, settings: parseEnv({ MANGO_API_KEY: KEY, MANGO_API_SALT: 'not-the-salt' }) } as AppDeps };
    expect(await mangoRecordingDownloads.download(recording, wrong)).toMatchObject({
      ok: false,
      retryable: true,
      reason: expect.stringMatching(/refused the credentials \(check MANGO_API_KEY and MANGO_API_SALT\) \(result 3102: sign error\)/),
    });
  });

  it('does not follow a redirect away from Mango, and retries a Mango outage', async () => {
    recordingPost(() => new HttpResponse(null, { status: 302, headers: { location: 'http://169.254.169.254/latest/meta-data' } }));
    expect(await mangoRecordingDownloads.download(recording, context)).toMatchObject({ ok: false, retryable: false });
    recordingPost(() => new HttpResponse('busy', { status: 503 }));
    expect(await mangoRecordingDownloads.download(recording, context)).toMatchObject({
      ok: false,
      retryable: true,
      reason: expect.stringContaining('answered 503'),
    });
  });

  it('is enabled by the Mango credentials', () => {
    expect(mangoRecordingDownloads.enabled(deps)).toBe(true);
    expect(mangoRecordingDownloads.enabled({ ...deps, settings: parseEnv({}) } as AppDeps)).toBe(false);
  });
});
