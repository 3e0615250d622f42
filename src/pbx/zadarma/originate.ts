/**
 * Click-to-call through Zadarma's callback API (https://zadarma.com/en/support/api/#api_callback,
 * the official client's `requestCallback`: https://github.com/zadarma/user-api-v1/blob/master/lib/Api.php):
 * `GET https://api.zadarma.com/v1/request/callback/?from=<the rep's extension>&to=<customer>[&sip=…][&predicted=predicted]`,
 * signed like every API request (api.ts: `Authorization: key:base64(hex(HMAC-SHA1(secret, path + query + md5(query))))`,
 * the parameters sorted and PHP-encoded, `format=json` among them). Zadarma rings `from` (the PBX
 * extension) first and, once answered, `to`; with `predicted` it calls the customer first.
 * Numbers go as digits only, as Zadarma's clients send them. The answer is
 * `{"status":"success","from":…,"to":…,"time":…}` or `{"status":"error","message":…}`; Zadarma
 * names no call id here (the call's notifications carry its pbx_call_id), so vendorRef is null.
 * Zadarma shows no caller ID of our choosing: the request's `callerId` is ignored; `sip` in the
 * config picks whose number the customer sees.
 * @module
 */
import { type OriginateDeps, type OriginateRequest, type OriginateResult, type PbxOriginator, askVendor, isRefusal, refused } from '../core/originate';
import { apiAuthorization, phpQuery, ZADARMA_API, type ZadarmaCredentials } from './api';
import type { ZadarmaConfig } from './config';

export const CALLBACK_METHOD = '/v1/request/callback/';

type ZadarmaOriginateDeps = OriginateDeps<{ zadarma?: ZadarmaCredentials }, { zadarma: ZadarmaConfig }>;

const digits = (value: string) => value.replace(/\D/g, '');

export const zadarmaOriginator: PbxOriginator<ZadarmaOriginateDeps> = {
  source: 'zadarma',
  enabled: (deps) => deps.settings.secrets.zadarma !== undefined && deps.config.sources.zadarma.click_to_call.enabled,
  enableHint: 'set ZADARMA_API_KEY and ZADARMA_API_SECRET (and keep sources.zadarma.click_to_call.enabled true)',
  async originate(request, deps) {
    const credentials = deps.settings.secrets.zadarma;
    if (!credentials) return refused('Zadarma click-to-call is not set up (ZADARMA_API_KEY and ZADARMA_API_SECRET)', false);
    const settings = deps.config.sources.zadarma.click_to_call;
    const query = phpQuery({ ...callbackParams(request, settings), format: 'json' });
    const answer = await askVendor(deps, 'Zadarma', `${ZADARMA_API}${CALLBACK_METHOD}?${query}`, {
      method: 'GET',
      headers: { accept: 'application/json', authorization: apiAuthorization(credentials, CALLBACK_METHOD, query) },
    });
    return isRefusal(answer) ? answer : interpret(answer.status, answer.text);
  },
};

/** The callback's parameters: from = the rep's extension, to = the customer, as Zadarma's clients send them. */
export function callbackParams(request: OriginateRequest, settings: ZadarmaConfig['click_to_call']): Record<string, string> {
  return {
    from: request.extension,
    to: digits(request.phone),
    ...(settings.sip ? { sip: settings.sip } : {}),
    ...(settings.predicted ? { predicted: 'predicted' } : {}),
  };
}

/** Zadarma's answer, in words for the rep. */
export function interpret(status: number, body: string): OriginateResult {
  const json = parse(body);
  if (status === 200 && json?.status === 'success') return { status: 'requested', vendorRef: null };
  const message = typeof json?.message === 'string' ? json.message : '';
  if (status === 401 || status === 403 || /authori[sz]|signature|api key/i.test(message)) {
    return refused("Zadarma refused calltrail's API key: ask the admin to check ZADARMA_API_KEY and ZADARMA_API_SECRET", false);
  }
  if (status === 429) return refused('Zadarma is busy (too many requests); try again in a minute', true);
  if (status >= 500 || (!json && status !== 400)) return refused(`Zadarma is not answering properly (HTTP ${status}); try again in a minute`, true);
  return refused(reasonFor(message), false);
}

function reasonFor(message: string): string {
  if (/balance|money|funds|insufficient|недостаточно|баланс/i.test(message)) return 'Zadarma refused: not enough money on the account';
  if (/\bfrom\b|sip|internal|extension|внутрен/i.test(message)) return `Zadarma refused your extension: ${message}`;
  if (/\bto\b|number|direction|forbidden|not allowed|номер|направлен/i.test(message)) return `Zadarma refused to call this number: ${message}`;
  return `Zadarma refused the call: ${message || 'no reason given'}`;
}

function parse(body: string): { status?: unknown; message?: unknown } | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null ? (value as { status?: unknown; message?: unknown }) : undefined;
  } catch {
    return undefined;
  }
}
