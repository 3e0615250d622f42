/**
 * A stand-in amoCRM for the live bench, in the bench's own process so that "the pop request
 * arrived" is read on the same clock as "the ring was sent": it records when each
 * `POST /api/v2/events` event arrives, answers caller lookups (`GET /api/v4/contacts?query=`)
 * with a contact whose PHONE field has the number, and holds amoCRM's limit — more than `rps`
 * requests in any second get a 429, counted.
 * @module
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeCrm {
  url: string;
  /** Arrival time (performance.now()) of the first pop event per phone number. */
  pops: Map<string, number>;
  /** Every request, by "METHOD path". */
  requests: Map<string, number>;
  /** Requests refused with 429 for exceeding the limit. */
  refused: number;
  /** Most requests started within any one second. */
  busiestSecond(): number;
  close(): Promise<void>;
}

const read = async (req: IncomingMessage): Promise<string> => {
  let body = '';
  for await (const chunk of req) body += chunk;
  return body;
};

function contact(query: string) {
  const id = Number(query.slice(-7)) || 1;
  return {
    _embedded: {
      contacts: [
        {
          id,
          name: `Caller ${query.slice(-4)}`,
          responsible_user_id: 1001,
          custom_fields_values: [{ field_id: 1, field_code: 'PHONE', values: [{ value: `+7${query.slice(-10)}`, enum_code: 'WORK' }] }],
          _embedded: { leads: [], companies: [] },
        },
      ],
    },
  };
}

export async function startFakeCrm(rps: number): Promise<FakeCrm> {
  const pops = new Map<string, number>();
  const requests = new Map<string, number>();
  const starts: number[] = [];
  let refused = 0;
  const server: Server = createServer(async (req, res) => {
    const now = performance.now();
    const url = new URL(req.url ?? '/', 'http://crm');
    const key = `${req.method} ${url.pathname}`;
    requests.set(key, (requests.get(key) ?? 0) + 1);
    const body = await read(req);
    while (starts.length && (starts[0] as number) <= now - 1000) starts.shift();
    if (starts.length >= rps) {
      refused++;
      res.writeHead(429, { 'content-type': 'application/problem+json' }).end('{"title":"Too Many Requests","status":429}');
      return;
    }
    starts.push(now);
    window.push(now);
    res.setHeader('content-type', 'application/hal+json');
    if (key === 'POST /api/v2/events') {
      const events = (JSON.parse(body) as { add: { phone_number: string }[] }).add;
      for (const e of events) if (!pops.has(e.phone_number)) pops.set(e.phone_number, now);
      res.end(JSON.stringify({ _embedded: { items: events.map((e, i) => ({ uid: `e${i}`, phone_number: e.phone_number })) } }));
    } else if (key === 'GET /api/v4/contacts' && url.searchParams.get('query')) {
      res.end(JSON.stringify(contact(url.searchParams.get('query') as string)));
    } else {
      res.writeHead(204).end();
    }
  });
  const window: number[] = [];
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    pops,
    requests,
    get refused() {
      return refused;
    },
    busiestSecond() {
      let best = 0;
      let from = 0;
      for (let to = 0; to < window.length; to++) {
        while ((window[to] as number) - (window[from] as number) >= 1000) from++;
        best = Math.max(best, to - from + 1);
      }
      return best;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
