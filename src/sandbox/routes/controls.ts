/**
 * /__sandbox/*: the levers and windows of the fake, for tests, the bench and demos. No auth and
 * no rate limit — these are not amoCRM endpoints, and a test must be able to lift a block that
 * the API itself refuses to talk about.
 * @module
 */
import { Hono } from 'hono';
import * as z from 'zod';
import type { SandboxContext } from '../core/context';
import { FAULT_KINDS, type FaultKind } from '../core/options';
import { problem } from '../core/responses';
import { readJson } from '../core/validation';

const weight = z.number().min(0).optional();
const faultSchema = z.object({
  seed: z.number().int().default(1),
  rate: z.number().min(0).max(1),
  kinds: z.object(Object.fromEntries(FAULT_KINDS.map((k) => [k, weight])) as Record<FaultKind, typeof weight>).optional(),
  slowMs: z.number().int().min(0).optional(),
  reads: z.boolean().optional(),
});

const contactSchema = z.object({
  name: z.string(),
  phones: z.array(z.union([z.string(), z.object({ value: z.string(), enum_code: z.string().optional() })])),
  leads: z.number().int().min(0).max(50).optional(),
  customers: z.number().int().min(0).max(50).optional(),
  responsible_user_id: z.number().int().optional(),
});

function invalid(error: z.ZodError): Response {
  return problem(400, error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '));
}

export function controlRoutes(ctx: SandboxContext) {
  const app = new Hono();
  const { store } = ctx;

  app.get('/state', (c) =>
    c.json({
      account: { id: store.accountId, subdomain: ctx.options.subdomain, blocked: ctx.limiter.blocked },
      users: store.users(),
      contacts: store.contacts(),
      companies: store.companies(),
      leads: store.leads(),
      customers: store.customers(),
      notes: store.allNotes(),
      unsorted: store.unsorted(),
      tasks: store.tasks(),
    }),
  );

  app.get('/stats', (c) => c.json(ctx.stats.snapshot(ctx.limiter.blocked)));

  app.post('/faults', async (c) => {
    const body = await readJson(c);
    if (!body.ok) return body.response;
    const parsed = faultSchema.safeParse(body.value);
    if (!parsed.success) return invalid(parsed.error);
    ctx.faults.set(parsed.data);
    return c.json({ faults: parsed.data.rate > 0 ? parsed.data : null });
  });

  app.post('/unblock', (c) => {
    ctx.limiter.unblock();
    return c.json({ blocked: false });
  });

  // Someone deleted a call's note in the CRM (every note carrying the uniq), or removed its
  // recording link: what the nightly reconciliation must notice.
  app.delete('/notes/:uniq', (c) => {
    const notes = store.notesByUniq(c.req.param('uniq'));
    for (const n of notes) store.deleteNote(n.entity_type, n.id);
    return notes.length ? c.json({ deleted: notes.length }) : problem(404, `no call note with uniq ${c.req.param('uniq')}`);
  });
  app.delete('/notes/:uniq/link', (c) => {
    const notes = store.notesByUniq(c.req.param('uniq'));
    for (const n of notes) delete store.notesOf(n.entity_type).get(n.id)?.params.link;
    return notes.length ? c.json({ unlinked: notes.length }) : problem(404, `no call note with uniq ${c.req.param('uniq')}`);
  });

  app.post('/contacts', async (c) => {
    const body = await readJson(c);
    if (!body.ok) return body.response;
    const parsed = contactSchema.safeParse(body.value);
    if (!parsed.success) return invalid(parsed.error);
    return c.json(store.addContact(parsed.data), 201);
  });
  return app;
}
