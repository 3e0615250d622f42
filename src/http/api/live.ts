/**
 * The live half's API: `GET /v1/lookup` for the PBX (who is calling, whom to route to) and
 * `POST /v1/originate` for click-to-call (the CRM widget, scripts). Each takes a bearer token of
 * its own scope (LOOKUP_TOKEN, ORIGINATE_TOKEN) or the admin token.
 * @module
 */
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import * as z from 'zod';
import type { AppDeps } from '../../deps';
import { lookupCaller, originateCall } from '../../live';
import { timingSafeEqual } from 'hono/utils/buffer';
import { ApiError } from '../core/errors';
import { errorResponses } from '../core/schemas';

const Ref = z.object({ id: z.string(), name: z.string() });

const LookupSchema = z
  .object({
    phone: z.string().nullable().openapi({ description: 'The number looked up, E.164 when it could be normalized' }),
    contact: Ref.nullable(),
    company: Ref.nullable(),
    responsible: z.object({ user_id: z.string(), extension: z.string().nullable() }).nullable(),
    deal: Ref.extend({ status_id: z.string().nullable() }).nullable(),
    url: z.string().nullable().openapi({ description: "The caller's card in the CRM" }),
    caller_name: z.string().nullable().openapi({ description: "What the phone's display may show" }),
    route: z.string().nullable().openapi({ description: "Where to send the call: the responsible user's extension, else live.lookup.default_route" }),
    answered_from: z.enum(['cache', 'crm', 'default']),
    reason: z.string().nullable().openapi({ description: 'Why the default route was given (unknown number, CRM late or down)' }),
  })
  .openapi('Lookup');

const lookupRoute = createRoute({
  method: 'get',
  path: '/v1/lookup',
  tags: ['live'],
  summary:
    "Who is calling and whom to route to: the CRM's contact or company for the number, its responsible user and that user's extension, its open deal. From the cache in milliseconds; on a miss the CRM is asked for at most live.lookup.deadline_ms, then the default route is answered. `format=text` answers the caller's name alone (FreePBX Caller ID Superfecta, Asterisk CURL()).",
  security: [{ bearer: [] }],
  request: {
    query: z.object({
      phone: z.string().min(1).max(64).openapi({ description: "The caller's number in any format" }),
      line: z.string().max(64).optional().openapi({ description: 'Our number the call came in on (DID): picks the country of national numbers' }),
      format: z
        .enum(['json', 'text', 'route'])
        .optional()
        .openapi({ description: 'text: the caller name only; route: the extension to route to only (empty: the default)' }),
    }),
  },
  responses: {
    200: {
      description: 'The caller, or nobody (every field null but route) — never an error for an unknown number',
      content: { 'application/json': { schema: LookupSchema }, 'text/plain': { schema: z.string() } },
    },
    ...errorResponses(400, 401, 403),
  },
});

const originateRoute = createRoute({
  method: 'post',
  path: '/v1/originate',
  tags: ['live'],
  summary:
    "Click-to-call: the PBX rings the rep's phone (by extension, or the CRM user's mapped extension), then the customer. The call that follows is credited to the user who asked.",
  security: [{ bearer: [] }],
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z
            .strictObject({
              phone: z.string().min(1).max(64),
              extension: z
                .string()
                .regex(/^[0-9A-Za-z*#+_-]{1,20}$/)
                .optional(),
              user: z.union([z.number().int().positive(), z.string().regex(/^\d{1,20}$/)]).optional(),
            })
            .refine((b) => b.extension !== undefined || b.user !== undefined, { message: 'give extension or user', path: ['extension'] }),
        },
      },
    },
  },
  responses: {
    202: {
      description: 'The PBX took the request: it rings the rep now',
      content: {
        'application/json': {
          schema: z
            .object({ id: z.string().uuid(), status: z.literal('requested'), source: z.string(), extension: z.string(), vendor_ref: z.string().nullable() })
            .openapi('Originated'),
        },
      },
    },
    ...errorResponses(400, 401, 403, 404, 422, 502),
  },
});

const bitrix24Route = createRoute({
  method: 'post',
  path: '/v1/crm/bitrix24/events',
  tags: ['live'],
  summary:
    "Bitrix24's outbound webhook for ONEXTERNALCALLSTART (a click on a number in Bitrix24): the PBX rings the clicking user's extension, then the number. Authenticated by the event's auth[application_token] = BITRIX24_APP_TOKEN.",
  request: {
    body: {
      required: true,
      content: {
        'application/x-www-form-urlencoded': {
          schema: z.object({
            event: z.string().openapi({ example: 'ONEXTERNALCALLSTART' }),
            'data[PHONE_NUMBER]': z.string().optional(),
            'data[USER_ID]': z.string().optional(),
            'data[CALL_ID]': z.string().optional(),
            'auth[application_token]': z.string().optional(),
          }),
        },
      },
    },
  },
  responses: {
    200: {
      description: 'The PBX took the request',
      content: { 'application/json': { schema: z.object({ id: z.string().uuid(), status: z.literal('requested') }) } },
    },
    ...errorResponses(400, 401, 404, 422, 502),
  },
});

export function liveRoutes(deps: AppDeps) {
  return new OpenAPIHono()
    .openapi(lookupRoute, async (c) => {
      const { phone, line, format } = c.req.valid('query');
      const answer = await lookupCaller(deps, phone, line ?? null);
      if (format === 'text') return c.text(answer.caller_name ?? '', 200);
      if (format === 'route') return c.text(answer.route ?? '', 200);
      return c.json(answer, 200);
    })
    .openapi(originateRoute, async (c) => {
      const body = c.req.valid('json');
      const answer = await originateCall(deps, { phone: body.phone, extension: body.extension, user: body.user });
      if (answer.status === 'refused') throw new ApiError(answer.problem, answer.reason);
      return c.json({ id: answer.id, status: 'requested' as const, source: answer.source, extension: answer.extension, vendor_ref: answer.vendorRef }, 202);
    })
    .openapi(bitrix24Route, async (c) => {
      const form = c.req.valid('form');
      const expected = deps.settings.bitrix24AppToken;
      if (!expected) throw new ApiError('source_disabled', "Bitrix24's events are not accepted: set BITRIX24_APP_TOKEN");
      const given = form['auth[application_token]'] ?? '';
      if (!(await timingSafeEqual(given, expected))) throw new ApiError('invalid_signature', 'auth[application_token] does not match BITRIX24_APP_TOKEN');
      if (form.event !== 'ONEXTERNALCALLSTART') throw new ApiError('invalid_request', `event: calltrail acts on ONEXTERNALCALLSTART only, got ${form.event}`);
      const phone = form['data[PHONE_NUMBER]'];
      const user = form['data[USER_ID]'];
      if (!phone || !user) throw new ApiError('invalid_request', 'data[PHONE_NUMBER] and data[USER_ID] are required');
      const answer = await originateCall(deps, { phone, user, crmRef: form['data[CALL_ID]'] });
      if (answer.status === 'refused') throw new ApiError(answer.problem, answer.reason);
      return c.json({ id: answer.id, status: 'requested' as const }, 200);
    });
}
