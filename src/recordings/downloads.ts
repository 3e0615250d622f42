/**
 * Recordings a PBX hands out only through its API, one download at a time: Mango's recording/post
 * answers with a redirect to a link that works once; Yeastar's download link carries an access
 * token that lives 30 minutes (P-Series) or a random string that lives 30 seconds (S-Series). Such
 * a link must never be stored, put on a CRM note or retried later, so unlike a link resolver
 * (links.ts) a downloader is asked at archive time, for the file itself: each attempt asks the
 * API afresh. Without archiving storage nothing is downloaded and the call goes out without a link.
 * @module
 */
import type { FetchOutcome, FetchPolicy } from './fetch/port';
import type { SafeFetchOptions } from './fetch/safe-fetch';
import type { RecordingToLink } from './links';

/** A recording known by the PBX's name or id of its file (Mango's recording_id, Yeastar's file name). */
export type RecordingToDownload = RecordingToLink;

export interface DownloadContext<D = unknown> {
  /** The app's deps, as the downloader types the part it reads (./deps.ts RecordingSources). */
  deps: D;
  /**
   * safeFetch under the archive's policy (size, time, redirects, the source's allowed hosts). A
   * downloader widens it for its own API (`policy`): the vendor's fixed hosts, or the PBX address
   * the integrator configured, which may be on the LAN.
   */
  fetch(url: string, options?: SafeFetchOptions, policy?: Partial<Pick<FetchPolicy, 'allowedHosts' | 'allowPrivate' | 'maxBytes'>>): Promise<FetchOutcome>;
}

export interface RecordingDownloader<D = unknown> {
  source: string;
  /** The vendor API's allowance for these requests; recordings beyond it wait for a later tick. */
  perMinute: number;
  /** Whether the source's API credentials are there; without them its recordings wait. */
  enabled(deps: D): boolean;
  /**
   * The file, or why not. A failure is retryable unless asking again cannot help: "not ready
   * yet" (404, the vendor's not-found) and expired tokens are retryable; the archive's back-off
   * spaces the tries and gives up after its last one.
   */
  download(recording: RecordingToDownload, context: DownloadContext<D>): Promise<FetchOutcome>;
}

/** The JSON of an API answer (ok or not), or undefined when it is not JSON. */
export function answerJson(outcome: FetchOutcome): unknown {
  const text = outcome.ok ? (looksLikeJson(outcome.bytes) ? new TextDecoder().decode(outcome.bytes) : '') : (outcome.body ?? '');
  if (!text.trim().startsWith('{')) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** An API answered with JSON where a file was expected (an error, said with HTTP 200). */
export function looksLikeJson(bytes: Uint8Array): boolean {
  for (const byte of bytes.subarray(0, 64)) {
    if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09) continue;
    return byte === 0x7b;
  }
  return false;
}

export function failure(reason: string, retryable: boolean): FetchOutcome {
  return { ok: false, reason, retryable };
}
