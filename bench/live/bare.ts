/**
 * The lookup bench's physical limit: a bare Hono handler on @hono/node-server answering the same
 * JSON as GET /v1/lookup does for a cached caller, with no database, auth or logging. Started as
 * its own process (like the service); prints its URL as one JSON line.
 * @module
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const answer = {
  phone: '+79160000001',
  contact: { id: '1', name: 'Caller 0001' },
  company: null,
  responsible: { user_id: '1001', extension: '101' },
  deal: null,
  url: 'https://example.amocrm.ru/contacts/detail/1',
  caller_name: 'Caller 0001',
  route: '101',
  answered_from: 'cache',
  reason: null,
};

const app = new Hono();
app.get('/v1/lookup', (c) => c.json({ ...answer, phone: c.req.query('phone') ?? null }));
serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  console.log(JSON.stringify({ url: `http://127.0.0.1:${info.port}` }));
});
