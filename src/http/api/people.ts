/**
 * Admin: users (list, add, change) and API tokens (list, make, revoke), behind the admin API's
 * bearer check (mounted here). Owners and admins only (access.ts); an admin can neither make an owner nor change one. A generated password and a new
 * token's secret are answered once and never stored in clear.
 * @module
 */
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import * as z from 'zod';
import type { Context } from 'hono';
import { TOKEN_SCOPES } from '../../db/schema';
import type { AppDeps } from '../../deps';
import { ROLES, type Role } from '../../domain/actor';
import { actorName } from '../../audit/log';
import { createToken, listTokens, presentToken, revokeToken } from '../../people/tokens';
import { createUser, findUser, listUsers, mayManage, PeopleError, presentUser, updateUser, type UserChange } from '../../people/users';
import { adminAuth } from '../core/admin-auth';
import { auditRequest } from '../core/audit';
import { ApiError } from '../core/errors';
import { errorResponses } from '../core/schemas';

const UserSchema = z
  .object({
    id: z.number().int(),
    email: z.string(),
    name: z.string(),
    role: z.enum(ROLES),
    extension: z.string().nullable().openapi({ description: "A rep's own extension: their calls are the calls on it" }),
    amocrm_user_id: z.number().int().nullable().openapi({ description: 'The amoCRM user who may sign in as this user from the widget (POST /v1/auth/amocrm)' }),
    disabled_at: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('User');

const TokenSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    scopes: z.array(z.enum(TOKEN_SCOPES)),
    role: z.enum(ROLES).nullable(),
    created_by: z.string(),
    created_at: z.string(),
    last_used_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
  })
  .openapi('ApiToken');

