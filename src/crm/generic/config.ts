/**
 * `crm.generic` in the integrator config: any REST CRM described as data — where it lives, how to
 * authenticate, and one request template per thing calltrail needs (find a contact, create one,
 * log a call, attach its recording, list logged calls; and for live calls, show a ringing call and
 * look a caller up). Everything is checked when the config
 * loads: a template naming an unknown variable or filter, or a selector that does not parse, is a
 * config error with its path, never a surprise in the middle of a delivery.
 *
 * Templates are Liquid (config/template.ts); selectors are JMESPath (selectors.ts). Which
 * variables a request may use depends on the request: see REQUEST_VARIABLES.
 * @module
 */
import * as z from 'zod';
import { TEMPLATE_VARIABLES } from '../../config/template';
import { checkBody, checkTemplate } from './render';
import { checkSelector } from './selectors';

/** The call's variables (config/template.ts) plus what a CRM request adds. */
const CALL_VARIABLES = [...TEMPLATE_VARIABLES, 'recording_url', 'contact_id', 'duration_ms', 'ended_at'] as const;

/** The names each request's templates may use. */
export const REQUEST_VARIABLES = {
  find_contact: ['phone'],
  create_contact: ['name', 'phone', 'user_id'],
  log_call: CALL_VARIABLES,
  update_call: [...CALL_VARIABLES, 'crm_call_id'],
  attach_recording: [...CALL_VARIABLES, 'crm_call_id'],
  list_calls: ['from', 'to', 'page', 'offset', 'cursor', 'size'],
  create_task: ['text', 'due_at', 'entity_id', 'entity_type', 'user_id'],
  list_tasks: ['entity_id', 'entity_type', 'since'],
  lookup: ['phone'],
  ringing: [
    'phone',
    'uniq',
    'direction',
    'started_at',
    'line',
    'users',
    'user_id',
    'extension',
    'caller_name',
    'contact_id',
    'company_id',
    'deal_id',
    'responsible_user_id',
    'url',
  ],
} as const satisfies Record<string, readonly string[]>;

export type RequestName = keyof typeof REQUEST_VARIABLES;

/** A secret: the value itself, or the name of an environment variable (Workers: a secret binding). */
export const secretSchema = z.union(
  [z.string().min(1), z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name') })],
  { error: 'expected a string or {env: "VARIABLE_NAME"}' },
);
export type Secret = z.output<typeof secretSchema>;

const authSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('none') }),
    z.strictObject({ type: z.literal('bearer'), token: secretSchema }),
    z.strictObject({ type: z.literal('basic'), username: secretSchema, password: secretSchema }),
    z.strictObject({ type: z.literal('header'), name: z.string().regex(/^[A-Za-z0-9-]+$/, 'expected an HTTP header name'), value: secretSchema }),
    z.strictObject({
      type: z.literal('oauth2_client_credentials'),
      token_url: z.url({ protocol: /^https?$/ }),
      client_id: secretSchema,
      client_secret: secretSchema,
      scope: z.string().optional(),
    }),
  ],
  { error: 'expected type: none, bearer, basic, header or oauth2_client_credentials' },
);
export type GenericAuth = z.output<typeof authSchema>;

/** A JSON (or YAML) value; its string leaves are templates. */
const jsonValue: z.ZodType<unknown> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValue), z.record(z.string(), jsonValue)]),
);

const selector = z.string().min(1).superRefine(checkSelector);

/** One HTTP request, every string of which is a template over `variables`. */
const request = (name: RequestName, defaults: { method: 'GET' | 'POST' | 'PUT' | 'PATCH' }) => {
  const variables = REQUEST_VARIABLES[name];
  const tmpl = z.string().superRefine(checkTemplate(variables));
  return z.strictObject({
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default(defaults.method),
    path: tmpl.describe('Appended to base_url; a variable in it wants the url_encode filter: {{ phone | url_encode }}'),
    query: z.record(z.string(), tmpl).default({}).describe('Query parameters (templates); an empty rendered value is left out'),
    headers: z.record(z.string(), tmpl).default({}),
    body: jsonValue.optional().superRefine(checkBody(variables)).describe('JSON body; string leaves are templates'),
  });
};
export type RequestTemplate = z.output<ReturnType<typeof request>>;

