import { createHash, createHmac } from 'node:crypto';
import { http as rest, HttpResponse } from 'msw';
import { strictMswServer } from '#test/msw';
import { pullDeps } from '#test/pull';
import { describe, expect, it } from 'vitest';
import type { OriginateDeps } from '../core/originate';
import { zadarmaOriginator } from './originate';

const KEY = 'a248a6a984459935b569';
const SECRET = '8a8e91d214fb728889c7';
const ENDPOINT = 'https://api.zadarma.com/v1/request/callback/';
const REQUEST = { id: 'orig-1', extension: '101', phone: '+74951234567' };

const server = strictMswServer();

const deps = (clickToCall: Record<string, unknown> = {}, env: Record<string, string> = { ZADARMA_API_KEY: KEY, ZADARMA_API_SECRET: SECRET }) =>
  pullDeps(env, { zadarma: { click_to_call: clickToCall } }).deps as unknown as OriginateDeps as Parameters<typeof zadarmaOriginator.enabled>[0];

/** Zadarma's documented signature, computed independently: sorted params, PHP-encoded, base64(hex(HMAC-SHA1)). */
function expectedAuthorization(url: URL) {
  const params = [...url.searchParams.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  const query = params.map(([k, v]) => `${k}=${encodeURIComponent(v).replace(/%20/g, '+')}`).join('&');
  const md5 = createHash('md5').update(query).digest('hex');
  const hex = createHmac('sha1', SECRET).update(`/v1/request/callback/${query}${md5}`).digest('hex');
  return `${KEY}:${Buffer.from(hex).toString('base64')}`;
}

function zadarma(answer: (url: URL) => Response) {
  const seen: { method: string; params: Record<string, string>; signed: boolean }[] = [];
  server.use(
    rest.all(ENDPOINT, ({ request }) => {
      const url = new URL(request.url);
      seen.push({
        method: request.method,
        params: Object.fromEntries(url.searchParams),
        signed: request.headers.get('authorization') === expectedAuthorization(url),
      });
      return answer(url);
    }),
  );
  return seen;
}

describe('Zadarma click-to-call', () => {
  it('asks GET /v1/request/callback/ with from = extension, to = digits, signed', async () => {
    const seen = zadarma((url) =>
      HttpResponse.json({ status: 'success', from: url.searchParams.get('from'), to: url.searchParams.get('to'), time: 1732000000 }),
    );
    const result = await zadarmaOriginator.originate(REQUEST, deps());
    expect(result).toEqual({ status: 'requested', vendorRef: null });
    expect(seen).toEqual([{ method: 'GET', params: { from: '101', to: '74951234567', format: 'json' }, signed: true }]);
  });

  it('sends sip and predicted when configured', async () => {
    const seen = zadarma(() => HttpResponse.json({ status: 'success' }));
    await zadarmaOriginator.originate(REQUEST, deps({ sip: '100', predicted: true }));
    expect(seen[0]?.params).toEqual({ from: '101', to: '74951234567', sip: '100', predicted: 'predicted', format: 'json' });
    expect(seen[0]?.signed).toBe(true);
  });

  it.each([
    [401, { status: 'error', message: 'Not authorized' }, /API key/, false],
    [200, { status: 'error', message: 'Not enough money on the balance' }, /not enough money/, false],
    [400, { status: 'error', message: 'Wrong "from" parameter: sip not found' }, /your extension/, false],
    [400, { status: 'error', message: 'Calls to this number are forbidden' }, /this number/, false],
    [429, { status: 'error', message: 'Too many requests' }, /busy/, true],
    [502, '<html>bad gateway</html>', /not answering/, true],
  ])('maps HTTP %i %j to a reason for the rep', async (status, body, reason, retryable) => {
    zadarma(() => (typeof body === 'string' ? new HttpResponse(body, { status }) : HttpResponse.json(body, { status })));
    const result = await zadarmaOriginator.originate(REQUEST, deps());
    expect(result).toEqual({ status: 'refused', reason: expect.stringMatching(reason), retryable });
  });

  it('calls Zadarma unreachable retryable', async () => {
    zadarma(() => HttpResponse.error());
    expect(await zadarmaOriginator.originate(REQUEST, deps())).toEqual({
      status: 'refused',
      reason: expect.stringMatching(/could not be reached/),
      retryable: true,
    });
  });

  it('is enabled by the API key pair and the config switch', () => {
    expect(zadarmaOriginator.enabled(deps())).toBe(true);
    expect(zadarmaOriginator.enabled(deps({ enabled: false }))).toBe(false);
    expect(zadarmaOriginator.enabled(deps({}, {}))).toBe(false);
  });
});
