/**
 * POST /v1/pbx/generic/events — the generic webhook: any PBX, or a script beside one, posts its
 * calls in calltrail's own JSON, signed with GENERIC_WEBHOOK_SECRET (unsigned only in sandbox
 * mode with no secret set).
 * @module
 */
// .openapi() on zod's schemas: @hono/zod-openapi adds it as it loads.
import '@hono/zod-openapi';
import * as z from 'zod';
import type { PbxWebhook, WebhookSettings } from '../core/webhook';
import { callAnsweredSchema, callEndedSchema, callRingingSchema, MAX_EVENTS_PER_REQUEST, recordingReadySchema } from './schema';
import { SIGNATURE_HEADER, TOLERANCE_SECONDS, verifySignature } from './signature';

export const PATH = '/v1/pbx/generic/events';

const AcceptedSchema = z
  .object({
    status: z.enum(['processed', 'duplicate', 'stored']).openapi({
      description:
        'processed: in the ledger; duplicate: this exact body was received before; stored: kept in the inbox but ' +
        'not applied yet (it is retried automatically) — in every case the sender must not resend',
    }),
    inbox_id: z.number().int().nullable(),
    events: z.number().int(),
  })
  .openapi('WebhookAccepted');

const example = {
  type: 'call.ended',
  call_id: 'c-1001',
  direction: 'inbound',
  from: '+7 (495) 123-45-67',
  to: '101',
  extension: '101',
  started_at: '2026-11-20T10:00:00+03:00',
  answered_at: '2026-11-20T10:00:05+03:00',
  ended_at: '2026-11-20T10:03:05+03:00',
  disposition: 'answered',
  recording: { id: 'r1', url: 'https://pbx.example/r1.wav' },
};

const ringingExample = {
  type: 'call.ringing',
  call_id: 'c-1001',
  direction: 'inbound',
  from: '+7 (495) 123-45-67',
  to: '74957654321',
  extensions: ['101', '102'],
  line: '74957654321',
  at: '2026-11-20T10:00:00+03:00',
};
const answeredExample = { type: 'call.answered', call_id: 'c-1001', extension: '101', at: '2026-11-20T10:00:05+03:00' };

const EVENT_SCHEMAS = [callEndedSchema, recordingReadySchema, callRingingSchema, callAnsweredSchema] as const;

export const genericWebhook: PbxWebhook<{ secret: string | null }, WebhookSettings<{ generic?: string }>> = {
  method: 'post',
  path: PATH,
  enableHint: 'set GENERIC_WEBHOOK_SECRET',
  credentials: ({ settings }) => {
    const secret = settings.secrets.generic;
    if (secret) return { secret };
    return settings.sandboxMode ? { secret: null } : undefined;
  },
  verify: async (request, { secret }, now) =>
    secret === null ? { ok: true } : verifySignature(request.headers.get(SIGNATURE_HEADER) ?? undefined, request.body, secret, now),
  // No config section: the body is read as UTF-8, or Windows-1251 when it is not UTF-8 (charset auto).
  doc: {
    summary: 'Generic PBX webhook',
    description:
      `One event or an array of up to ${MAX_EVENTS_PER_REQUEST}. Signed like Stripe: \`${SIGNATURE_HEADER}: t=<unix seconds>,` +
      `v1=<hex HMAC-SHA256(GENERIC_WEBHOOK_SECRET, "<t>.<raw body>")>\`, ${TOLERANCE_SECONDS} s tolerance, over the body's bytes ` +
      'as sent; the body is read as UTF-8 (Windows-1251 when it is not valid UTF-8). ' +
      'Unsigned events are accepted only in sandbox mode (no CRM configured and no secret set). ' +
      'A `call.ended` whose leg_id is absent or equal to call_id ends the conversation (override with `final`). ' +
      'Answered legs wait up to SETTLE_SECONDS for a recording unless `recorded: false`. ' +
      'Refused with a 400 naming the field, nothing stored: an answered call without `answered_at` (or `talk_seconds`), ' +
      'a leg longer than `max_call_seconds` (config, default a day), times more than a day ahead, text with NUL ' +
      'characters or lone surrogates. ' +
      'Live events, same envelope and signature: `call.ringing` (call_id, direction, from, to, `extensions` ringing now — ' +
      'empty while the call waits in a queue or an IVR —, line, `at` or `started_at`) and `call.answered` (call_id, ' +
      '`extension`, `at` or `answered_at`). They feed the screen pop and the live view under the same call_id, are ' +
      'counted in `events`, and never replace `call.ended`.',
    request: {
      headers: z.object({ [SIGNATURE_HEADER]: z.string().optional().openapi({ example: 't=1763622000,v1=5257a8…' }) }),
      body: {
        required: true,
        content: {
          'application/json': {
            schema: z.union([...EVENT_SCHEMAS, z.array(z.union(EVENT_SCHEMAS))]),
            examples: {
              ended: { summary: 'A call ended', value: example },
              ringing: { summary: 'Extensions ring (live)', value: ringingExample },
              answered: { summary: 'An extension answered (live)', value: answeredExample },
            },
          },
        },
      },
    },
    responses: { 202: { description: 'Stored (and normally applied)', content: { 'application/json': { schema: AcceptedSchema } } } },
    errors: [400, 401, 404, 413, 503],
  },
};