const phoneFormat = z.enum(['e164', 'digits', 'national', 'local10']);
export type PhoneFormat = z.output<typeof phoneFormat>;

const pagination = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('page'),
      param: z.string().min(1).default('page'),
      start: z.number().int().min(0).default(1),
      size_param: z.string().min(1).optional(),
      size: z.number().int().min(1).max(10_000).default(100),
    }),
    z.strictObject({
      type: z.literal('offset'),
      param: z.string().min(1).default('offset'),
      size_param: z.string().min(1).optional(),
      size: z.number().int().min(1).max(10_000).default(100),
    }),
    z.strictObject({
      type: z.literal('cursor'),
      param: z.string().min(1).default('cursor'),
      next: selector.describe('Where the answer says the next cursor is; null or empty: the last page'),
    }),
  ],
  { error: 'expected type: page, offset or cursor' },
);
export type Pagination = z.output<typeof pagination>;

const optionalSelector = (what: string) => selector.optional().describe(what);

/** The caller lookup: a request, and where in its answer each CallerCard field is. */
const lookupSchema = z
  .strictObject({
    request: request('lookup', { method: 'GET' }),
    phone_formats: z.array(phoneFormat).min(1).default(['e164']).describe('Spellings tried in order until someone is found (each a request)'),
    contact_id: optionalSelector('The contact with the number, e.g. "data[0].id"'),
    contact_name: optionalSelector('Its name'),
    company_id: optionalSelector('The company (the contact’s, or the one with the number)'),
    company_name: optionalSelector('Its name'),
    responsible_user_id: optionalSelector('The CRM user responsible for the contact or company'),
    deal_id: optionalSelector('The newest open deal'),
    deal_name: optionalSelector('Its name'),
    deal_status: optionalSelector('Its status or stage'),
    url: optionalSelector('Where a person opens the card'),
  })
  .refine((l) => l.contact_id !== undefined || l.company_id !== undefined, {
    message: 'needs contact_id or company_id: the selector that says someone has the number',
    path: ['contact_id'],
  })
  .describe('Who has a number, for a ringing call (a caller lookup); an answer where neither id is found means nobody');

/** The screen pop: shows a ringing call to CRM users. */
const ringingSchema = z
  .strictObject({
    request: request('ringing', { method: 'POST' }),
    per_user: z.boolean().default(false).describe('One request per user (user_id and extension are that user’s); false: one request, users is the list'),
  })
  .describe('Shows a ringing call to CRM users (a screen pop); the CRM must take it down by itself');

