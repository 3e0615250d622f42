import { createHash } from 'node:crypto';
import { http as rest, HttpResponse } from 'msw';
import { strictMswServer } from '#test/msw';
import { pullDeps } from '#test/pull';
import { describe, expect, it } from 'vitest';
import { mangoOriginator } from './originate';

const KEY = 'mango-api-key-0123456789';
const SALT = 'mango-api-salt-9876543210';
const ENDPOINT = 'https://app.mango-office.ru/vpbx/commands/callback';
const REQUEST = { id: 'orig-7', extension: '101', phone: '+74951234567' };

const server = strictMswServer();

type Deps = Parameters<typeof mangoOriginator.enabled>[0];
const deps = (clickToCall: Record<string, unknown> = {}, env: Record<string, string> = { MANGO_API_KEY: KEY, MANGO_API_SALT: SALT }) =>
  pullDeps(env, { mango: { click_to_call: clickToCall } }).deps as unknown as Deps;

interface Seen {
  method: string;
  contentType: string | null;
  key: string | null;
  signOk: boolean;
  json: unknown;
}

function mango(answer: () => Response) {
  const seen: Seen[] = [];
  server.use(
    rest.all(ENDPOINT, async ({ request }) => {
      const form = new URLSearchParams(await request.text());
      const json = form.get('json') ?? '';
      const sign = createHash('sha256').update(`${KEY}${json}${SALT}`).digest('hex');
      seen.push({
        method: request.method,
        contentType: request.headers.get('content-type'),
        key: form.get('vpbx_api_key'),
        signOk: form.get('sign') === sign,
        json: JSON.parse(json),
      });
      return answer();
    }),
  );
  return seen;
}

describe('Mango click-to-call', () => {
  it('posts commands/callback as a signed form: from.extension, to_number, command_id', async () => {
    const seen = mango(() => HttpResponse.json({ result: 1000 }));
    const result = await mangoOriginator.originate(REQUEST, deps());
    expect(result).toEqual({ status: 'requested', vendorRef: 'orig-7' });
    expect(seen).toEqual([
      {
        method: 'POST',
        contentType: 'application/x-www-form-urlencoded',
        key: KEY,
        signOk: true,
        json: { command_id: 'orig-7', from: { extension: '101' }, to_number: '74951234567' },
      },
    ]);
  });

  it("calls from the request's line, else the configured one", async () => {
    const seen = mango(() => HttpResponse.json({ result: 1000 }));
    await mangoOriginator.originate(REQUEST, deps({ line_number: '74950000000' }));
    await mangoOriginator.originate({ ...REQUEST, callerId: '+7 495 111-11-11' }, deps({ line_number: '74950000000' }));
    expect(seen.map((s) => (s.json as { line_number?: string }).line_number)).toEqual(['74950000000', '74951111111']);
  });

  it.each([
    [200, { result: 3105 }, /MANGO_API_KEY/, false],
    [200, { result: 3102 }, /MANGO_API_SALT/, false],
    [200, { result: 3330 }, /extension/, false],
    [200, { result: 3200 }, /number is not valid/, false],
    [200, { result: 2100 }, /balance/, false],
    [200, { result: 2230 }, /may not make this call/, false],
    [200, { result: 4001 }, /try again/, true],
    [200, { result: 5001 }, /overloaded/, true],
    [401, '', /credentials/, false],
    [503, 'Service Unavailable', /not answering/, true],
  ])('maps HTTP %i %j to a reason for the rep', async (status, body, reason, retryable) => {
    mango(() => (typeof body === 'string' ? new HttpResponse(body, { status }) : HttpResponse.json(body, { status })));
    expect(await mangoOriginator.originate(REQUEST, deps())).toEqual({ status: 'refused', reason: expect.stringMatching(reason), retryable });
  });

  it('calls Mango unreachable retryable', async () => {
    mango(() => HttpResponse.error());
    expect(await mangoOriginator.originate(REQUEST, deps())).toEqual({
      status: 'refused',
      reason: expect.stringMatching(/could not be reached/),
      retryable: true,
    });
  });

  it('is enabled by the key pair and the config switch', () => {
    expect(mangoOriginator.enabled(deps())).toBe(true);
    expect(mangoOriginator.enabled(deps({ enabled: false }))).toBe(false);
    expect(mangoOriginator.enabled(deps({}, {}))).toBe(false);
  });
});
