/**
 * POST /v1/pbx/freeswitch — mod_json_cdr posts one CDR per call leg to `<url>?uuid=<leg uuid>`,
 * authenticated with HTTP Basic (FREESWITCH_BASIC_AUTH).
 * @module
 */
// .openapi() on zod's schemas: @hono/zod-openapi adds it as it loads.
import '@hono/zod-openapi';
import * as z from 'zod';
import type { PbxWebhook, WebhookSettings } from '../core/webhook';
import type { FreeswitchConfig } from './config';
import { verifyBasicAuth } from './signature';

export const PATH = '/v1/pbx/freeswitch';

const example = 'cdr=%7B%22core-uuid%22%3A%22…%22%2C%22variables%22%3A%7B%22uuid%22%3A%22…%22%2C%22call_uuid%22%3A%22…%22%7D%7D';

export const freeswitchWebhook: PbxWebhook<string, WebhookSettings<{ freeswitch?: string }, { freeswitch: FreeswitchConfig }>> = {
  method: 'post',
  path: PATH,
  enableHint: 'set FREESWITCH_BASIC_AUTH to the "user:pass" given as cred in json_cdr.conf',
  challenge: 'Basic realm="calltrail", charset="UTF-8"',
  credentials: ({ settings }) => settings.secrets.freeswitch || undefined,
  verify: async (request, expected) => verifyBasicAuth(request.headers.get('authorization') ?? undefined, expected),
  charset: ({ config }) => config.sources.freeswitch.charset,
  // cdr=<URL-encoded JSON> is a form whose value carries the text; base64 and bare JSON are not.
  form: (request) => !/base64/i.test(request.headers.get('content-type') ?? '') && /^\s*cdr=/.test(new TextDecoder().decode(request.body.subarray(0, 16))),
  // The content type says how the body is encoded; the uuid names the leg. Neither is secret.
  meta: (request) => {
    const meta: Record<string, string> = {};
    const contentType = request.headers.get('content-type');
    const uuid = request.query.get('uuid');
    if (contentType) meta.content_type = contentType;
    if (uuid) meta.uuid = uuid;
    return meta;
  },
  // mod_json_cdr posts a leg once and retries the same leg on failure: the leg's uuid is its id.
  dedupeKey: (request) => {
    const uuid = request.query.get('uuid');
    return uuid && /^[\w-]{1,64}$/.test(uuid) ? `leg:${uuid}` : undefined;
  },
  doc: {
    summary: 'FreeSWITCH mod_json_cdr',
    description:
      "One JSON CDR per leg, in any of mod_json_cdr's encodings: `cdr=<URL-encoded JSON>` (encode=true, the default), " +
      '`cdr=<base64 JSON>` (encode=base64) or the JSON itself (encode=false); variable values URL-encoded again ' +
      '(encode-values=true, the default) or not (config sources.freeswitch.encode_values). HTTP Basic auth with ' +
      'FREESWITCH_BASIC_AUTH. Legs are grouped by call_uuid; the A-leg ends the conversation.',
    request: {
      query: z.object({ uuid: z.string().optional().openapi({ description: 'the leg uuid mod_json_cdr appends' }) }),
      body: {
        required: true,
        content: {
          'application/x-www-form-urlencoded': { schema: z.object({ cdr: z.string() }), example },
          'application/x-www-form-base64-encoded': { schema: z.string() },
          'application/json': { schema: z.object({ variables: z.record(z.string(), z.string()), callflow: z.array(z.unknown()).optional() }) },
        },
      },
    },
    security: [{ basic: [] }],
    responses: { 202: { description: 'Stored (and normally applied)' } },
    errors: [400, 401, 404, 413, 503],
    securitySchemes: { basic: { type: 'http', scheme: 'basic' } },
  },
};
