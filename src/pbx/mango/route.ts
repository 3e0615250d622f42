/**
 * POST /v1/pbx/mango/events/{summary,recording,call} — Mango Office's Realtime API notifications.
 * In Mango's account (Integrations → API connector) the external system's address is
 * `<PUBLIC_URL>/v1/pbx/mango`; Mango appends /events/… itself. Each request is signed (sign,
 * vpbx_api_key) and answered 200: Mango reads only the status. Notifications calltrail does not
 * use (events/sms, events/dtmf, …) are verified and answered 200 without being stored.
 * @module
 */
import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppDeps } from '../../deps';
import { ApiError } from '../../http/errors';
import { errorResponses } from '../../http/schemas';
import type { IngestResult } from '../../ledger/inbox';
import { decodeBody } from '../../lib/charset';
import { receiveWebhook, requestBytes, type WebhookSource } from '../webhook';
import { mangoParser, type MangoEventKind } from './parse';
import { verifyMangoBody, type MangoCredentials } from './signature';
import { mangoDedupeKey, storedTimeline } from './timeline';

export const BASE_PATH = '/v1/pbx/mango';
const ENABLE_HINT = 'set MANGO_API_KEY and MANGO_API_SALT';

const accepted = (c: Context, result: IngestResult) =>
  c.json({ status: result.status, inbox_id: result.inboxId, events: result.events }, 200);

export function mangoSource(kind: MangoEventKind, timeline?: string): WebhookSource<MangoCredentials> {
  return {
    parser: mangoParser,
    enableHint: ENABLE_HINT,
    credentials: (deps) => deps.settings.secrets.mango,
    verify: (request, credentials) => verifyMangoBody(request.body, credentials),
    charset: (deps) => deps.config.sources.mango.charset,
    form: () => true,
    meta: () => ({ event: kind, ...(timeline ? { timeline } : {}) }),
    dedupeKey: (request) => mangoDedupeKey(kind, request.raw),
    accepted,
  };
}

export function mangoRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();
  register(app);

  app.post(`${BASE_PATH}/events/summary`, (c) => receiveWebhook(c, deps, mangoSource('summary')));
  app.post(`${BASE_PATH}/events/recording`, (c) => receiveWebhook(c, deps, mangoSource('recording')));
  app.post(`${BASE_PATH}/events/call`, async (c) => {
    // The call's earlier notifications complete its leg; looked up only for an authentic request.
    const credentials = deps.settings.secrets.mango;
    let timeline: string | undefined;
    if (credentials) {
      const body = await requestBytes(c);
      if ((await verifyMangoBody(body, credentials)).ok) {
        timeline = await storedTimeline(deps.db, decodeBody(body, deps.config.sources.mango.charset, true).text);
      }
    }
    return receiveWebhook(c, deps, mangoSource('call', timeline));
  });
  app.post(`${BASE_PATH}/*`, async (c) => {
    const credentials = deps.settings.secrets.mango;
    if (!credentials) throw new ApiError(404, 'source_disabled', `the mango source is not enabled: ${ENABLE_HINT}`);
    const verdict = await verifyMangoBody(await requestBytes(c), credentials);
    if (!verdict.ok) throw new ApiError(401, 'invalid_signature', verdict.reason);
    deps.log.debug('mango notification not used by calltrail', { path: c.req.path });
    return c.json({ status: 'ignored' }, 200);
  });
  return app;
}

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

function register(app: OpenAPIHono) {
  const paths: [MangoEventKind, string, string][] = [
    [
      'call',
      'Mango call state',
      'One state of one call of an entry (Appeared, Connected, OnHold, Disconnected). ' +
        "An employee's leg is written once all its states have arrived, in any order.",
    ],
    ['summary', 'Mango call summary', 'The end of an entry (entry_id): its direction, parties and times. Ends the conversation.'],
    ['recording', 'Mango recording', "A recording of an employee's part; Completed with a recording_id that Mango keeps in its cloud."],
  ];
  for (const [kind, summary, description] of paths) {
    app.openAPIRegistry.registerPath({
      method: 'post',
      path: `${BASE_PATH}/events/${kind}`,
      tags: ['pbx'],
      summary,
      description: `${description} Form fields vpbx_api_key, sign, json; stored before the answer; 200.`,
      request: { body: { required: true, content: { 'application/x-www-form-urlencoded': { schema: formBody } } } },
      responses: {
        200: { description: 'Stored (and normally applied)', content: { 'application/json': { schema: AcceptedSchema } } },
        ...errorResponses(400, 401, 404, 413, 503),
      },
    });
  }
}
