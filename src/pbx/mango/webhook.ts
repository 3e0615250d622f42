/**
 * POST /v1/pbx/mango/events/{call,summary,recording} — Mango Office's Realtime API notifications.
 * In Mango's account (Integrations → API connector) the external system's address is
 * `<PUBLIC_URL>/v1/pbx/mango`; Mango appends /events/… itself. Each request is signed (sign,
 * vpbx_api_key) and answered 200: Mango reads only the status. Notifications calltrail does not
 * use (events/sms, events/dtmf, …) are verified and answered 200 without being stored.
 * @module
 */
// .openapi() on zod's schemas: @hono/zod-openapi adds it as it loads.
import '@hono/zod-openapi';
import * as z from 'zod';
import type { PbxWebhook, WebhookSettings } from '../core/webhook';
import type { MangoConfig } from './config';
import type { MangoEventKind } from './parse';
import { verifyMangoBody, type MangoCredentials } from './signature';
import { mangoDedupeKey, storedTimeline } from './timeline';

export const BASE_PATH = '/v1/pbx/mango';

type Settings = WebhookSettings<{ mango?: MangoCredentials }, { mango: MangoConfig }>;

const formBody = z.object({
  vpbx_api_key: z.string().openapi({ description: 'MANGO_API_KEY, the account the notification is about' }),
  sign: z.string().openapi({ description: 'sha256hex(vpbx_api_key + json + MANGO_API_SALT)' }),
  json: z.string().openapi({ description: 'the event, as JSON text' }),
});

const AcceptedSchema = z.object({
  status: z.enum(['processed', 'duplicate', 'stored']),
  inbox_id: z.number().int().nullable(),
  events: z.number().int(),
});

/** What every Mango endpoint shares: enabled by the key pair, each request signed over its bytes. */
const signed = {
  method: 'post',
  enableHint: 'set MANGO_API_KEY and MANGO_API_SALT',
  credentials: ({ settings }: Settings) => settings.secrets.mango,
  verify: (request, credentials) => verifyMangoBody(request.body, credentials),
} satisfies Partial<PbxWebhook<MangoCredentials, Settings>>;

const docs: Record<MangoEventKind, [summary: string, description: string]> = {
  call: [
    'Mango call state',
    'One state of one call of an entry (Appeared, Connected, OnHold, Disconnected). ' +
      "An employee's leg is written once all its states have arrived, in any order.",
  ],
  summary: ['Mango call summary', 'The end of an entry (entry_id): its direction, parties and times. Ends the conversation (and the live call).'],
  recording: ['Mango recording', "A recording of an employee's part; Completed with a recording_id that Mango keeps in its cloud."],
};

function notification(kind: MangoEventKind): PbxWebhook<MangoCredentials, Settings> {
  const [summary, description] = docs[kind];
  return {
    ...signed,
    path: `${BASE_PATH}/events/${kind}`,
    charset: ({ config }) => config.sources.mango.charset,
    form: () => true,
    meta: () => ({ event: kind }),
    dedupeKey: (request) => mangoDedupeKey(kind, request.raw),
    accepted: { status: 200, body: 'result' },
    doc: {
      summary,
      description: `${description} Form fields vpbx_api_key, sign, json; stored before the answer; 200.`,
      request: { body: { required: true, content: { 'application/x-www-form-urlencoded': { schema: formBody } } } },
      responses: { 200: { description: 'Stored (and normally applied)', content: { 'application/json': { schema: AcceptedSchema } } } },
      errors: [400, 401, 404, 413, 503],
    },
  };
}

/** A call state: the call's earlier notifications, looked up once the request is authentic, complete its leg. */
const callState: PbxWebhook<MangoCredentials, Settings> = {
  ...notification('call'),
  lookup: async (request, { db }): Promise<Record<string, string>> => {
    const timeline = await storedTimeline(db, request.raw);
    return timeline ? { timeline } : {};
  },
};

/** Last: every other notification Mango sends to the same address is verified and ignored. */
const unused: PbxWebhook<MangoCredentials, Settings> = { ...signed, path: `${BASE_PATH}/*`, receive: 'ignore' };

export const mangoWebhooks = [callState, notification('summary'), notification('recording'), unused];
