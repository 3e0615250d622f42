/**
 * Who may do what: ONE table for the /v1 admin API and one for the /admin console, route pattern
 * and method → the roles allowed. The first matching rule decides; a path no rule names is for
 * owners and admins only (a new endpoint is closed until it is listed here).
 *
 * Roles: owner and admin everything; integrator the configuration, its preview and check, the
 * CRM's status and the calls list (no recordings, no exports); supervisor calls, recordings,
 * agents, reports and runs (no settings, no users); rep only their own calls (the calls on their
 * extension) and their recordings — the calls queries narrow a rep's results (ownExtension).
 * /v1/lookup and /v1/originate go by a token's scope instead (admin-auth.ts scopedAuth).
 * @module
 */
import type { Context } from 'hono';
import type { TokenScope } from '../../db/schema';
import type { Role } from '../../domain/actor';

/** What the check that let a request in knows besides its actor. */
export interface Principal {
  /** The signed-in user (null for ADMIN_TOKEN and API tokens). */
  userId: number | null;
  /** A rep's own extension (null: none set, so no calls are theirs). */
  extension: string | null;
  /** An API token's scopes (null for a console session or ADMIN_TOKEN). */
  scopes: TokenScope[] | null;
}

declare module 'hono' {
  interface ContextVariableMap {
    principal: Principal;
  }
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE' | '*';
export interface Rule {
  method: Method;
  /** A path; `:name` is one segment, a trailing `*` anything after. */
  pattern: string;
  roles: readonly Role[];
}

const ADMINS: readonly Role[] = ['owner', 'admin'];
const EVERYONE: readonly Role[] = ['owner', 'admin', 'integrator', 'supervisor', 'rep'];
const SETUP: readonly Role[] = ['owner', 'admin', 'integrator'];
const OPERATIONS: readonly Role[] = ['owner', 'admin', 'supervisor'];
const CALL_READERS: readonly Role[] = ['owner', 'admin', 'supervisor', 'rep'];

const rule = (method: Method, pattern: string, roles: readonly Role[]): Rule => ({ method, pattern, roles });

/** The /v1 admin API. */
export const API_ACCESS: readonly Rule[] = [
  rule('GET', '/v1/calls', EVERYONE),
  rule('GET', '/v1/calls/:id', CALL_READERS),
  rule('POST', '/v1/calls/:id/retry', OPERATIONS),
  rule('GET', '/v1/crm', SETUP),
  rule('POST', '/v1/crm/reset', SETUP),
  rule('GET', '/v1/crm/amocrm/connect', SETUP),
  rule('POST', '/v1/reconcile', OPERATIONS),
  rule('GET', '/v1/reconcile/runs', OPERATIONS),
  // A run's findings as CSV is an export: owners and admins only.
  rule('GET', '/v1/reconcile/runs/:ref.csv', ADMINS),
  rule('GET', '/v1/reconcile/runs/:ref', OPERATIONS),
  rule('*', '/v1/inbox*', ADMINS),
  rule('*', '/v1/recordings/*', ADMINS),
  rule('*', '/v1/users*', ADMINS),
  rule('*', '/v1/tokens*', ADMINS),
  rule('*', '/v1/audit*', ADMINS),
  rule('*', '/v1/recording-policies*', ADMINS),
  rule('*', '/v1/erasures*', ADMINS),
  // The instance's accounts: its owners only (an added account's app has no such routes).
  rule('*', '/v1/accounts*', ['owner']),
];

/** The /admin console (the login and logout are open to everyone). */
export const CONSOLE_ACCESS: readonly Rule[] = [
  rule('GET', '/admin', ['owner', 'admin', 'integrator', 'supervisor']),
  rule('*', '/admin/live*', OPERATIONS),
  rule('GET', '/admin/calls', EVERYONE),
  rule('GET', '/admin/calls/:id', CALL_READERS),
  rule('POST', '/admin/calls/:id/retry', OPERATIONS),
  rule('*', '/admin/runs*', OPERATIONS),
  rule('*', '/admin/agents*', OPERATIONS),
  rule('*', '/admin/crm*', SETUP),
  rule('*', '/admin/widget*', SETUP),
  rule('*', '/admin/config*', SETUP),
  rule('*', '/admin/users*', ADMINS),
  rule('*', '/admin/tokens*', ADMINS),
  rule('*', '/admin/audit*', ADMINS),
  rule('*', '/admin/dead-letters*', ADMINS),
  rule('*', '/admin/recording-policy*', ADMINS),
  rule('*', '/admin/accounts*', ['owner']),
];

const compiled = new Map<string, RegExp>();
function regexOf(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    const wild = pattern.endsWith('*');
    const body = (wild ? pattern.slice(0, -1) : pattern)
      .split(/(:[a-z]+)/)
      .map((part) => (part.startsWith(':') ? '[^/]+?' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('');
    re = new RegExp(`^${body}${wild ? '.*' : '/?'}$`);
    compiled.set(pattern, re);
  }
  return re;
}

/** The rule that decides a request, or undefined (owners and admins only). */
export function ruleFor(table: readonly Rule[], method: string, path: string): Rule | undefined {
  const m = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
  return table.find((r) => (r.method === '*' || r.method === m) && regexOf(r.pattern).test(path));
}

export function allowed(table: readonly Rule[], role: Role | null, method: string, path: string): boolean {
  if (!role) return false;
  return (ruleFor(table, method, path)?.roles ?? ADMINS).includes(role);
}

export const mayOpenPage = (role: Role | null, path: string, method = 'GET') => allowed(CONSOLE_ACCESS, role, method, path);

/** Where a role lands after signing in when it may not open the overview. */
export const landingPage = (role: Role | null): string => (mayOpenPage(role, '/admin') ? '/admin' : '/admin/calls');

/** Whether the actor may play or download recordings (integrators may not). */
export const mayHearRecordings = (role: Role | null) => role !== null && role !== 'integrator';

/**
 * The extension a request's calls are narrowed to: undefined — no narrowing; a string — a rep's
 * own; null — a rep with no extension, who has no calls.
 */
export function ownExtension(c: Context): string | null | undefined {
  if (c.get('actor')?.role !== 'rep') return undefined;
  return c.get('principal')?.extension ?? null;
}
