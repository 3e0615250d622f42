/**
 * The accounts pages and their forms (owners of account 1: access.ts), over the same directory
 * as /v1/accounts. Each change is audited in account 1's trail; a new account's first owner in
 * its own.
 * @module
 */
import { type Context, Hono } from 'hono';
import { AccountError, type AccountDirectory } from '../../../accounts/directory';
import type { Db } from '../../../db/client';
import type { AppDeps } from '../../../deps';
import { PeopleError } from '../../../people/users';
import { addFirstOwner, changeAccount } from '../../api/accounts';
import { auditRequest } from '../../core/audit';
import { ApiError } from '../../core/errors';
import type { AdminEnv } from '../core/env';
import { notFoundPage } from '../pages/errors';
import { accountPage, accountsPage } from '../pages/accounts';
import type { Message } from '../pages/people';

const STATUS = { invalid: 400, taken: 409, not_found: 404, no_keys: 409 } as const;
const text = (v: unknown, max: number) => (typeof v === 'string' ? v.trim().slice(0, max) : '');

/** `NAME=value` lines into variables; a line without `=` is a problem. */
export function parseVariableLines(input: string): { variables: Record<string, string>; problems: string[] } {
  const variables: Record<string, string> = {};
  const problems: string[] = [];
  for (const [i, line] of input.split(/\r?\n/).entries()) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) continue;
    const at = trimmed.indexOf('=');
    if (at < 1) problems.push(`variables line ${i + 1}: expected NAME=value`);
    else variables[trimmed.slice(0, at).trim()] = trimmed.slice(at + 1).trim();
  }
  return { variables, problems };
}

function parseConfigField(input: string): { config?: Record<string, unknown> | null; problem?: string } {
  if (!input.trim()) return { config: null };
  try {
    const value = JSON.parse(input) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { problem: 'config: expected a JSON object' };
    return { config: value as Record<string, unknown> };
  } catch (error) {
    return { problem: `config: not JSON (${(error as Error).message})` };
  }
}

interface Pages {
  deps: AppDeps;
  accounts: AccountDirectory;
  list(c: Context<AdminEnv>, message?: Message, status?: 200 | 400 | 404 | 409): Promise<Response>;
  refused(error: unknown): { message: Message; status: 400 | 404 | 409 };
}

export function accountsPages(deps: AppDeps) {
  const accounts = deps.accounts;
  const app = new Hono<AdminEnv>();
  if (!accounts) return app;
  const zone = deps.config.time_zone;
  const list = async (c: Context<AdminEnv>, message?: Message, status?: 200 | 400 | 404 | 409) =>
    accountsPage(c, { zone, accounts: await accounts.list(), ...(message ? { message } : {}), ...(status ? { status } : {}) });
  const refused = (error: unknown): { message: Message; status: 400 | 404 | 409 } => {
    if (error instanceof AccountError) return { message: { kind: 'error', text: error.message }, status: STATUS[error.code] };
    if (error instanceof ApiError && error.code === 'not_found') return { message: { kind: 'error', text: error.message }, status: 404 };
    if (error instanceof ApiError) return { message: { kind: 'error', text: error.message }, status: error.code === 'invalid_request' ? 400 : 409 };
    throw error;
  };
  const pages: Pages = { deps, accounts, list, refused };
  app.use('/admin/*', async (c, next) => {
    c.set('instance', true);
    await next();
  });
  return app
    .get('/admin/accounts', (c) => list(c))
    .post('/admin/accounts', async (c) => {
      const form = await c.req.parseBody();
      const lines = parseVariableLines(text(form.variables, 20_000));
      const config = parseConfigField(text(form.config, 200_000));
      const problems = [...lines.problems, ...(config.problem ? [config.problem] : [])];
      if (problems.length) return list(c, { kind: 'error', text: problems.join('; ') }, 400);
      const slug = text(form.slug, 64);
      try {
        const made = await accounts.create({ slug, name: text(form.name, 200), variables: lines.variables, config: config.config ?? null });
        await auditRequest(deps, c, 'account.created', `account:${slug}`, { name: made.summary.name, variables: Object.keys(lines.variables) });
        const email = text(form.owner_email, 254);
        const owner = email && made.runtime ? await firstOwner(c, made.runtime.db, email, deps) : null;
        const said = `Account ${slug} added${made.summary.problem ? `, but it cannot start: ${made.summary.problem}` : ''}${owner ? `; its owner is ${owner.email}` : ''}.`;
        return list(c, { kind: made.summary.problem ? 'error' : 'ok', text: said, ...(owner?.password ? { secret: owner.password } : {}) });
      } catch (error) {
        const { message, status } = refused(error);
        return list(c, message, status);
      }
    })
    .get('/admin/accounts/:slug', async (c) => {
      const account = await accounts.get(c.req.param('slug'));
      return account ? accountPage(c, { account }) : notFoundPage(c);
    })
    .post('/admin/accounts/:slug', (c) => changeFromForm(c, pages))
    .post('/admin/accounts/:slug/disable', (c) => setStatus(c, pages, 'disabled'))
    .post('/admin/accounts/:slug/enable', (c) => setStatus(c, pages, 'active'))
    .post('/admin/accounts/:slug/delete', async (c) => {
      const slug = c.req.param('slug');
      const form = await c.req.parseBody();
      if (text(form.confirm, 64) !== slug) {
        const account = await accounts.get(slug);
        if (!account) return notFoundPage(c);
        return accountPage(c, { account, message: { kind: 'error', text: `Type ${slug} to delete it.` }, status: 400 });
      }
      try {
        await accounts.remove(slug);
        await auditRequest(deps, c, 'account.deleted', `account:${slug}`);
        return list(c, { kind: 'ok', text: `Account ${slug} deleted with all of its data.` });
      } catch (error) {
        const { message, status } = refused(error);
        return list(c, message, status);
      }
    });
}

