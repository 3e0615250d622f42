/**
 * One list of error codes for the API, the log and the console: each refusal the service can make
 * over HTTP answers a code from `domain/errors.ts` with the status that code goes with, and the
 * access log's line for that request carries the same code and request id.
 */
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/domain/errors';
import { ERROR_STATUS } from '../../src/http/core/errors';
import { ADMIN_TOKEN, harness, type Harness } from '#test/app';
import { useTestDb } from '#test/db';
import { callEnded } from '#test/events';

const testDb = useTestDb();

interface LogLine {
  level: string;
  msg: string;
  requestId?: string;
  code?: string;
  status?: number;
}

const lines = (h: Harness) => h.log.lines.map((l) => JSON.parse(l) as LogLine);

async function refusal(h: Harness, res: Response) {
  const body = (await res.json()) as { error: { code: string; message: string; requestId: string } };
  const access = lines(h).find((l) => l.msg === 'request' && l.requestId === body.error.requestId);
  return { status: res.status, body: body.error, access };
}

const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };

const REFUSALS: [string, (h: Harness) => Response | Promise<Response>, string][] = [
  ['an unknown route', (h) => h.app.request('/v1/nothing-here'), 'not_found'],
  ['a wrong webhook signature', (h) => h.post(callEnded(), { header: 't=1,v1=00' }), 'invalid_signature'],
  ['a webhook body that breaks the schema', (h) => h.post({ type: 'call.ended', call_id: 'x', started_at: 'later' }), 'invalid_body'],
  ['the admin API without a token', (h) => h.app.request('/v1/calls'), 'unauthorized'],
  ['a calls query with a bad date', (h) => h.app.request('/v1/calls?from=yesterday-ish', { headers: bearer }), 'invalid_query'],
  [
    'a retry of a call that does not exist',
    (h) => h.app.request('/v1/calls/3b9f6a52-5b8e-4a7e-9d0f-4d1c2e6b7a10/retry', { method: 'POST', headers: bearer }),
    'not_found',
  ],
  [
    'a reprocess request without ids',
    (h) => h.app.request('/v1/inbox/reprocess', { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: '{}' }),
    'invalid_request',
  ],
  ['a body over the limit', (h) => h.post('x'.repeat(1_100_000), { sign: false }), 'payload_too_large'],
];

describe('a refusal', () => {
  it.each(REFUSALS)('%s answers one code of the list, with its status, and logs the same code', async (_, send, code) => {
    const h = harness(testDb());
    const { status, body, access } = await refusal(h, await send(h));
    expect(body.code).toBe(code);
    expect(Object.keys(ERROR_CODES)).toContain(body.code);
    expect(status).toBe(ERROR_STATUS[code as keyof typeof ERROR_STATUS]);
    expect(access).toMatchObject({ level: 'warn', status, code });
  });

  it('a failure of ours answers internal, and the error line and the access line both say internal', async () => {
    const h = harness(testDb(), {
      deps: {
        db: new Proxy(testDb().db, {
          get(target, key, receiver) {
            if (key === 'select') throw new Error('a bug in a query');
            return Reflect.get(target, key, receiver);
          },
        }),
      },
    });
    const { status, body, access } = await refusal(h, await h.app.request('/v1/calls', { headers: bearer }));
    expect({ status, code: body.code }).toEqual({ status: 500, code: 'internal' });
    expect(body.message).not.toContain('a bug in a query');
    expect(access).toMatchObject({ level: 'error', code: 'internal' });
    expect(lines(h).find((l) => l.msg === 'unhandled error')).toMatchObject({ code: 'internal', requestId: body.requestId });
  });
});
