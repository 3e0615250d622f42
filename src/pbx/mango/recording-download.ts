/**
 * Mango Office keeps its recordings and hands each out by its recording_id: `POST
 * https://app.mango-office.ru/vpbx/queries/recording/post`, form-posted and signed like every API
 * request (vpbx_api_key, sign = sha256hex(key + json + salt), json = {"recording_id": …,
 * "action": "download"}). Mango answers 302 to a temporary link on files.mango-office.ru that is
 * void after its first use (Mango's API notes: never store it), or with the file itself; either
 * way safeFetch brings back the audio. Right after a call the file may not be ready ("ask again in
 * about a minute"), so a missing file is retried, paced by the archive's back-off, as is a refusal
 * of the credentials an admin can still fix.
 * @module
 */
import type { RecordingDownloader } from '../../recordings/downloads';
import { answerJson, failure, looksLikeJson } from '../../recordings/downloads';
import type { FetchOutcome } from '../../recordings/fetch/port';
import { mangoSign, type MangoCredentials } from './signature';
import { MANGO_API } from './stats';

export const RECORDING_POST = '/vpbx/queries/recording/post';

/** The API and the file host its redirects lead to. */
export const MANGO_HOSTS = ['app.mango-office.ru', '*.mango-office.ru'];

/** What the downloader reads of the deployment: the API key pair. */
type MangoDownloadDeps = { settings: { secrets: { mango?: MangoCredentials } } };

export const mangoRecordingDownloads: RecordingDownloader<MangoDownloadDeps> = {
  source: 'mango',
  // Mango publishes no allowance for this method; one request every two seconds stays modest.
  perMinute: 30,
  enabled: (deps) => deps.settings.secrets.mango !== undefined,
  async download(recording, { deps, fetch }) {
    const credentials = deps.settings.secrets.mango;
    if (!credentials) return failure('MANGO_API_KEY and MANGO_API_SALT are not set', true);
    const json = JSON.stringify({ recording_id: recording.vendorRef, action: 'download' });
    const body = new URLSearchParams({ vpbx_api_key: credentials.key, sign: mangoSign(credentials, json), json }).toString();
    const outcome = await fetch(
      `${MANGO_API}${RECORDING_POST}`,
      { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' }, explain: true },
      { allowedHosts: MANGO_HOSTS },
    );
    return interpret(outcome, recording.vendorRef);
  },
};

/** The file, or Mango's refusal in words an admin can act on. */
function interpret(outcome: FetchOutcome, recordingId: string): FetchOutcome {
  if (outcome.ok && !looksLikeJson(outcome.bytes)) return outcome;
  const what = `Mango's recording ${recordingId}`;
  const said = mangoSays(answerJson(outcome));
  if (outcome.ok) return failure(`${what}: Mango answered with a message instead of the file${said}`, true);
  const status = outcome.status;
  if (status === 404) return failure(`${what} is not there (yet)${said}: asked again later`, true);
  if (status === 401 || status === 403) return failure(`${what}: Mango refused the credentials (check MANGO_API_KEY and MANGO_API_SALT)${said}`, true);
  return failure(`${what}: ${outcome.reason}${said}`, outcome.retryable);
}

/** Mango explains a refusal as {result, message}. */
function mangoSays(json: unknown): string {
  if (typeof json !== 'object' || json === null) return '';
  const { result, message } = json as { result?: unknown; message?: unknown };
  const parts = [result === undefined ? '' : `result ${String(result)}`, typeof message === 'string' ? message.slice(0, 200) : ''].filter(Boolean);
  return parts.length ? ` (${parts.join(': ')})` : '';
}
