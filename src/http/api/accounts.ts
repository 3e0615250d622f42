/**
 * Admin: the CRM accounts this instance serves besides its own (account 1). Each has its own
 * integrator config, its variables (its CRM's and PBX sources' secrets: write-only, sealed) and
 * its own people; it answers under /a/<slug>/ (API, webhooks, console, recording links). Owners
 * of account 1 only — ADMIN_TOKEN or an owner's session or token.
 * @module
 */
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import * as z from 'zod';
import type { Context } from 'hono';
import { AccountError, type AccountDirectory, type AccountSummary } from '../../accounts/directory';
import { ACCOUNT_STATUSES } from '../../domain/account';
import type { Db } from '../../db/client';
import type { AppDeps } from '../../deps';
import { createUser } from '../../people/users';
import { adminAuth } from '../core/admin-auth';
import { auditRequest } from '../core/audit';
import { ApiError } from '../core/errors';
import { errorResponses } from '../core/schemas';
import { peopleApiError } from './people';

const AccountSchema = z
  .object({
    slug: z.string(),
    name: z.string(),
    status: z.enum(ACCOUNT_STATUSES),
    crm: z
      .object({ kind: z.string(), account: z.string() })
      .nullable()
      .openapi({ description: 'The CRM its variables and config choose; null while they cannot make settings (see problem)' }),
    variables: z.array(z.string()).openapi({ description: 'The names of its variables; values are never answered' }),
    config: z.record(z.string(), z.unknown()).nullable(),
    running: z.boolean(),
    problem: z.string().nullable().openapi({ description: 'Why an active account is not serving' }),
    urls: z.object({ console: z.string(), api: z.string(), webhooks: z.string() }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Account');

const slugParam = z.object({ slug: z.string().min(1).max(64) });
const variables = z.record(z.string(), z.string()).openapi({
  description: 'Its environment: AMOCRM_BASE_URL, AMOCRM_LONG_LIVED_TOKEN, GENERIC_WEBHOOK_SECRET, LOOKUP_TOKEN … (stored sealed, never answered)',
});
const json = <T extends z.ZodTypeAny>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const body = <T extends z.ZodTypeAny>(schema: T) => ({ body: { required: true, content: { 'application/json': { schema } } } });
const common = { tags: ['accounts'], security: [{ bearer: [] }] };
const OWNERS = 'scope admin, role owner of account 1';

const routes = {
  list: createRoute({
    ...common,
    method: 'get',
    path: '/v1/accounts',
    summary: `The accounts added to this instance (${OWNERS})`,
    responses: { 200: json(z.object({ items: z.array(AccountSchema) }), 'Every added account'), ...errorResponses(401, 403) },
  }),
  create: createRoute({
    ...common,
    method: 'post',
    path: '/v1/accounts',
    summary: `Add an account: its data is created and migrated, its work started, and its first owner made (${OWNERS})`,
    request: body(
      z.object({
        slug: z.string().openapi({ description: 'Its path /a/<slug>/: 3–32 lower-case letters, digits, dashes' }),
        name: z.string().max(200),
        variables: variables.optional(),
        config: z.record(z.string(), z.unknown()).nullable().optional().openapi({ description: 'Its integrator config (the CONFIG_FILE schema)' }),
        owner: z
          .object({ email: z.string().trim().email().max(254), name: z.string().max(200).optional(), password: z.string().min(10).max(256).optional() })
          .optional()
          .openapi({ description: 'Its first user, with the owner role; without a password a temporary one is answered once' }),
      }),
    ),
    responses: {
      201: json(
        z.object({ account: AccountSchema, owner: z.object({ email: z.string(), temporary_password: z.string().nullable() }).nullable() }),
        'The account',
      ),
      ...errorResponses(400, 401, 403, 409),
    },
  }),
  get: createRoute({
    ...common,
    method: 'get',
    path: '/v1/accounts/{slug}',
    summary: `One account (${OWNERS})`,
    request: { params: slugParam },
    responses: { 200: json(z.object({ account: AccountSchema }), 'The account'), ...errorResponses(401, 403, 404) },
  }),
  update: createRoute({
    ...common,
    method: 'patch',
    path: '/v1/accounts/{slug}',
    summary: `Rename, disable or enable an account, replace its config, set or remove variables; it restarts with them (${OWNERS})`,
    request: {
      params: slugParam,
      ...body(
        z.object({
          name: z.string().max(200).optional(),
          status: z.enum(ACCOUNT_STATUSES).optional(),
          config: z.record(z.string(), z.unknown()).nullable().optional(),
          variables: z.record(z.string(), z.string().nullable()).optional().openapi({ description: 'Merged into its variables; null removes one' }),
        }),
      ),
    },
    responses: { 200: json(z.object({ account: AccountSchema }), 'The account as changed'), ...errorResponses(400, 401, 403, 404, 409) },
  }),
  remove: createRoute({
    ...common,
    method: 'delete',
    path: '/v1/accounts/{slug}',
    summary: `Delete an account and all of its data — calls, recordings, people, its trail (${OWNERS}); ?confirm=<slug> required`,
    request: { params: slugParam, query: z.object({ confirm: z.string().optional() }) },
    responses: { 200: json(z.object({ deleted: z.string() }), 'Deleted'), ...errorResponses(400, 401, 403, 404) },
  }),
};

export function presentAccount(a: AccountSummary) {
  return {
    slug: a.slug,
    name: a.name,
    status: a.status,
    crm: a.crm,
    variables: a.variables,
    config: a.config,
    running: a.running,
    problem: a.problem,
    urls: { console: `${a.publicUrl}/admin`, api: `${a.publicUrl}/v1`, webhooks: `${a.publicUrl}/webhooks` },
    created_at: a.createdAt.toISOString(),
    updated_at: a.updatedAt.toISOString(),
  };
}

/** An account refusal as the API's error. */
export function accountApiError(error: unknown): never {
  if (!(error instanceof AccountError)) throw error;
  const code = ({ invalid: 'invalid_request', taken: 'already_exists', not_found: 'not_found', no_keys: 'no_secrets_key' } as const)[error.code];
  throw new ApiError(code, error.message, error.problems.length ? error.problems : undefined);
}

export function accountRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();
  const accounts = deps.accounts;
  if (!accounts) return app;
  const admin = adminAuth(deps);
  for (const path of ['/v1/accounts', '/v1/accounts/*']) app.use(path, admin);
  const found = async (slug: string) => {
    const account = await accounts.get(slug);
    if (!account) throw new ApiError('not_found', `no account ${slug}`);
    return account;
  };
  return app
    .openapi(routes.list, async (c) => c.json({ items: (await accounts.list()).map(presentAccount) }, 200))
    .openapi(routes.get, async (c) => c.json({ account: presentAccount(await found(c.req.valid('param').slug)) }, 200))
    .openapi(routes.create, async (c) => {
      const input = c.req.valid('json');
      const made = await accounts.create(input).catch(accountApiError);
      await auditRequest(deps, c, 'account.created', `account:${input.slug}`, { name: input.name, variables: Object.keys(input.variables ?? {}) });
      const first = input.owner && made.runtime ? await addFirstOwner(c, made.runtime.db, input.owner, deps.now).catch(peopleApiError) : null;
      const owner = first ? { email: first.user.email, temporary_password: first.temporaryPassword } : null;
      return c.json({ account: presentAccount(made.summary), owner }, 201);
    })
    .openapi(routes.update, async (c) => {
      const { slug } = c.req.valid('param');
      const input = c.req.valid('json');
      const changed = await changeAccount(accounts, slug, input);
      const detail = {
        ...input,
        variables: input.variables ? Object.keys(input.variables) : undefined,
        config: input.config === undefined ? undefined : 'replaced',
      };
      await auditRequest(deps, c, 'account.updated', `account:${slug}`, detail);
      return c.json({ account: presentAccount(changed) }, 200);
    })
    .openapi(routes.remove, async (c) => {
      const { slug } = c.req.valid('param');
      if (c.req.valid('query').confirm !== slug)
        throw new ApiError('invalid_request', `deleting an account removes all of its data: repeat its slug as ?confirm=${slug}`);
      await accounts.remove(slug).catch(accountApiError);
      await auditRequest(deps, c, 'account.deleted', `account:${slug}`);
      return c.json({ deleted: slug }, 200);
    });
}

/** Variables are merged (null removes one); the rest replaces. */
export async function changeAccount(
  accounts: AccountDirectory,
  slug: string,
  input: {
    name?: string | undefined;
    status?: AccountSummary['status'] | undefined;
    config?: Record<string, unknown> | null | undefined;
    variables?: Record<string, string | null> | undefined;
  },
): Promise<AccountSummary> {
  let merged: Record<string, string> | undefined;
  if (input.variables) {
    const current = await accounts.variables(slug).catch(accountApiError);
    merged = { ...current };
    for (const [name, value] of Object.entries(input.variables)) {
      if (value === null) delete merged[name];
      else merged[name] = value;
    }
  }
  return accounts
    .update(slug, {
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.status !== undefined ? { status: input.status } : {}),
      ...(input.config !== undefined ? { config: input.config } : {}),
      ...(merged ? { variables: merged } : {}),
    })
    .catch(accountApiError);
}

/**
 * A new account's first user, with the owner role, in the account's own data, written to its own
 * trail as made by the instance's owner (the console's form and the API both). Throws PeopleError.
 */
export async function addFirstOwner(c: Context, db: Db, owner: { email: string; name?: string | undefined; password?: string | undefined }, now?: () => Date) {
  const made = await createUser(db, {
    email: owner.email,
    role: 'owner',
    ...(owner.name ? { name: owner.name } : {}),
    ...(owner.password ? { password: owner.password } : {}),
  });
  await auditRequest({ db, ...(now ? { now } : {}) }, c, 'user.created', `user:${made.user.id}`, {
    email: made.user.email,
    role: 'owner',
    by: 'instance owner',
  });
  return made;
}
