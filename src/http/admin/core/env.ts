/**
 * What the console's middleware hands its pages through the request context.
 * @module
 */
export interface AdminSession {
  /** Random per login; CSRF tokens are bound to it. */
  id: string;
  /** Unix seconds; the cookie is refused after this. */
  expires: number;
}

export interface AdminEnv {
  Variables: {
    /** The CSP nonce of this response's inline style and script. */
    nonce: string;
    /** Present on every page but the login. */
    session?: AdminSession;
    /** The CSRF token of this session, for the POST forms on the page. */
    csrf?: string;
    /** Set by the app's request-id middleware. */
    requestId?: string;
  };
}