async function setStatus(c: Context<AdminEnv>, p: Pages, status: 'active' | 'disabled') {
  const { deps: d, accounts: directory, list, refused } = p;
  const slug = c.req.param('slug') as string;
  try {
    const changed = await directory.update(slug, { status });
    await auditRequest(d, c, 'account.updated', `account:${slug}`, { status });
    return list(c, {
      kind: changed.problem ? 'error' : 'ok',
      text: `Account ${slug} ${status === 'active' ? 'enabled' : 'disabled'}${changed.problem ? `, but it cannot start: ${changed.problem}` : ''}.`,
    });
  } catch (error) {
    const { message, status: code } = refused(error);
    return list(c, message, code);
  }
}

async function changeFromForm(c: Context<AdminEnv>, p: Pages) {
  const { deps: d, accounts: directory, refused } = p;
  const slug = c.req.param('slug') as string;
  const current = await directory.get(slug);
  if (!current) return notFoundPage(c);
  const form = await c.req.parseBody();
  const lines = parseVariableLines(text(form.variables, 20_000));
  const config = parseConfigField(text(form.config, 200_000));
  const problems = [...lines.problems, ...(config.problem ? [config.problem] : [])];
  if (problems.length) return accountPage(c, { account: current, message: { kind: 'error', text: problems.join('; ') }, status: 400 });
  const removed = text(form.remove, 2_000)
    .split(/[\s,]+/)
    .filter(Boolean);
  const variables: Record<string, string | null> = { ...lines.variables, ...Object.fromEntries(removed.map((name) => [name, null])) };
  try {
    const changed = await changeAccount(directory, slug, {
      name: text(form.name, 200) || current.name,
      config: config.config ?? null,
      ...(Object.keys(variables).length ? { variables } : {}),
    });
    await auditRequest(d, c, 'account.updated', `account:${slug}`, { variables: Object.keys(variables), config: 'replaced' });
    const said = `Saved; ${slug} restarted${changed.problem ? `, but it cannot start: ${changed.problem}` : ''}.`;
    return accountPage(c, { account: changed, message: { kind: changed.problem ? 'error' : 'ok', text: said } });
  } catch (error) {
    const { message, status } = refused(error);
    return accountPage(c, { account: current, message, status: status === 404 ? 400 : status });
  }
}

/** The new account's first owner, with a temporary password shown once. */
async function firstOwner(c: Context<AdminEnv>, db: Db, email: string, deps: AppDeps) {
  try {
    const made = await addFirstOwner(c, db, { email }, deps.now);
    return { email: made.user.email, password: made.temporaryPassword };
  } catch (error) {
    if (error instanceof PeopleError) return { email: `nobody (${error.message})`, password: null };
    throw error;
  }
}
