/**
 * The users and API tokens pages and their forms (owners and admins: access.ts). Each change is
 * audited; an admin can neither make an owner nor change one.
 * @module
 */
import { type Context, Hono } from 'hono';
import { actorName } from '../../../audit/log';
import { TOKEN_SCOPES, type TokenScope } from '../../../db/schema';
import type { AppDeps } from '../../../deps';
import { ROLES, type Role } from '../../../domain/actor';
import { createToken, listTokens, revokeToken } from '../../../people/tokens';
import { createUser, findUser, listUsers, mayManage, PeopleError, updateUser, type UserChange } from '../../../people/users';
import { tokenRole } from '../../api/people';
import { auditRequest } from '../../core/audit';
import type { AdminEnv } from '../core/env';
import { type Message, tokensPage, usersPage } from '../pages/people';

const asRole = (v: unknown): Role | null => (typeof v === 'string' && (ROLES as readonly string[]).includes(v) ? (v as Role) : null);
const text = (v: unknown, max: number) => (typeof v === 'string' ? v.trim().slice(0, max) : '');
const STATUS = { invalid: 400, taken: 409, not_found: 404, not_allowed: 403 } as const;

type UserFields = { ok: true; role: Role; extension: string | null; amocrmUserId: number | null | undefined } | { ok: false; text: string };

/**
 * A user form's role, extension and amoCRM user id — no amocrm_user_id field: unchanged
 * (undefined); empty: none (null) — or what is wrong with it.
 */
function userFields(form: Record<string, unknown>): UserFields {
  const role = asRole(form.role);
  if (!role) return { ok: false, text: `role: expected one of ${ROLES.join(', ')}` };
  const extension = text(form.extension, 32) || null;
  if (form.amocrm_user_id === undefined) return { ok: true, role, extension, amocrmUserId: undefined };
  const raw = text(form.amocrm_user_id, 12);
  const id = Number(raw);
  if (raw && !(/^\d{1,10}$/.test(raw) && id >= 1 && id <= 2147483647)) {
    return { ok: false, text: "amoCRM user id: expected a positive whole number (the user's id in amoCRM), or nothing" };
  }
  return { ok: true, role, extension, amocrmUserId: raw ? id : null };
}

export function peoplePages(deps: AppDeps) {
  const now = () => (deps.now ?? (() => new Date()))();
  const zone = deps.config.time_zone;
  const users = async (c: Context<AdminEnv>, message?: Message, status?: 200 | 400 | 403 | 404 | 409) =>
    usersPage(c, { zone, users: await listUsers(deps.db), ...(message ? { message } : {}), ...(status ? { status } : {}) });
  const tokens = async (c: Context<AdminEnv>, message?: Message, status?: 200 | 400 | 403 | 404) =>
    tokensPage(c, { zone, tokens: await listTokens(deps.db), ...(message ? { message } : {}), ...(status ? { status } : {}) });
  const failed = (c: Context<AdminEnv>, error: unknown) => {
    if (!(error instanceof PeopleError)) throw error;
    return users(c, { kind: 'error', text: error.message }, STATUS[error.code]);
  };

  /** Applies a change to a user from a form, if the actor may; answers the users page. */
  async function change(c: Context<AdminEnv>, change: UserChange, done: string) {
    const id = Number(c.req.param('id'));
    const target = await findUser(deps.db, id);
    if (!target) return users(c, { kind: 'error', text: 'There is no such user.' }, 404);
    if (!mayManage(c.get('actor')?.role ?? null, target.role as Role, change.role)) {
      return users(c, { kind: 'error', text: 'Only an owner can change an owner or make one.' }, 403);
    }
    try {
      const changed = await updateUser(deps.db, id, change, now());
      await auditRequest(deps, c, 'user.updated', `user:${id}`, { ...change, password: change.password === undefined ? undefined : 'changed' });
      const secret = changed.temporaryPassword;
      return users(c, { kind: 'ok', text: `${changed.user.email}: ${done}.`, ...(secret ? { secret } : {}) });
    } catch (error) {
      return failed(c, error);
    }
  }

  return new Hono<AdminEnv>()
    .get('/admin/users', (c) => users(c))
    .post('/admin/users', async (c) => {
      const form = await c.req.parseBody();
      const fields = userFields(form);
      if (!fields.ok) return users(c, { kind: 'error', text: fields.text }, 400);
      const { role, extension } = fields;
      const amocrmUserId = fields.amocrmUserId ?? null;
      if (!mayManage(c.get('actor')?.role ?? null, role, role)) return users(c, { kind: 'error', text: 'Only an owner can make an owner.' }, 403);
      try {
        const made = await createUser(deps.db, { email: text(form.email, 254), name: text(form.name, 200), role, extension, amocrmUserId });
        await auditRequest(deps, c, 'user.created', `user:${made.user.id}`, { email: made.user.email, role, amocrm_user_id: amocrmUserId ?? undefined });
        return users(c, { kind: 'ok', text: `${made.user.email} added as ${role}; their temporary password:`, secret: made.temporaryPassword ?? '' });
      } catch (error) {
        return failed(c, error);
      }
    })
    .post('/admin/users/:id/role', async (c) => {
      const fields = userFields(await c.req.parseBody());
      if (!fields.ok) return users(c, { kind: 'error', text: fields.text }, 400);
      const { role, extension, amocrmUserId } = fields;
      const linked = amocrmUserId === undefined ? '' : `, amoCRM user ${amocrmUserId ?? 'none'}`;
      return change(c, { role, extension, ...(amocrmUserId !== undefined ? { amocrmUserId } : {}) }, `role ${role}, extension ${extension ?? 'none'}${linked}`);
    })
    .post('/admin/users/:id/disable', (c) => change(c, { disabled: true }, 'disabled and signed out'))
    .post('/admin/users/:id/enable', (c) => change(c, { disabled: false }, 'enabled'))
    .post('/admin/users/:id/reset-password', (c) => change(c, { password: true }, 'password reset and signed out; the temporary password'))
    .get('/admin/tokens', (c) => tokens(c))
    .post('/admin/tokens', async (c) => {
      const form = await c.req.parseBody({ all: true });
      const name = text(form.name, 100);
      const asked = ([] as unknown[]).concat(form.scopes ?? []);
      const scopes = asked.filter((s): s is TokenScope => typeof s === 'string' && (TOKEN_SCOPES as readonly string[]).includes(s));
      if (!name || !scopes.length) return tokens(c, { kind: 'error', text: 'A token needs a name and at least one scope.' }, 400);
      const role = tokenRole(scopes, asRole(form.role) ?? undefined);
      if (role === 'owner' && c.get('actor')?.role !== 'owner') return tokens(c, { kind: 'error', text: 'Only an owner can make an owner token.' }, 403);
      const made = await createToken(deps.db, { name, scopes, role, createdBy: actorName(c.get('actor')) }, now());
      await auditRequest(deps, c, 'token.created', `api_token:${made.token.id}`, { name, scopes, role });
      return tokens(c, { kind: 'ok', text: `Token "${name}" made; send it as Authorization: Bearer <token>:`, secret: made.secret });
    })
    .post('/admin/tokens/:id/revoke', async (c) => {
      const id = Number(c.req.param('id'));
      const token = await revokeToken(deps.db, id, now());
      if (!token) return tokens(c, { kind: 'error', text: 'There is no such token.' }, 404);
      await auditRequest(deps, c, 'token.revoked', `api_token:${id}`, { name: token.name });
      return tokens(c, { kind: 'ok', text: `Token "${token.name}" revoked.` });
    });
}
