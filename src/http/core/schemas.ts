/**
 * Response schemas shared by routes, for validation and the OpenAPI document.
 * @module
 */
// .openapi() on zod's schemas: @hono/zod-openapi adds it as it loads.
import '@hono/zod-openapi';
import * as z from 'zod';
import { ERROR_CODE_LIST } from '../../domain/errors';

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODE_LIST).openapi({ example: 'invalid_body', description: 'One of the codes listed in README "Error codes"' }),
      message: z.string().openapi({ example: '[0].ended_at: is before started_at' }),
      requestId: z.string().openapi({ example: '3b9f6a52-5b8e-4a7e-9d0f-4d1c2e6b7a10' }),
      details: z.array(z.string()).optional(),
    }),
  })
  .openapi('Error');

export const errorResponses = (...codes: (400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 502 | 503)[]) => {
  const text: Record<number, string> = {
    400: 'The request is malformed; the message says what to fix',
    401: 'Missing or invalid credentials or signature',
    403: "The token is valid but lacks this endpoint's scope",
    404: 'Not found, or the source is not enabled',
    409: 'The request conflicts with the current state; the message says why',
    413: 'Body larger than 1 MB',
    422: 'The PBX refused the request; the message gives its reason',
    429: 'Too many requests or refusals; wait the Retry-After seconds',
    502: 'The PBX could not be reached; nothing was done',
    503: 'The database is unavailable; nothing was stored',
  };
  return Object.fromEntries(codes.map((code) => [code, { description: text[code] ?? '', content: { 'application/json': { schema: ErrorSchema } } }]));
};
