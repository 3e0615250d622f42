/**
 * POST /v1/pbx/asterisk/cdr — CDRs pushed by a forwarding script on the PBX: Master.csv lines or
 * AMI Cdr events as JSON, signed like the generic webhook with ASTERISK_WEBHOOK_SECRET.
 * @module
 */
// .openapi() on zod's schemas: @hono/zod-openapi adds it as it loads.
import '@hono/zod-openapi';
import * as z from 'zod';
import type { PbxWebhook, WebhookSettings } from '../core/webhook';
import { SIGNATURE_HEADER, TOLERANCE_SECONDS, verifySignature } from '../generic/signature';
import { MAX_AMI_EVENTS } from './ami';
import type { AsteriskConfig } from './config';

export const PATH = '/v1/pbx/asterisk/cdr';

const Accepted = z
  .object({
    status: z.enum(['processed', 'duplicate', 'stored']),
    inbox_id: z.number().int().nullable(),
    events: z.number().int().openapi({ description: 'legs read from the body (one per CDR)' }),
  })
  .openapi('AsteriskCdrAccepted');

const csvExample =
  '"","74951234567","100","from-trunk","""Ivan"" <74951234567>","PJSIP/trunk-00000001","PJSIP/100-00000002","Dial","PJSIP/100,30",' +
  '"2026-11-20 10:00:00","2026-11-20 10:00:05","2026-11-20 10:00:35",35,30,"ANSWERED","DOCUMENTATION","1763622000.1",' +
  '"in-74951234567-100-20261120-100000-1763622000.1.wav","","1763622000.1",1';

const amiExample = {
  Event: 'Cdr',
  Source: '74951234567',
  Destination: '100',
  Channel: 'PJSIP/trunk-00000001',
  DestinationChannel: 'PJSIP/100-00000002',
  StartTime: '2026-11-20 10:00:00',
  AnswerTime: '2026-11-20 10:00:05',
  EndTime: '2026-11-20 10:00:35',
  Duration: '35',
  BillableSeconds: '30',
  Disposition: 'ANSWERED',
  UniqueID: '1763622000.1',
};

export const asteriskWebhook: PbxWebhook<{ secret: string }, WebhookSettings<{ asterisk?: string }, { asterisk: AsteriskConfig }>> = {
  method: 'post',
  path: PATH,
  enableHint: 'set ASTERISK_WEBHOOK_SECRET',
  credentials: ({ settings }) => (settings.secrets.asterisk ? { secret: settings.secrets.asterisk } : undefined),
  // Over the bytes as sent: Master.csv lines carry caller names in the PBX's charset (often cp1251).
  verify: (request, { secret }, now) => verifySignature(request.headers.get(SIGNATURE_HEADER) ?? undefined, request.body, secret, now),
  charset: ({ config }) => config.sources.asterisk.charset,
  // How the body is read (CSV or JSON) must survive a replay.
  meta: (request): Record<string, string> => {
    const type = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
    return type ? { content_type: type } : {};
  },
  doc: {
    summary: 'Asterisk / FreePBX CDR push',
    description:
      'One or more Master.csv lines (`text/csv` or `text/plain`; columns per `sources.asterisk.csv_columns`, default ' +
      '`full`: cdr_csv with loguniqueid, loguserfield and newcdrcolumns) or AMI `Cdr` events as JSON (one object or an ' +
      `array of up to ${MAX_AMI_EVENTS}). Signed like the generic webhook: \`${SIGNATURE_HEADER}: t=<unix seconds>,` +
      `v1=<hex HMAC-SHA256(ASTERISK_WEBHOOK_SECRET, "<t>.<raw body>")>\`, ${TOLERANCE_SECONDS} s tolerance, over the body's ` +
      'bytes as sent; they are read in `sources.asterisk.charset` (default: UTF-8, else Windows-1251). ' +
      'CDRs sharing a linkedid are one conversation; it settles SETTLE_SECONDS after its last CDR. ' +
      'A malformed row refuses the whole body with each problem’s line and column. 404 while ASTERISK_WEBHOOK_SECRET is unset.',
    request: {
      headers: z.object({ [SIGNATURE_HEADER]: z.string().openapi({ example: 't=1763622000,v1=5257a8…' }) }),
      body: {
        required: true,
        content: {
          'text/csv': { schema: z.string(), example: csvExample },
          'application/json': {
            schema: z.union([z.record(z.string(), z.string()), z.array(z.record(z.string(), z.string()))]),
            example: amiExample,
          },
        },
      },
    },
    responses: { 202: { description: 'Stored (and normally applied)', content: { 'application/json': { schema: Accepted } } } },
    errors: [400, 401, 404, 413, 503],
  },
};
