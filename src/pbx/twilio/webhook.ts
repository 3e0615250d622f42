/**
 * POST /v1/pbx/twilio/status and POST /v1/pbx/twilio/recording — Twilio's call status callback
 * and RecordingStatusCallback, form-encoded and signed with the account's auth token.
 * @module
 */
// .openapi() on zod's schemas: @hono/zod-openapi adds it as it loads.
import '@hono/zod-openapi';
import * as z from 'zod';
import type { DecodedWebhookRequest, PbxWebhook, WebhookDoc, WebhookSettings } from '../core/webhook';
import type { TwilioConfig } from './config';
import type { TwilioCallback } from './parse';
import { SIGNATURE_HEADER, verifyTwilioRequest } from './signature';

export const STATUS_PATH = '/v1/pbx/twilio/status';
export const RECORDING_PATH = '/v1/pbx/twilio/recording';

/**
 * Twilio retries a callback it could not deliver (connection overrides `#rc=`), so a retry must be
 * a duplicate: a call reports each status once, a recording each recording status once.
 */
function dedupeKey(callback: TwilioCallback, request: DecodedWebhookRequest): string | undefined {
  const p = new URLSearchParams(request.raw);
  const [id, status] = callback === 'status' ? [p.get('CallSid'), p.get('CallStatus')] : [p.get('RecordingSid'), p.get('RecordingStatus')];
  return id && status ? `${callback}:${id}:${status}` : undefined;
}

const formBody = (fields: Record<string, string>) =>
  z.object(Object.fromEntries(Object.entries(fields).map(([name, description]) => [name, z.string().openapi({ description })])));

const signature = z.object({ [SIGNATURE_HEADER]: z.string().openapi({ example: 'RSOYDt4T1cUTdK1PDd93/VVr8B8=' }) });

/** A callback's documentation: its form fields, signed by Twilio; Twilio needs nothing back. */
function callbackDoc(summary: string, description: string, fields: Record<string, string>): WebhookDoc {
  return {
    summary,
    description,
    request: { headers: signature, body: { required: true, content: { 'application/x-www-form-urlencoded': { schema: formBody(fields) } } } },
    responses: { 204: { description: 'Stored (and normally applied); Twilio needs nothing back' } },
    errors: [400, 401, 404, 413, 503],
  };
}

const docs: Record<TwilioCallback, WebhookDoc> = {
  status: callbackDoc(
    'Twilio call status callback',
    'Set as StatusCallback on the number, the Calls API request or <Dial><Number|Client|Sip statusCallback>. ' +
      `Signed by Twilio (\`${SIGNATURE_HEADER}\`, HMAC-SHA1 with TWILIO_AUTH_TOKEN over the public URL and the sorted ` +
      'parameters). Terminal statuses (completed, busy, failed, no-answer, canceled) record a leg; legs are grouped by ' +
      'ParentCallSid ?? CallSid and the parent call ends the conversation.',
    {
      AccountSid: 'AC…',
      CallSid: 'CA…',
      ParentCallSid: 'CA… of the parent call (on <Dial> legs)',
      From: 'caller',
      To: 'callee',
      CallStatus: 'queued | ringing | in-progress | completed | busy | failed | no-answer | canceled',
      Direction: 'inbound | outbound-api | outbound-dial',
      CallDuration: 'seconds (completed)',
      Timestamp: 'RFC 2822',
    },
  ),
  recording: callbackDoc(
    'Twilio RecordingStatusCallback',
    'Set as recordingStatusCallback on <Dial record>, <Start><Recording>, <Record> or the Recordings API. ' +
      'A completed recording is linked as RecordingUrl + ".mp3"; absent and failed recordings are recorded as such.',
    {
      AccountSid: 'AC…',
      CallSid: 'CA… of the (parent) call',
      RecordingSid: 'RE…',
      RecordingUrl: 'https://api.twilio.com/…/Recordings/RE…',
      RecordingStatus: 'in-progress | completed | absent | failed',
      RecordingDuration: 'seconds',
      RecordingChannels: '1 | 2',
    },
  ),
};

function twilioWebhook(callback: TwilioCallback, path: string): PbxWebhook<string, WebhookSettings<{ twilio?: string }, { twilio: TwilioConfig }>> {
  return {
    method: 'post',
    path,
    doc: docs[callback],
    enableHint: 'set TWILIO_AUTH_TOKEN to the auth token of the Twilio account',
    credentials: ({ settings }) => settings.secrets.twilio || undefined,
    // The URL as PUBLIC_URL spells it (Twilio signs the configured URL, host case and all), the
    // parameters over their bytes as sent.
    verify: async (request, token) => verifyTwilioRequest(request.headers.get(SIGNATURE_HEADER) ?? undefined, request.publicUrlText, request.body, token),
    charset: ({ config }) => config.sources.twilio.charset,
    form: () => true,
    meta: () => ({ callback }),
    dedupeKey: (request) => dedupeKey(callback, request),
    // Twilio reads nothing from a status callback's answer; an empty 204 also makes a mistaken
    // use of this URL as a voice URL fail loudly in Twilio's debugger instead of hanging up calls.
    accepted: { status: 204, body: 'empty' },
  };
}

export const twilioWebhooks = [twilioWebhook('status', STATUS_PATH), twilioWebhook('recording', RECORDING_PATH)];
