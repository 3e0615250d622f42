/**
 * Downloads a Yeastar recording through the PBX's API, by the file name its CDR gave
 * (`sources.yeastar.api`, used when no `recording_url` is configured):
 * - S-Series / Cloud PBX: `POST /api/v2.0.0/recording/get_random?token=…` `{"recording": file}` →
 *   `{"status":"Success","random"}`, a string valid 30 seconds for one download; then `GET
 *   /api/v2.0.0/recording/download?recording=…&random=…&token=…` is the file.
 * - P-Series: `GET /openapi/v1.0/recording/download?file=…&access_token=…` →
 *   `{"errcode":0,"download_resource_url":"/api/download/…"}`; then `GET
 *   {base}{download_resource_url}?access_token=…` is the file.
 * Both links die quickly, so nothing of them is stored. A token the PBX says is expired (P-Series
 * errcode 10004; any S-Series "Failed") is renewed and the request made once more. A file the PBX
 * does not have (yet: P-Series 60001 DATA NOT FOUND, an S-Series refusal) is tried again later.
 * @module
 */
import { answerJson, failure, looksLikeJson, type DownloadContext, type RecordingDownloader } from '../../recordings/downloads';
import type { FetchOutcome } from '../../recordings/fetch/port';
import type { YeastarApiConfig } from './api-config';
import type { YeastarConfig } from './config';
import { apiPolicy, jsonPost, P_SERIES_HEADERS, P_SERIES_PATH, S_SERIES_PATH, unexpected, YeastarTokens } from './api';

const TOKEN_EXPIRED = 10004;
/** Asking again cannot help: the request itself is wrong (PARAMETER SYNTAX ERROR, PARAMETER ERROR). */
const PERMANENT = new Set([40001, 40002]);

/** One step's result: the file, a failure to report, or "the token may be stale: renew and redo", with what the PBX said. */
type Step = FetchOutcome | { stale: string };

/** What the downloader reads of the deployment: the PBX's API settings, and the clock. */
type YeastarDownloadDeps = { now?: () => Date; config: { sources: { yeastar: YeastarConfig } } };

export function yeastarRecordingDownloader(tokens = new YeastarTokens()): RecordingDownloader<YeastarDownloadDeps> {
  return {
    source: 'yeastar',
    // Yeastar publishes no rate for these; P-Series serves MP3 downloads one at a time anyway.
    perMinute: 30,
    enabled: (deps) => deps.config.sources.yeastar.api !== undefined,
    async download(recording, context) {
      const api = context.deps.config.sources.yeastar.api;
      if (!api) return failure('sources.yeastar.api is not configured', true);
      let said = '';
      for (const fresh of [false, true]) {
        const held = await tokens.token(api, context, fresh);
        if ('error' in held) return failure(held.error, true);
        const step =
          api.edition === 's-series'
            ? await sSeriesDownload(api, recording.vendorRef, held.token, context)
            : await pSeriesDownload(api, recording.vendorRef, held.token, context);
        if (!('stale' in step)) return step;
        said = step.stale;
      }
      return failure(`the Yeastar PBX refused the download of ${recording.vendorRef} with a new token too (${said}); asked again later`, true);
    },
  };
}

export const yeastarRecordingDownloads = yeastarRecordingDownloader();

async function sSeriesDownload(api: YeastarApiConfig, file: string, token: string, context: DownloadContext): Promise<Step> {
  const base = `${api.base_url}${S_SERIES_PATH}/recording`;
  const asked = await context.fetch(`${base}/get_random?token=${encodeURIComponent(token)}`, jsonPost(JSON.stringify({ recording: file })), apiPolicy(api));
  const json = answerJson(asked) as { status?: unknown; random?: unknown; errno?: unknown } | undefined;
  // S-Series documents no "expired" errno: a refusal is first taken for a stale token; a refusal
  // with a new one is about the file (not there yet, or gone).
  if (json?.status === 'Failed') return { stale: `errno ${String(json.errno ?? '?')}` };
  if (json?.status !== 'Success' || typeof json.random !== 'string' || json.random === '') {
    return failure(`the Yeastar API did not give a download for ${file}: ${unexpected(asked)}`, retryable(asked));
  }
  const query = new URLSearchParams({ recording: file, random: json.random, token });
  const got = await context.fetch(`${base}/download?${query}`, { explain: true }, apiPolicy(api, true));
  return fileOrRefusal(got, file, (refusal) => (refusal.status === 'Failed' ? `errno ${String(refusal.errno ?? '?')}` : null));
}

async function pSeriesDownload(api: YeastarApiConfig, file: string, token: string, context: DownloadContext): Promise<Step> {
  const query = new URLSearchParams({ file, access_token: token });
  const asked = await context.fetch(
    `${api.base_url}${P_SERIES_PATH}/recording/download?${query}`,
    { headers: P_SERIES_HEADERS, explain: true },
    apiPolicy(api),
  );
  const json = answerJson(asked) as { errcode?: unknown; errmsg?: unknown; download_resource_url?: unknown } | undefined;
  if (json?.errcode === TOKEN_EXPIRED) return { stale: `errcode ${TOKEN_EXPIRED} TOKEN EXPIRED` };
  if (json?.errcode !== 0 || typeof json.download_resource_url !== 'string' || json.download_resource_url === '') {
    if (json && typeof json.errcode === 'number') return failure(`${refusalText(file, json.errcode, json.errmsg)}`, !PERMANENT.has(json.errcode));
    return failure(`the Yeastar API did not give a download for ${file}: ${unexpected(asked)}`, retryable(asked));
  }
  const url = new URL(json.download_resource_url, `${api.base_url}/`);
  url.searchParams.set('access_token', token);
  const got = await context.fetch(url.href, { headers: P_SERIES_HEADERS, explain: true }, apiPolicy(api, true));
  return fileOrRefusal(got, file, (refusal) => (typeof refusal.errcode === 'number' ? `errcode ${refusal.errcode}` : null), true);
}

/**
 * The downloaded file, or what the PBX said instead (an API answers errors with JSON, often with
 * HTTP 200). `pSeries`: an errcode 10004 there is a stale token.
 */
function fileOrRefusal(got: FetchOutcome, file: string, code: (refusal: Record<string, unknown>) => string | null, pSeries = false): Step {
  if (got.ok && !looksLikeJson(got.bytes)) return got;
  const refusal = answerJson(got) as Record<string, unknown> | undefined;
  if (pSeries && refusal?.errcode === TOKEN_EXPIRED) return { stale: `errcode ${TOKEN_EXPIRED} TOKEN EXPIRED` };
  const said = refusal ? code(refusal) : null;
  if (said) return failure(`the Yeastar PBX refused the download of ${file} (${said}); asked again later`, true);
  if (got.ok) return failure(`the Yeastar PBX answered the download of ${file} with JSON instead of the file`, true);
  return failure(`downloading ${file} from the Yeastar PBX: ${got.reason}`, retryable(got));
}

function refusalText(file: string, errcode: number, errmsg: unknown): string {
  const said = typeof errmsg === 'string' && errmsg !== '' ? ` ${errmsg}` : '';
  if (errcode === 60001) return `the Yeastar PBX has no recording ${file} (yet) (errcode 60001${said}); asked again later`;
  return `the Yeastar API refused the download of ${file} (errcode ${errcode}${said})`;
}

/** A missing file (404) may appear; other client errors will not change. */
function retryable(outcome: FetchOutcome): boolean {
  if (outcome.ok) return true;
  return outcome.retryable || outcome.status === 404;
}
