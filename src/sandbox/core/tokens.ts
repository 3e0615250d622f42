/**
 * Who may call the API: long-lived tokens, OAuth clients, authorization codes, access and refresh
 * tokens. Lifetimes follow amoCRM: code 20 min and single-use, access token 24 h (configurable),
 * refresh token 3 months and **single-use** — a refresh returns a new pair and the old refresh
 * token is revoked at once, while the old access token keeps working until it expires.
 * Error texts follow league/oauth2-server, which amoCRM's OAuth endpoint is built on.
 * @module
 */
import type { OAuthClient } from './options';
import { hex, type Random } from './prng';

export const CODE_TTL_SECONDS = 20 * 60;
export const REFRESH_TTL_SECONDS = 90 * 86_400;

export interface TokenPair {
  token_type: 'Bearer';
  expires_in: number;
  access_token: string;
  refresh_token: string;
}

export interface OAuthFailure {
  status: 400 | 401;
  detail: string;
  hint?: string;
}

export type AccessCheck = 'ok' | 'missing' | 'unknown' | 'expired' | 'revoked';

interface Grant {
  clientId: string;
  expiresAt: number;
  used: boolean;
}

export class TokenVault {
  private readonly codes = new Map<string, Grant>();
  private readonly access = new Map<string, { expiresAt: number; revoked: boolean }>();
  private readonly refreshTokens = new Map<string, Grant>();
  private longLivedRevoked = false;

  constructor(
    private readonly clients: OAuthClient[],
    private readonly longLived: string[],
    private readonly accessTtl: number,
    private readonly random: Random,
  ) {}

  client(id: string): OAuthClient | undefined {
    return this.clients.find((c) => c.id === id);
  }

  issueCode(clientId: string, nowS: number): string {
    if (!this.client(clientId)) throw new Error(`unknown OAuth client ${clientId}`);
    const code = `def50200${hex(this.random, 56)}`;
    this.codes.set(code, { clientId, expiresAt: nowS + CODE_TTL_SECONDS, used: false });
    return code;
  }

  /** Checks the client the way the token endpoint does; undefined means it passed. */
  private authenticate(clientId: string, secret: string, redirectUri: string): OAuthFailure | undefined {
    const client = this.client(clientId);
    if (!client || client.secret !== secret) return { status: 401, detail: 'Client authentication failed' };
    if (client.redirectUri !== redirectUri) return { status: 401, detail: 'Client authentication failed', hint: 'Invalid redirect URI' };
    return undefined;
  }

  exchangeCode(req: { clientId: string; secret: string; code: string; redirectUri: string }, nowS: number): TokenPair | OAuthFailure {
    const failed = this.authenticate(req.clientId, req.secret, req.redirectUri);
    if (failed) return failed;
    const grant = this.codes.get(req.code);
    const invalid =
      'The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.';
    if (!grant || grant.clientId !== req.clientId) return { status: 400, detail: invalid, hint: 'Cannot decrypt the authorization code' };
    if (grant.used) return { status: 400, detail: invalid, hint: 'Authorization code has been revoked' };
    if (nowS > grant.expiresAt) return { status: 400, detail: invalid, hint: 'Authorization code has expired' };
    grant.used = true;
    return this.issuePair(req.clientId, nowS);
  }

  refresh(req: { clientId: string; secret: string; refreshToken: string; redirectUri: string }, nowS: number): TokenPair | OAuthFailure {
    const failed = this.authenticate(req.clientId, req.secret, req.redirectUri);
    if (failed) return failed;
    const grant = this.refreshTokens.get(req.refreshToken);
    if (!grant || grant.clientId !== req.clientId) return { status: 401, detail: 'The refresh token is invalid.', hint: 'Cannot decrypt the refresh token' };
    if (grant.used) return { status: 401, detail: 'Token has been revoked', hint: 'Token has been revoked' };
    if (nowS > grant.expiresAt) return { status: 401, detail: 'Token has expired', hint: 'Token has expired' };
    grant.used = true;
    return this.issuePair(req.clientId, nowS);
  }

  private issuePair(clientId: string, nowS: number): TokenPair {
    const accessToken = `sbx.at.${hex(this.random, 48)}`;
    const refreshToken = `def50200${hex(this.random, 64)}`;
    this.access.set(accessToken, { expiresAt: nowS + this.accessTtl, revoked: false });
    this.refreshTokens.set(refreshToken, { clientId, expiresAt: nowS + REFRESH_TTL_SECONDS, used: false });
    return { token_type: 'Bearer', expires_in: this.accessTtl, access_token: accessToken, refresh_token: refreshToken };
  }

  check(token: string | undefined, nowS: number): AccessCheck {
    if (!token) return 'missing';
    if (this.longLived.includes(token)) return this.longLivedRevoked ? 'revoked' : 'ok';
    const entry = this.access.get(token);
    if (!entry) return 'unknown';
    if (entry.revoked) return 'revoked';
    return nowS >= entry.expiresAt ? 'expired' : 'ok';
  }

  /** Everything stops working: access tokens, refresh tokens and the configured long-lived ones. */
  revokeAll(): void {
    for (const entry of this.access.values()) entry.revoked = true;
    for (const grant of this.refreshTokens.values()) grant.used = true;
    this.longLivedRevoked = true;
  }
}