export const genericCrmSchema = z
  .strictObject({
    base_url: z.url({ protocol: /^https?$/ }).describe('The API root; request paths are appended to it'),
    auth: authSchema.prefault({ type: 'none' }),
    headers: z.record(z.string(), z.string()).default({}).describe('Sent with every request'),
    rate_limit: z
      .strictObject({ requests: z.number().int().min(1), per_seconds: z.number().positive().default(1) })
      .prefault({ requests: 5 })
      .describe('The CRM allows this many requests per this many seconds'),
    retry_statuses: z
      .array(z.number().int().min(400).max(599))
      .default([429, 500, 502, 503, 504])
      .describe('Answers that mean "try again later"; 429 always honours Retry-After'),
    timeout_seconds: z.number().positive().max(120).default(20),
    find_contact: z.strictObject({
      request: request('find_contact', { method: 'GET' }),
      ids: selector.describe('The ids of the contacts found, e.g. "data[].id"'),
      phone_formats: z.array(phoneFormat).min(1).default(['e164', 'digits', 'national', 'local10']),
    }),
    create_contact: z.strictObject({ request: request('create_contact', { method: 'POST' }), id: selector }).optional(),
    log_call: z.strictObject({
      request: request('log_call', { method: 'POST' }),
      id: selector.describe('The id of the logged call in the answer'),
    }),
    attach_recording: z
      .discriminatedUnion(
        'mode',
        [
          z.strictObject({ mode: z.literal('link') }),
          z.strictObject({
            mode: z.literal('multipart'),
            request: request('attach_recording', { method: 'POST' }),
            field: z.string().min(1).default('file'),
          }),
        ],
        { error: 'expected mode: link or multipart' },
      )
      .prefault({ mode: 'link' }),
    update_call: z.strictObject({ request: request('update_call', { method: 'PATCH' }) }).optional(),
    list_calls: z
      .strictObject({
        request: request('list_calls', { method: 'GET' }),
        items: selector.describe('The calls in one page, e.g. "data"'),
        id: selector,
        uniq: selector.optional().describe("Where the CRM keeps calltrail's uniq; absent: lost answers and reconciliation cannot look calls up"),
        link: selector.optional(),
        duration: selector.optional().describe('Seconds of conversation'),
        phone: selector.optional(),
        contact_id: selector.optional(),
        updated_at: selector.optional().describe('ISO 8601 or unix seconds'),
        pagination,
      })
      .optional(),
    create_task: z.strictObject({ request: request('create_task', { method: 'POST' }), id: selector }).optional(),
    list_tasks: z
      .strictObject({
        request: request('list_tasks', { method: 'GET' }),
        items: selector,
        id: selector,
        text: selector,
        due_at: selector.optional(),
      })
      .optional(),
    lookup: lookupSchema.optional(),
    ringing: ringingSchema.optional(),
  })
  .describe('A REST CRM described by request templates (docs/generic-crm.md)');

export type GenericCrmConfig = z.output<typeof genericCrmSchema>;

/** Every `{env: NAME}` in the section, with where it is used (for errors that point at the config). */
export function secretReferences(config: GenericCrmConfig): { name: string; path: string }[] {
  const out: { name: string; path: string }[] = [];
  const visit = (value: unknown, path: string) => {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const keys = Object.keys(value);
      if (keys.length === 1 && keys[0] === 'env' && typeof (value as { env: unknown }).env === 'string') {
        out.push({ name: (value as { env: string }).env, path });
        return;
      }
      for (const [k, v] of Object.entries(value)) visit(v, `${path}.${k}`);
    }
  };
  visit(config.auth, 'crm.generic.auth');
  return out;
}

/** What the rest of the config asks of the adapter, in the shape the refinement reads. */
interface AdapterDemands {
  crm: { adapter: string; generic?: GenericCrmConfig | undefined };
  unknown_callers: { inbound: string; outbound: string };
  missed_call_tasks: { enabled: boolean };
}

/**
 * zod check of the whole config: `crm.adapter: generic` needs `crm.generic`, and the features the
 * config turns on need the requests that carry them. Unknown-caller leads (Unsorted) are an
 * amoCRM feature the generic adapter does not offer.
 */
export function checkCrmAdapter(config: AdapterDemands, ctx: z.RefinementCtx): void {
  if (config.crm.adapter !== 'generic') return;
  const generic = config.crm.generic;
  if (!generic) {
    ctx.addIssue({ code: 'custom', path: ['crm', 'generic'], message: 'is required with crm.adapter: generic' });
    return;
  }
  for (const direction of ['inbound', 'outbound'] as const) {
    const policy = config.unknown_callers[direction];
    if (policy === 'unsorted') {
      ctx.addIssue({ code: 'custom', path: ['unknown_callers', direction], message: 'unsorted is amoCRM only; with crm.adapter: generic use contact or skip' });
    }
    if (policy === 'contact' && !generic.create_contact) {
      ctx.addIssue({
        code: 'custom',
        path: ['crm', 'generic', 'create_contact'],
        message: `is required: unknown_callers.${direction} is contact (the default); describe the request, or set the policy to skip`,
      });
    }
  }
  if (config.missed_call_tasks.enabled && !generic.create_task) {
    ctx.addIssue({ code: 'custom', path: ['crm', 'generic', 'create_task'], message: 'is required when missed_call_tasks.enabled is true' });
  }
}
