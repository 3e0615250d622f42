/**
 * Where a due recording's bytes come from: its origin URL (SSRF-guarded), a file path on this host
 * (recordings.local_paths, read by the runtime under the roots and a time limit), or, for a file
 * the PBX names by id only, its source's downloader (downloads.ts). Every failure is an outcome
 * of this one recording, with its reason and whether another try can help.
 * @module
 */
import type { DueRecording } from './archive';
import type { RecordingsDeps, RecordingsRuntime } from './deps';
import type { DownloadContext, RecordingDownloader } from './downloads';
import type { FetchOutcome, FetchPolicy } from './fetch/port';
import { safeFetch } from './fetch/safe-fetch';
import { withinAllowance } from './links';
import { isUnder, LocalFileRefused, normalizePath, type LocalFileReader } from './local-file';

/** The file through its source's API (downloads.ts), within the vendor's allowance. */
export async function downloadByRef(
  deps: RecordingsDeps,
  runtime: RecordingsRuntime,
  row: DueRecording,
  policy: FetchPolicy,
  downloaders: readonly RecordingDownloader[],
): Promise<FetchOutcome | 'later'> {
  const downloader = downloaders.find((d) => d.source === row.source);
  if (!downloader || row.vendorRef === null) return { ok: false, reason: `no way to download ${row.source} recordings by id`, retryable: false };
  if (!withinAllowance(downloader, Date.now())) return 'later';
  const context: DownloadContext = {
    deps,
    fetch: (url, options, widen = {}) =>
      safeFetch(
        url,
        {
          ...policy,
          allowedHosts: [...policy.allowedHosts, ...(widen.allowedHosts ?? [])],
          allowPrivate: widen.allowPrivate ?? policy.allowPrivate,
          // An API's answer may be held to less than a recording; never to more.
          maxBytes: Math.min(policy.maxBytes, widen.maxBytes ?? policy.maxBytes),
        },
        runtime.fetchFor,
        options,
      ),
  };
  const recording = { recordingId: row.id, source: row.source, callKey: row.callKey, legKey: row.legKey, vendorRef: row.vendorRef, attempts: row.attempts };
  try {
    return await downloader.download(recording, context);
  } catch (error) {
    // A downloader reports failures as outcomes; anything thrown is a bug or a broken answer: try again later.
    return { ok: false, reason: `downloading through the ${row.source} API: ${(error as Error).message}`, retryable: true };
  }
}

/** The file at its origin: a URL, or a path on this host under recordings.local_paths. */
export async function fetchOrigin(runtime: RecordingsRuntime, originUrl: string, policy: FetchPolicy, localPaths: readonly string[]): Promise<FetchOutcome> {
  if (/^https?:\/\//i.test(originUrl)) return safeFetch(originUrl, policy, runtime.fetchFor, { explain: true });
  if (!originUrl.startsWith('/')) return { ok: false, reason: `not a URL or an absolute path: ${originUrl.slice(0, 100)}`, retryable: false };
  if (!runtime.readLocal) return { ok: false, reason: 'a file path on the PBX host, and this runtime cannot read local files', retryable: false };
  const path = normalizePath(originUrl);
  if (!path || !localPaths.some((root) => isUnder(path, root))) {
    return { ok: false, reason: 'the file lies outside recordings.local_paths', retryable: false };
  }
  // RecordingsRuntime (./deps.ts) still types the reader without its limits; Node's takes them.
  return readLocal(runtime.readLocal, path, policy, localPaths);
}

/**
 * One recording's file, read by the runtime under the roots and the time limit. Whatever goes
 * wrong is this recording's outcome, never the tick's: the other recordings go on. The limit is
 * kept here too, for a reader that does not keep it.
 */
async function readLocal(reader: LocalFileReader, path: string, policy: FetchPolicy, roots: readonly string[]): Promise<FetchOutcome> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LocalFileRefused(`reading ${path} did not finish within ${policy.timeoutMs / 1000} s`, true)), policy.timeoutMs + 1000);
  });
  try {
    const read = reader(path, policy.maxBytes, { roots, timeoutMs: policy.timeoutMs });
    read.catch(() => undefined);
    const bytes = await Promise.race([read, late]);
    // The PBX may still be writing the file, or moving it into its dated folder: try again later.
    if (!bytes) return { ok: false, reason: `no file at ${path} (yet)`, retryable: true };
    return { ok: true, bytes, contentType: null, finalUrl: path };
  } catch (error) {
    if (error instanceof LocalFileRefused) return { ok: false, reason: error.message, retryable: error.retryable };
    return { ok: false, reason: `reading ${path}: ${(error as Error).message}`, retryable: true };
  } finally {
    clearTimeout(timer);
  }
}
