/**
 * Click-to-call through Twilio's Calls API (https://www.twilio.com/docs/voice/api/call-resource#create-a-call-resource,
 * errors: https://www.twilio.com/docs/api/errors): `POST /2010-04-01/Accounts/{AccountSid}/Calls.json`,
 * HTTP basic auth AccountSid:AuthToken, a form with `To` = the rep's device (from
 * `sources.twilio.click_to_call.devices`: "client:alice", "sip:101@…" or a phone), `From` = our
 * number, and inline `Twiml` = `<Response><Dial callerId="our number">customer</Dial></Response>`:
 * Twilio rings the rep and, once answered, dials the customer. With `status_callback_url` set, the
 * parent call (`StatusCallback`) and the dialled leg (`<Number statusCallback>`) report to the
 * webhook like any other call. Twilio answers 201 with the call's `sid` (vendorRef), or an error
 * `{code, message, status}`. What happens to the customer's leg (busy, no answer, a country not
 * enabled in Geo Permissions) is decided after this answer, so it reaches the call log, not the rep.
 * During a token rotation (TWILIO_AUTH_TOKEN = "primary,secondary") a 401 is tried with the next.
 * @module
 */
import { type OriginateDeps, type OriginateRequest, type OriginateResult, type PbxOriginator, askVendor, isRefusal, refused } from '../core/originate';
import { TWILIO_API } from './calls';
import type { TwilioConfig } from './config';

type TwilioOriginateDeps = OriginateDeps<{ twilio?: string }, { twilio: TwilioConfig }>;
type ClickToCall = TwilioConfig['click_to_call'];

export const twilioOriginator: PbxOriginator<TwilioOriginateDeps> = {
  source: 'twilio',
  enabled: (deps) => {
    const settings = deps.config.sources.twilio.click_to_call;
    return deps.settings.secrets.twilio !== undefined && settings.enabled && settings.account_sid !== undefined;
  },
  enableHint: 'set TWILIO_AUTH_TOKEN and sources.twilio.click_to_call.account_sid, caller_id and devices',
  async originate(request, deps) {
    const settings = deps.config.sources.twilio.click_to_call;
    const tokens = (deps.settings.secrets.twilio ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    const accountSid = settings.account_sid;
    if (!accountSid || tokens.length === 0) return refused('Twilio click-to-call is not set up (TWILIO_AUTH_TOKEN and click_to_call.account_sid)', false);
    const device = settings.devices[request.extension];
    if (!device)
      return refused(`Twilio click-to-call knows no phone for extension ${request.extension}: ask the admin to add it to click_to_call.devices`, false);
    const callerId = request.callerId ?? settings.caller_id;
    if (!callerId) return refused('Twilio click-to-call has no caller ID to show: ask the admin to set click_to_call.caller_id', false);
    const body = callForm(request, device, callerId, settings).toString();
    for (const token of tokens) {
      const answer = await askVendor(deps, 'Twilio', `${TWILIO_API}/2010-04-01/Accounts/${accountSid}/Calls.json`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${btoa(`${accountSid}:${token}`)}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body,
      });
      if (isRefusal(answer)) return answer;
      if (answer.status === 401 && token !== tokens.at(-1)) continue;
      return interpret(answer.status, answer.text);
    }
    return refused('Twilio could not be reached; try again in a minute', true);
  },
};

const xml = (value: string) => value.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** `<Response><Dial callerId="…">customer</Dial></Response>`, the customer's leg reporting to the webhook when configured. */
export function dialTwiml(phone: string, callerId: string, statusCallback: string | undefined): string {
  const number = statusCallback ? `<Number statusCallback="${xml(statusCallback)}" statusCallbackEvent="completed">${xml(phone)}</Number>` : xml(phone);
  return `<Response><Dial callerId="${xml(callerId)}">${number}</Dial></Response>`;
}

/** The Calls API form: the rep's device rung first, the TwiML dialling the customer. */
export function callForm(request: OriginateRequest, device: string, callerId: string, settings: ClickToCall): URLSearchParams {
  const form = new URLSearchParams({ To: device, From: callerId, Twiml: dialTwiml(request.phone, callerId, settings.status_callback_url) });
  if (settings.status_callback_url) form.set('StatusCallback', settings.status_callback_url);
  return form;
}

/** Error codes of the Calls API with words for the rep; `To` here is the rep's own device. */
const CODES: Record<number, [reason: string, retryable: boolean]> = {
  20003: ["Twilio refused calltrail's credentials: ask the admin to check TWILIO_AUTH_TOKEN and click_to_call.account_sid", false],
  20005: ['the Twilio account is not active (suspended or closed, check its balance)', false],
  10001: ['the Twilio account is not active (suspended or closed, check its balance)', false],
  20429: ['Twilio is busy (too many requests); try again in a minute', true],
  21210: ['Twilio refused the caller ID: it is not a Twilio number or verified caller ID of the account', false],
  21212: ['Twilio refused the caller ID: it is not a valid number', false],
  21211: ['Twilio refused your phone (the device configured for your extension is not a valid number)', false],
  21214: ['Twilio cannot reach your phone (the device configured for your extension)', false],
  21215: ['Twilio may not call your phone: its country is not enabled in Geo Permissions', false],
  21216: ['Twilio may not call your phone: the number is blocked', false],
  21219: ['Twilio trial accounts may only call verified numbers: your phone is not verified', false],
};

/** Twilio's answer, in words for the rep. */
export function interpret(status: number, body: string): OriginateResult {
  const json = parse(body);
  if (status === 201 || status === 200) {
    return typeof json?.sid === 'string' ? { status: 'requested', vendorRef: json.sid } : refused('Twilio answered without a call id; try again', true);
  }
  const code = typeof json?.code === 'number' ? json.code : undefined;
  const known = code === undefined ? undefined : CODES[code];
  if (known) return refused(known[0], known[1]);
  if (status === 401 || status === 403) return refused(CODES[20003]?.[0] ?? 'Twilio refused the credentials', false);
  if (status === 429 || status >= 500) return refused(`Twilio is not answering properly (HTTP ${status}); try again in a minute`, true);
  const message = typeof json?.message === 'string' ? json.message : `HTTP ${status}`;
  return refused(`Twilio refused the call: ${message}${code === undefined ? '' : ` (error ${code})`}`, false);
}

function parse(body: string): { sid?: unknown; code?: unknown; message?: unknown } | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null ? (value as { sid?: unknown; code?: unknown; message?: unknown }) : undefined;
  } catch {
    return undefined;
  }
}
