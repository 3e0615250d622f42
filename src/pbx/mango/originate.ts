/**
 * Click-to-call through Mango Office's VPBX API, "Запрос на звонок" (callback: the employee's phone
 * rings, then the number): https://www.mango-office.ru/support/integratsiya-api/spisok_integratsiy/obshchie_voprosy_po_api_vats_mango_office/
 * and the VPBX API reference (https://www.mango-office.ru/upload/api/MangoOffice_VPBX_API_v1.9.pdf).
 * `POST https://app.mango-office.ru/vpbx/commands/callback`, form fields `vpbx_api_key`,
 * `sign = sha256hex(vpbx_api_key + json + vpbx_api_salt)` and `json` =
 * `{"command_id": <our request id>, "from": {"extension": <rep>}, "to_number": <customer digits>, "line_number"?: <our line>}`
 * — signed like every API request (signature.ts). Mango answers `{"result": <code>}`: 1000 is
 * "done"; the others (documented ranges: 2xxx restrictions of the account and of directions, 3xxx
 * a wrong request — key, sign, parameters, an unknown number or employee —, 4xxx the command cannot
 * be carried out now, 5xxx Mango's servers) are mapped by range; the few codes named in CODES
 * (the reference's result table: 2100 account unavailable, 3102 sign, 3105 key, 3200 number, 3300/3330
 * no such object or number, 5001 overload) get their own words — unconfirmed against a live account,
 * and a wrong guess still lands in the right range. The call's events then arrive with `command_id`; vendorRef is our id.
 * @module
 */
import { type OriginateDeps, type OriginateRequest, type OriginateResult, type PbxOriginator, askVendor, isRefusal, refused } from '../core/originate';
import type { MangoConfig } from './config';
import { mangoSign, type MangoCredentials } from './signature';
import { MANGO_API } from './stats';

export const CALLBACK_COMMAND = '/vpbx/commands/callback';

type MangoOriginateDeps = OriginateDeps<{ mango?: MangoCredentials }, { mango: MangoConfig }>;

export const mangoOriginator: PbxOriginator<MangoOriginateDeps> = {
  source: 'mango',
  enabled: (deps) => deps.settings.secrets.mango !== undefined && deps.config.sources.mango.click_to_call.enabled,
  enableHint: 'set MANGO_API_KEY and MANGO_API_SALT (and keep sources.mango.click_to_call.enabled true)',
  async originate(request, deps) {
    const credentials = deps.settings.secrets.mango;
    if (!credentials) return refused('Mango click-to-call is not set up (MANGO_API_KEY and MANGO_API_SALT)', false);
    const json = JSON.stringify(callbackCommand(request, deps.config.sources.mango.click_to_call));
    const body = new URLSearchParams({ vpbx_api_key: credentials.key, sign: mangoSign(credentials, json), json }).toString();
    const answer = await askVendor(deps, 'Mango Office', `${MANGO_API}${CALLBACK_COMMAND}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
    });
    return isRefusal(answer) ? answer : interpret(answer.status, answer.text, request.id);
  },
};

/** The command's json: from the rep's extension to the customer's number (digits), on our line when one is set. */
export function callbackCommand(request: OriginateRequest, settings: MangoConfig['click_to_call']) {
  const line = request.callerId ?? settings.line_number;
  return {
    command_id: request.id,
    from: { extension: request.extension },
    to_number: request.phone.replace(/\D/g, ''),
    ...(line ? { line_number: line.replace(/\D/g, '') } : {}),
  };
}

/** Documented result codes with a reason of their own; the rest are read by range. */
const CODES: Record<number, [reason: string, retryable: boolean]> = {
  2100: ['Mango refused: the account cannot be charged (check the balance)', false],
  3102: ["Mango refused calltrail's signature: ask the admin to check MANGO_API_SALT", false],
  3105: ["Mango refused calltrail's API key: ask the admin to check MANGO_API_KEY", false],
  3200: ["Mango refused: the customer's number is not valid", false],
  3300: ['Mango does not know your extension (or the line)', false],
  3330: ['Mango does not know your extension (or the line)', false],
  5001: ['Mango Office is overloaded; try again in a minute', true],
};

/** Mango's answer, in words for the rep. */
export function interpret(status: number, body: string, commandId: string): OriginateResult {
  const result = resultOf(body);
  if (status === 200 && result === 1000) return { status: 'requested', vendorRef: commandId };
  if (status === 401 || status === 403) return refused("Mango refused calltrail's credentials: ask the admin to check MANGO_API_KEY and MANGO_API_SALT", false);
  if (result !== undefined) {
    const known = CODES[result];
    if (known) return refused(known[0], known[1]);
    if (result >= 2000 && result < 3000) return refused(`Mango refused: the account may not make this call (code ${result})`, false);
    if (result >= 3000 && result < 4000) return refused(`Mango refused the request (code ${result}): check your extension and the number`, false);
    if (result >= 4000 && result < 5000) return refused(`Mango could not place the call (code ${result}); try again in a minute`, true);
    if (result >= 5000) return refused(`Mango Office has a problem (code ${result}); try again in a minute`, true);
  }
  if (status === 429 || status >= 500) return refused(`Mango Office is not answering properly (HTTP ${status}); try again in a minute`, true);
  return refused(`Mango answered unexpectedly (HTTP ${status}); try again in a minute`, true);
}

function resultOf(body: string): number | undefined {
  try {
    const value = (JSON.parse(body) as { result?: unknown } | null)?.result;
    const code = typeof value === 'string' ? Number(value) : value;
    return typeof code === 'number' && Number.isInteger(code) ? code : undefined;
  } catch {
    return undefined;
  }
}
