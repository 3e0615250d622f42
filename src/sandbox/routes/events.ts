/**
 * POST /api/v2/events — amoCRM's incoming-call pop-up: `{"add":[{"type":"phone_call",
 * "phone_number":"…","users":[ids]}]}` shows the ringing number (and the card that has it) to
 * those users now. The sandbox validates it as amoCRM's API does (a JSON object with a non-empty
 * `add` list; each item of type phone_call, a number with at least 5 digits, a non-empty list of
 * the account's user ids — otherwise a 400 naming each bad item, nothing kept), keeps the events
 * and puts them on the timeline page, where a banner appears without a reload
 * (GET /pops, routes/timeline.tsx). It sits behind the same gate as /api/v4 (auth, the 7 rps limit,
 * the block, faults).
 *
 * Details the vendor leaves open, settled here: the answer lists one item per event with its
 * `uid`, the number, and the card amoCRM would open (element_type 1 contact, 3 company; 0 and
 * element_id 0 when nobody has the number) — the pop-up still shows then, as amoCRM offers to
 * create a contact.
 * @module
 */
import { Hono } from 'hono';
import * as z from 'zod';
import type { SandboxContext } from '../core/context';
import { findByPhone } from '../core/phone-match';
import { hex } from '../core/prng';
import { type FieldError, hal, type ItemErrors, problem, validationProblem } from '../core/responses';
import { fieldError, readJson } from '../core/validation';

const eventSchema = z.object({
  type: z.literal('phone_call'),
  phone_number: z.string().min(1),
  users: z.array(z.number().int()).min(1),
});
type EventInput = z.output<typeof eventSchema>;

const MAX_EVENTS = 100;
const ELEMENT_TYPES = { contacts: 1, companies: 3 } as const;

function semanticErrors(ctx: SandboxContext, item: EventInput): FieldError[] {
  const errors: FieldError[] = [];
  if (item.phone_number.replace(/\D/g, '').length < 5) {
    errors.push({ code: 'InvalidValue', path: 'phone_number', detail: 'This value is not a valid phone number.' });
  }
  item.users.forEach((id, i) => {
    if (!ctx.store.user(id)) errors.push({ code: 'NotSupportedChoice', path: `users.${i}`, detail: 'The value you selected is not a valid choice.' });
  });
  return errors;
}

/** The `add` list read and checked; every bad item is named by its index. */
function readEvents(ctx: SandboxContext, body: unknown): { ok: true; items: EventInput[] } | { ok: false; response: Response } {
  const list = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as { add?: unknown }).add : undefined;
  const bodyError = (code: string, detail: string) => ({
    ok: false as const,
    response: validationProblem([{ request_id: '0', errors: [{ code, path: 'add', detail }] }]),
  });
  if (!Array.isArray(list)) return bodyError(list === undefined ? 'NotBlank' : 'InvalidType', 'This value should be of type array.');
  if (list.length === 0) return bodyError('NotBlank', 'This collection should contain 1 element or more.');
  if (list.length > MAX_EVENTS) return bodyError('TooMany', `This collection should contain ${MAX_EVENTS} elements or less.`);
  const items: EventInput[] = [];
  const bad: ItemErrors[] = [];
  list.forEach((raw, i) => {
    const parsed = eventSchema.safeParse(raw);
    const errors = parsed.success ? semanticErrors(ctx, parsed.data) : parsed.error.issues.map((issue) => fieldError(issue, raw));
    if (errors.length) bad.push({ request_id: String(i), errors: errors.map((e) => ({ ...e, path: `add.${i}.${e.path}` })) });
    else if (parsed.success) items.push(parsed.data);
  });
  return bad.length ? { ok: false, response: validationProblem(bad) } : { ok: true, items };
}

export function eventRoutes(ctx: SandboxContext) {
  const app = new Hono();
  const { store } = ctx;

  app.post('/events', async (c) => {
    const body = await readJson(c);
    if (!body.ok) return body.response;
    const read = readEvents(ctx, body.value);
    if (!read.ok) return read.response;
    const items = read.items.map((item) => {
      const owner = findByPhone(store, item.phone_number);
      const event = store.addEvent({
        uid: hex(store.random, 32),
        phone_number: item.phone_number,
        users: item.users,
        created_at: ctx.unix(),
        element: owner ? { type: owner.type, id: owner.party.id, name: owner.party.name } : null,
      });
      return {
        uid: event.uid,
        phone_number: event.phone_number,
        element_id: event.element?.id ?? 0,
        element_type: event.element ? ELEMENT_TYPES[event.element.type] : 0,
        _links: { self: { href: '/api/v2/events', method: 'get' } },
      };
    });
    return hal({ _links: { self: { href: '/api/v2/events', method: 'post' } }, _embedded: { items } });
  });

  app.all('/events', () => problem(405, 'Only POST is supported on /api/v2/events'));
  return app;
}
