/**
 * GET+POST /v1/pbx/zadarma — Zadarma's PBX call notifications.
 * GET `?zd_echo=X` is Zadarma's check of the URL (it expects X back, as text); POST carries the
 * notifications, form-encoded, signed in the `Signature` header. Zadarma reads the answer to
 * NOTIFY_START and NOTIFY_IVR as routing commands, so every POST is answered 200 with an empty
 * body: "carry on as configured".
 * @module
 */
// .openapi() on zod's schemas: @hono/zod-openapi adds it as it loads.
import '@hono/zod-openapi';
import * as z from 'zod';
import { InvalidPayloadError } from '../core/parse';
import type { PbxUrlCheck, PbxWebhook, WebhookSettings } from '../core/webhook';
import type { ZadarmaCredentials } from './api';
import type { ZadarmaConfig } from './config';
import { decodeForm } from './form';
import { EVENTS } from './schema';
import { SIGNATURE_HEADER, SIGNED_FIELDS, verifyNotificationBody } from './signature';

export const PATH = '/v1/pbx/zadarma';
const ENABLE_HINT = 'set ZADARMA_API_KEY and ZADARMA_API_SECRET';
const MAX_ECHO = 256;

type Settings = WebhookSettings<{ zadarma?: ZadarmaCredentials }, { zadarma: ZadarmaConfig }>;

const credentials = ({ settings }: Settings) => settings.secrets.zadarma;

export const zadarmaUrlCheck: PbxUrlCheck<ZadarmaCredentials, Settings> = {
  method: 'get',
  path: PATH,
  enableHint: ENABLE_HINT,
  credentials,
  echo: (query) => {
    const echo = query.get('zd_echo');
    if (echo === null) throw new InvalidPayloadError(['zd_echo: is required (Zadarma checks the URL with ?zd_echo=<token>)']);
    if (echo.length > MAX_ECHO) throw new InvalidPayloadError([`zd_echo: is longer than ${MAX_ECHO} characters`]);
    return echo;
  },
  doc: {
    summary: 'Zadarma URL check',
    description: 'Zadarma checks the notification URL by calling it with `zd_echo`; the token comes back as text. ' + '404 while the source is not enabled.',
    request: { query: z.object({ zd_echo: z.string().max(MAX_ECHO).openapi({ example: 'b5a1c2e0' }) }) },
    responses: { 200: { description: 'The token, as sent', content: { 'text/plain': { schema: z.string() } } } },
    errors: [400, 404],
  },
};

const signedBy = Object.entries(SIGNED_FIELDS)
  .map(([event, fields]) => `${event}: ${fields.join(' + ')}`)
  .join('; ');

const notification = z.object({
  event: z.enum(EVENTS),
  call_start: z.string().optional().openapi({ example: '2026-11-20 10:00:00' }),
  pbx_call_id: z.string().openapi({ example: 'in_4f9e5b2a1c0d3e6f7a8b9c0d1e2f3a4b5c6d7e8f' }),
  caller_id: z.string().optional(),
  called_did: z.string().optional(),
  destination: z.string().optional(),
  internal: z.string().optional(),
  duration: z.string().optional(),
  disposition: z.string().optional(),
  status_code: z.string().optional(),
  is_recorded: z.enum(['0', '1']).optional(),
  call_id_with_rec: z.string().optional(),
});

export const zadarmaWebhook: PbxWebhook<ZadarmaCredentials, Settings> = {
  method: 'post',
  path: PATH,
  enableHint: ENABLE_HINT,
  credentials,
  verify: (request, { secret }) => verifyNotificationBody(request.headers.get(SIGNATURE_HEADER), request.body, secret),
  charset: ({ config }) => config.sources.zadarma.charset,
  // A multipart body (see form.ts) is read as text in the charset; a urlencoded one by its values.
  form: (request) => !(request.body[0] === 0x2d && request.body[1] === 0x2d),
  accepted: { status: 200, body: 'empty' },
  routeCall: {
    caller: (request) => {
      const form = decodeForm(request.raw);
      const caller = form.get('caller_id');
      return form.get('event') === 'NOTIFY_START' && caller ? { phone: caller, line: form.get('called_did') ?? null } : null;
    },
    // Zadarma reads `redirect` (a scenario id or an extension) and `caller_name` from NOTIFY_START's answer.
    answer: ({ route, callerName }) => ({ ...(route ? { redirect: route } : {}), ...(callerName ? { caller_name: callerName } : {}) }),
  },
  doc: {
    summary: 'Zadarma PBX call notification',
    description:
      `Events ${EVENTS.join(', ')}, form-encoded. Signed: \`${SIGNATURE_HEADER}: base64(hex(HMAC-SHA1(ZADARMA_API_SECRET, s)))\`, ` +
      `s being the concatenation of ${signedBy}. Legs of one call share pbx_call_id; NOTIFY_END / NOTIFY_OUT_END end it. ` +
      'Stored before the answer; answered 200 with an empty body, except NOTIFY_START: `{"redirect": "<extension>", "caller_name": "…"}` from the ' +
      "caller lookup (GET /v1/lookup) when live.route_calls is on — the extension of the caller's responsible manager, else " +
      'live.lookup.default_route — or `{"caller_name": "…"}` alone when it is off.',
    request: {
      headers: z.object({ [SIGNATURE_HEADER]: z.string().openapi({ example: 'ZmM4ZGFlZTk0YTBm…' }) }),
      body: { required: true, content: { 'application/x-www-form-urlencoded': { schema: notification } } },
    },
    responses: {
      200: {
        description: 'Stored (and normally applied); empty body, or for NOTIFY_START the route',
        content: { 'application/json': { schema: z.object({ redirect: z.string().optional(), caller_name: z.string().optional() }) } },
      },
    },
    errors: [400, 401, 404, 413, 503],
  },
};