const json = <T extends z.ZodTypeAny>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const body = <T extends z.ZodTypeAny>(schema: T) => ({ body: { required: true, content: { 'application/json': { schema } } } });
const common = { tags: ['access'], security: [{ bearer: [] }] };
const idParam = z.object({ id: z.coerce.number().int().min(1).max(2147483647) });
const extension = z
  .string()
  .trim()
  .max(32)
  .regex(/^[\w*#+-]*$/, 'digits, letters, * # + - only');
const amocrmUserId = z.number().int().min(1).max(2147483647).nullable().optional().openapi({
  description: 'Link to this amoCRM user (its id in amoCRM), who may then sign in from the widget; null unlinks. One calltrail user per amoCRM user',
});

const routes = {
  listUsers: createRoute({
    ...common,
    method: 'get',
    path: '/v1/users',
    summary: 'Users (scope admin, role owner or admin)',
    responses: { 200: json(z.object({ items: z.array(UserSchema) }), 'Every user'), ...errorResponses(401, 403) },
  }),
  createUser: createRoute({
    ...common,
    method: 'post',
    path: '/v1/users',
    summary: 'Add a user; without a password a temporary one is generated and answered once (scope admin, role owner or admin)',
    request: body(
      z.object({
        email: z.string().trim().max(254),
        name: z.string().max(200).optional(),
        role: z.enum(ROLES),
        extension: extension.nullable().optional(),
        amocrm_user_id: amocrmUserId,
        password: z.string().min(10).max(256).optional(),
      }),
    ),
    responses: {
      201: json(z.object({ user: UserSchema, temporary_password: z.string().nullable() }), 'The user, and its temporary password when one was generated'),
      ...errorResponses(400, 401, 403, 409),
    },
  }),
  updateUser: createRoute({
    ...common,
    method: 'patch',
    path: '/v1/users/{id}',
    summary: "Change a user's name, role, extension, linked amoCRM user; disable or enable; reset the password (scope admin, role owner or admin)",
    request: {
      params: idParam,
      ...body(
        z.object({
          name: z.string().max(200).optional(),
          role: z.enum(ROLES).optional(),
          extension: extension.nullable().optional(),
          amocrm_user_id: amocrmUserId,
          disabled: z.boolean().optional(),
          reset_password: z.literal(true).optional().openapi({ description: "Generate a temporary password (answered once); ends the user's sessions" }),
          password: z.string().min(10).max(256).optional(),
        }),
      ),
    },
    responses: {
      200: json(z.object({ user: UserSchema, temporary_password: z.string().nullable() }), 'The user as changed'),
      ...errorResponses(400, 401, 403, 404, 409),
    },
  }),
  listTokens: createRoute({
    ...common,
    method: 'get',
    path: '/v1/tokens',
    summary: 'API tokens, revoked ones included; never their secrets (scope admin, role owner or admin)',
    responses: { 200: json(z.object({ items: z.array(TokenSchema) }), 'Every token'), ...errorResponses(401, 403) },
  }),
  createToken: createRoute({
    ...common,
    method: 'post',
    path: '/v1/tokens',
    summary: 'Make an API token; its secret is answered once (scope admin, role owner or admin)',
    request: body(
      z.object({
        name: z.string().trim().min(1).max(100),
        scopes: z.array(z.enum(TOKEN_SCOPES)).min(1),
        role: z.enum(ROLES).optional().openapi({ description: 'What an admin- or read-scoped token may do; default admin' }),
      }),
    ),
    responses: {
      201: json(
        z.object({ token: TokenSchema, secret: z.string().openapi({ description: 'Shown this once: send it as `Authorization: Bearer <secret>`' }) }),
        'The token',
      ),
      ...errorResponses(400, 401, 403),
    },
  }),
  revokeToken: createRoute({
    ...common,
    method: 'delete',
    path: '/v1/tokens/{id}',
    summary: 'Revoke an API token: it stops working at once (scope admin, role owner or admin)',
    request: { params: idParam },
    responses: { 200: json(z.object({ token: TokenSchema }), 'The token, revoked'), ...errorResponses(400, 401, 403, 404) },
  }),
};

/** A people error as the API's error. */
export function peopleApiError(error: unknown): never {
  if (!(error instanceof PeopleError)) throw error;
  const code = ({ invalid: 'invalid_request', taken: 'already_exists', not_found: 'not_found', not_allowed: 'forbidden' } as const)[error.code];
  throw new ApiError(code, error.message);
}

/** The role a token gets: none for lookup/originate-only tokens, else the one asked (default admin). */
export function tokenRole(scopes: readonly string[], role: Role | undefined): Role | null {
  return scopes.includes('admin') || scopes.includes('read') ? (role ?? 'admin') : null;
}

export function peopleRoutes(deps: AppDeps) {
  const now = () => (deps.now ?? (() => new Date()))();
  const role = (c: Context) => c.get('actor')?.role ?? null;
  const admin = adminAuth(deps);
  const app = new OpenAPIHono();
  for (const path of ['/v1/users', '/v1/users/*', '/v1/tokens', '/v1/tokens/*']) app.use(path, admin);
  return app
    .openapi(routes.listUsers, async (c) => c.json({ items: (await listUsers(deps.db)).map(presentUser) }, 200))
    .openapi(routes.createUser, async (c) => {
      const input = c.req.valid('json');
      if (!mayManage(role(c), input.role, input.role)) throw new ApiError('forbidden', 'only an owner can make an owner');
      const { amocrm_user_id, ...rest } = input;
      const made = await createUser(deps.db, { ...rest, ...(amocrm_user_id !== undefined ? { amocrmUserId: amocrm_user_id } : {}) }).catch(peopleApiError);
      await auditRequest(deps, c, 'user.created', `user:${made.user.id}`, {
        email: made.user.email,
        role: made.user.role,
        amocrm_user_id: made.user.amocrmUserId ?? undefined,
      });
      return c.json({ user: presentUser(made.user), temporary_password: made.temporaryPassword }, 201);
    })
    .openapi(routes.updateUser, async (c) => {
      const { id } = c.req.valid('param');
      const input = c.req.valid('json');
      const current = await findUser(deps.db, id);
      if (!current) throw new ApiError('not_found', `no user ${id}`);
      if (!mayManage(role(c), current.role as Role, input.role)) throw new ApiError('forbidden', 'only an owner can change an owner or make one');
      const change: UserChange = {
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.role !== undefined ? { role: input.role } : {}),
        ...(input.extension !== undefined ? { extension: input.extension } : {}),
        ...(input.amocrm_user_id !== undefined ? { amocrmUserId: input.amocrm_user_id } : {}),
        ...(input.disabled !== undefined ? { disabled: input.disabled } : {}),
        ...(input.password !== undefined ? { password: input.password } : input.reset_password ? { password: true as const } : {}),
      };
      const changed = await updateUser(deps.db, id, change, now()).catch(peopleApiError);
      const detail = { ...change, password: change.password === undefined ? undefined : 'changed' };
      await auditRequest(deps, c, 'user.updated', `user:${id}`, detail);
      return c.json({ user: presentUser(changed.user), temporary_password: changed.temporaryPassword }, 200);
    })
    .openapi(routes.listTokens, async (c) => c.json({ items: (await listTokens(deps.db)).map(presentToken) }, 200))
    .openapi(routes.createToken, async (c) => {
      const input = c.req.valid('json');
      const tokenRoleValue = tokenRole(input.scopes, input.role);
      if (tokenRoleValue === 'owner' && role(c) !== 'owner') throw new ApiError('forbidden', 'only an owner can make an owner token');
      const made = await createToken(deps.db, { name: input.name, scopes: input.scopes, role: tokenRoleValue, createdBy: actorName(c.get('actor')) }, now());
      await auditRequest(deps, c, 'token.created', `api_token:${made.token.id}`, { name: made.token.name, scopes: made.token.scopes, role: made.token.role });
      return c.json({ token: presentToken(made.token), secret: made.secret }, 201);
    })
    .openapi(routes.revokeToken, async (c) => {
      const { id } = c.req.valid('param');
      const token = await revokeToken(deps.db, id, now());
      if (!token) throw new ApiError('not_found', `no token ${id}`);
      await auditRequest(deps, c, 'token.revoked', `api_token:${id}`, { name: token.name });
      return c.json({ token: presentToken(token) }, 200);
    });
}
