/**
 * POST /v1/pbx/yeastar — Yeastar's end-of-call reports (S-Series/Cloud PBX "NewCdr", P-Series
 * event 30012), JSON signed with YEASTAR_WEBHOOK_SECRET.
 * @module
 */
// .openapi() on zod's schemas: @hono/zod-openapi adds it as it loads.
import '@hono/zod-openapi';
import * as z from 'zod';
import type { PbxWebhook, WebhookSettings } from '../core/webhook';
import type { YeastarConfig } from './config';
import { SIGNATURE_HEADER, verifyUrlToken, verifyYeastarSignature } from './signature';

export const PATH = '/v1/pbx/yeastar';

interface Credentials {
  secret: string;
  acceptTokenInUrl: boolean;
}

const report = z
  .object({
    event: z.literal('NewCdr'),
    callid: z.string(),
    timestart: z.string().openapi({ description: 'local time of the PBX, no offset' }),
    callfrom: z.string(),
    callto: z.string(),
    callduraction: z.string().openapi({ description: 'seconds (vendor spelling)' }),
    talkduraction: z.string().openapi({ description: 'seconds (vendor spelling)' }),
    status: z.string().openapi({ description: 'ANSWERED | NO ANSWER | BUSY | VOICEMAIL' }),
    type: z.string().openapi({ description: 'Inbound | Outbound | Internal' }),
    recording: z.string().optional(),
    didnumber: z.string().optional(),
  })
  .openapi('YeastarNewCdr');

const pSeries = z
  .object({ type: z.literal(30012), sn: z.string(), msg: z.string().openapi({ description: 'the call details, a JSON document in a string' }) })
  .openapi('YeastarCallEndDetails');

const example = {
  event: 'NewCdr',
  callid: '1571897930.5',
  timestart: '2019-10-23 22:18:50',
  callfrom: '1023',
  callto: '2023',
  callduraction: '19',
  talkduraction: '14',
  status: 'ANSWERED',
  type: 'Internal',
  recording: '20191024201242-1571897930.5-203-201-Internal.wav',
  didnumber: '',
  sn: '369451090405',
};

export const yeastarWebhook: PbxWebhook<Credentials, WebhookSettings<{ yeastar?: string }, { yeastar: YeastarConfig }>> = {
  method: 'post',
  path: PATH,
  enableHint: 'set YEASTAR_WEBHOOK_SECRET to the secret configured with the webhook on the PBX',
  credentials: ({ settings, config }) => {
    const secret = settings.secrets.yeastar;
    return secret ? { secret, acceptTokenInUrl: config.sources.yeastar.accept_token_in_url } : undefined;
  },
  verify: async (request, { secret, acceptTokenInUrl }) => {
    const header = request.headers.get(SIGNATURE_HEADER);
    if (!header && acceptTokenInUrl) return verifyUrlToken(request.query.get('token'), secret);
    return verifyYeastarSignature(header ?? undefined, request.body, secret);
  },
  charset: ({ config }) => config.sources.yeastar.charset,
  // A plain 200: Yeastar does not document which 2xx it takes as delivered, and 200 is the safe one.
  accepted: { status: 200, body: 'result' },
  doc: {
    summary: 'Yeastar end-of-call report',
    description:
      `Signed: \`${SIGNATURE_HEADER}\` = base64(HMAC-SHA256(YEASTAR_WEBHOOK_SECRET, raw body)). One report per call ` +
      'segment; reports sharing a call id (callid / call_id) make one conversation. Other Yeastar events are stored ' +
      'and ignored.',
    request: {
      headers: z.object({ [SIGNATURE_HEADER]: z.string().optional() }),
      body: { required: true, content: { 'application/json': { schema: z.union([report, pSeries]), example } } },
    },
    responses: { 200: { description: 'Stored (and normally applied)' } },
    errors: [400, 401, 404, 413, 503],
  },
};
