/**
 * Who does something: the person or program behind a request, as access checks and the audit
 * trail name them.
 * @module
 */
export const ROLES = ['owner', 'admin', 'integrator', 'supervisor', 'rep'] as const;
export type Role = (typeof ROLES)[number];

export interface Actor {
  /** token: a bearer token (ADMIN_TOKEN, a scoped one); session: a console sign-in; link: a signed recording link; system: calltrail itself. */
  kind: 'token' | 'session' | 'link' | 'system';
  /** Stable name for the trail: "ADMIN_TOKEN", "LOOKUP_TOKEN", "user:7", "link", "scheduler". */
  id: string;
  role: Role | null;
}

export const SYSTEM_ACTOR: Actor = { kind: 'system', id: 'calltrail', role: null };
