/**
 * An msw server for a test file that lets no request slip past it: a request no handler answers
 * fails (msw answers it with a network error) and is reported by the test that made it, whose
 * afterEach then fails. Handlers added with server.use() are reset after each test.
 * (msw 3 renamed v2's onUnhandledRequest, which it silently ignores, to onUnhandledFrame.)
 */
import type { RequestHandler } from 'msw';
import { setupServer, type SetupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';

export function strictMswServer(...handlers: RequestHandler[]): SetupServer {
  const server = setupServer(...handlers);
  const unhandled: string[] = [];
  beforeAll(() =>
    server.listen({
      onUnhandledFrame({ frame, defaults }) {
        const { request } = frame.data as { request?: Request };
        unhandled.push(request ? `${request.method} ${request.url}` : frame.protocol);
        defaults.error();
      },
    }),
  );
  afterEach(() => {
    server.resetHandlers();
    expect(unhandled.splice(0)).toEqual([]);
  });
  afterAll(() => server.close());
  return server;
}
