/**
 * scripts/dev-workerd.mjs (`npm run dev:workerd`), the parts that need no server: which of
 * wrangler's lines it leaves out (its proxy's line per request, which the Worker logs itself),
 * and how the port and PUBLIC_URL follow the arguments. The whole command runs in the README
 * walk-through test.
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script, no types.
import { devArgs, isProxyRequestLine, publicUrl } from '../../scripts/dev-workerd.mjs';

describe('dev:workerd', () => {
  it("leaves out wrangler's line per request, colored or not, and nothing else", () => {
    expect(isProxyRequestLine('[wrangler:info] GET /health 200 OK (4556ms)')).toBe(true);
    expect(
      isProxyRequestLine(
        '\u001b[32m[wrangler:info]\u001b[39m \u001b[0m\u001b[1mPOST\u001b[22m /v1/pbx/generic/events \u001b[33m\u001b[1m202\u001b[22m Accepted \u001b[39m\u001b[90m(81ms)',
      ),
    ).toBe(true);
    for (const kept of [
      '[wrangler:info] Ready on http://localhost:8787',
      '[wrangler:info] QUEUE calltrail-inbox 1/1 (42ms)',
      '{"level":"info","msg":"request","method":"GET","path":"/health","status":200}',
      '[wrangler:warn] Unable to fetch the `Request.cf` object! Falling back to a default placeholder...',
    ]) {
      expect(isProxyRequestLine(kept)).toBe(false);
    }
  });

  it('serves on --port, --port=N or PORT (default 8787), passing the other arguments on', () => {
    const before = process.env.PORT;
    try {
      delete process.env.PORT;
      expect(devArgs([])).toEqual({ port: 8787, ip: undefined, rest: [] });
      expect(devArgs(['--port', '8788', '--var', 'A:b'])).toEqual({ port: 8788, ip: undefined, rest: ['--var', 'A:b'] });
      expect(devArgs(['--port=8789', '--ip', '127.0.0.1'])).toEqual({ port: 8789, ip: '127.0.0.1', rest: [] });
      process.env.PORT = '9000';
      expect(devArgs([]).port).toBe(9000);
      expect(() => devArgs(['--port', 'x'])).toThrow(/TCP port/);
    } finally {
      if (before === undefined) delete process.env.PORT;
      else process.env.PORT = before;
    }
  });

  it('sets PUBLIC_URL to the address served, unless the environment sets one', () => {
    const before = process.env.PUBLIC_URL;
    try {
      delete process.env.PUBLIC_URL;
      expect(publicUrl(8787, undefined)).toEqual({ url: 'http://localhost:8787', own: false });
      expect(publicUrl(8788, '0.0.0.0')).toEqual({ url: 'http://localhost:8788', own: false });
      expect(publicUrl(8788, '127.0.0.1')).toEqual({ url: 'http://127.0.0.1:8788', own: false });
      process.env.PUBLIC_URL = 'https://calltrail.example.com';
      expect(publicUrl(8787, undefined)).toEqual({ url: 'https://calltrail.example.com', own: true });
    } finally {
      if (before === undefined) delete process.env.PUBLIC_URL;
      else process.env.PUBLIC_URL = before;
    }
  });
});
