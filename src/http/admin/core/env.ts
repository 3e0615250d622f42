/**
 * What the console's middleware hands its pages through the request context.
 * @module
 */
import type { Role } from '../../../domain/actor';
export interface AdminSession {
  /** Random per login; CSRF tokens are bound to it. */
  id: string;
  /** Unix seconds; the cookie is refused after this. */
  expires: number;
  /** The signed-in user; 0: the bootstrap owner (ADMIN_TOKEN). */
  userId: number;
  /** The role signed into the cookie (the guard uses the user's current one). */
  role: Role;
  /** The user's session epoch (or ADMIN_TOKEN's fingerprint) when it was issued. */
  epoch: string;
}

export interface AdminEnv {
  Variables: {
    /** The CSP nonce of this response's inline style and script. */
    nonce: string;
    /** Present on every page but the login. */
    session?: AdminSession;
    /** The CSRF token of this session, for the POST forms on the page. */
    csrf?: string;
    /** This console manages the instance's added accounts (account 1's, on a runtime that has them). */
    instance?: boolean;
    /** Set by the app's request-id middleware. */
    requestId?: string;
  };
}
