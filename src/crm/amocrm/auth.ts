/**
 * amoCRM credentials: a long-lived token (private integrations), or OAuth 2.0 tokens kept in
 * crm_accounts and refreshed ahead of expiry and after a 401.
 *
 * amoCRM's refresh tokens are single-use: two processes refreshing at once would each spend the
 * same refresh token, and the loser's next refresh revokes the integration. So a refresh takes
 * the account row's lock (SELECT … FOR UPDATE, a plain transaction that works through
 * Hyperdrive's transaction pooling), re-reads it, and refreshes only if the token it holds is
 * still the stale one; everyone else waits on the lock and then uses the new token. A runtime may
 * add a lock of its own around that (OAuthDeps.refreshLock; Workers: the account's Durable
 * Object), so that the others wait there, not in a database transaction open while amoCRM answers.
 *
 * Both tokens are sealed at rest (lib/seal.ts, SECRETS_KEYS), each bound to its account and
 * column. Tokens stored before sealing are read as they are and sealed by the next refresh.
 * Without a key nothing is spent: the refresh (and the install) stops before it asks amoCRM,
 * since a single-use refresh token traded for tokens that cannot be stored would be lost.
 * @module
 */
import { eq, sql } from 'drizzle-orm';
import * as z from 'zod';
import type { Db } from '../../db/client';
import { crmAccounts } from '../../db/schema';
import type { CrmKind } from '../../domain/crm-account';
import type { Logger } from '../../lib/log';
import { aad, SealError, seal, unseal, type SealKey } from '../../lib/seal';
import { markStatus } from '../account';
import { CrmError } from '../port';
import type { TokenProvider } from '../transport';
import { describeBody } from './table';

/** Refresh when less than this is left (access tokens live 24 h). */
const REFRESH_AHEAD_MS = 60 * 60 * 1000;

export class LongLivedToken implements TokenProvider {
  constructor(private readonly value: string) {}
  async token() {
    return this.value;
  }
  async renew() {
    return false;
  }
}

export interface OAuthClient {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

export interface OAuthDeps {
  db: Db;
  account: { id: string; kind: CrmKind; baseUrl: string };
  client: OAuthClient;
  log: Logger;
  now: () => Date;
  /** SECRETS_KEYS: the tokens are sealed with the first, opened with any. */
  keys: readonly SealKey[];
  fetch?: typeof fetch;
  /** Runs a refresh while no other process of this account's may; absent: the row lock alone. */
  refreshLock?: RefreshLock;
}

/**
 * Holds the account's refresh lock while `work` runs. A lock that cannot be had in time (or
 * reached) should run `work` anyway: the row lock inside still keeps the refresh single.
 */
export type RefreshLock = <T>(accountId: string, work: () => Promise<T>) => Promise<T>;

/** Why nothing is asked of amoCRM without a key. */
export const NO_SECRETS_KEYS = 'SECRETS_KEYS is not set: calltrail stores no OAuth token in clear (make a key with `calltrail keys generate`)';

/** The place each sealed token is bound to. */
const tokenAad = (accountId: string, column: 'access_token' | 'refresh_token') => aad('crm_accounts', column, accountId);

interface StoredTokens {
  access: string | null;
  refresh: string | null;
  expiresAt: Date | null;
}

/** The account's tokens, opened; `lock`: FOR UPDATE (inside the refresh transaction). */
async function readTokens(db: Db, accountId: string, keys: readonly SealKey[], lock: boolean): Promise<StoredTokens | undefined> {
  const query = db
    .select({ access: crmAccounts.accessToken, refresh: crmAccounts.refreshToken, expiresAt: crmAccounts.tokenExpiresAt })
    .from(crmAccounts)
    .where(eq(crmAccounts.id, accountId));
  const [row] = lock ? await query.for('update') : await query;
  if (!row) return undefined;
  try {
    return {
      access: row.access === null ? null : await unseal(keys, row.access, tokenAad(accountId, 'access_token')),
      refresh: row.refresh === null ? null : await unseal(keys, row.refresh, tokenAad(accountId, 'refresh_token')),
      expiresAt: row.expiresAt,
    };
  } catch (error) {
    if (!(error instanceof SealError)) throw error;
    throw new CrmError({ kind: 'unauthorized', detail: `the stored amoCRM token cannot be opened: ${error.message}` });
  }
}

const TokenAnswer = z.looseObject({
  token_type: z.string().optional(),
  expires_in: z.number().int().positive(),
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
});

export class OAuthTokens implements TokenProvider {
  private cached: { access: string; expiresAt: number } | null = null;

  constructor(private readonly deps: OAuthDeps) {}

  async token(): Promise<string> {
    const now = this.deps.now().getTime();
    if (this.cached && this.cached.expiresAt - REFRESH_AHEAD_MS > now) return this.cached.access;
    const row = await readTokens(this.deps.db, this.deps.account.id, this.deps.keys, false);
    if (!row?.access || !row.expiresAt) {
      throw new CrmError({ kind: 'unauthorized', detail: 'amoCRM is not connected yet: an admin opens /v1/crm/amocrm/connect' });
    }
    if (row.expiresAt.getTime() - REFRESH_AHEAD_MS > now) {
      this.cached = { access: row.access, expiresAt: row.expiresAt.getTime() };
      return row.access;
    }
    const fresh = await this.refresh(row.access, false);
    if (!fresh) throw new CrmError({ kind: 'unauthorized', detail: 'the amoCRM token expired and could not be refreshed' });
    return fresh;
  }

  async renew(rejected: string): Promise<boolean> {
    this.cached = null;
    return (await this.refresh(rejected, true)) !== null;
  }

  /**
   * The new access token, or null when amoCRM refused the refresh (the account is then marked
   * unauthorized). `force`: the token was answered 401, so refresh even if it looks unexpired.
   */
  private async refresh(stale: string, force: boolean): Promise<string | null> {
    const lock = this.deps.refreshLock;
    const result = lock ? await lock(this.deps.account.id, () => this.refreshInRowLock(stale, force)) : await this.refreshInRowLock(stale, force);
    this.cached = result;
    return result?.access ?? null;
  }

  private refreshInRowLock(stale: string, force: boolean): Promise<{ access: string; expiresAt: number } | null> {
    const { db, account, log } = this.deps;
    return db.transaction(async (tx) => {
      const row = await readTokens(tx, account.id, this.deps.keys, true);
      const now = this.deps.now();
      if (row?.access && row.expiresAt && row.access !== stale && row.expiresAt.getTime() - REFRESH_AHEAD_MS > now.getTime()) {
        return { access: row.access, expiresAt: row.expiresAt.getTime() }; // another process refreshed first
      }
      if (row?.access && row.expiresAt && !force && row.expiresAt.getTime() - REFRESH_AHEAD_MS > now.getTime()) {
        return { access: row.access, expiresAt: row.expiresAt.getTime() };
      }
      if (!row?.refresh) {
        await markStatus(tx, account.id, 'unauthorized', 'no refresh token: connect amoCRM again', now);
        return null;
      }
      if (!this.deps.keys.length) {
        await markStatus(tx, account.id, 'unauthorized', NO_SECRETS_KEYS, now);
        log.warn('amoCRM token not refreshed: SECRETS_KEYS is not set', { account: account.id });
        return null;
      }
      const answer = await postToken(this.deps, { grant_type: 'refresh_token', refresh_token: row.refresh });
      if (!answer.ok) {
        await markStatus(tx, account.id, 'unauthorized', `token refresh refused: ${answer.detail}`, now);
        log.warn('amoCRM refused the token refresh; deliveries wait until an admin connects again', { account: account.id, detail: answer.detail });
        return null;
      }
      await storeTokens(tx, account.id, answer.tokens, now, this.deps.keys);
      log.info('amoCRM token refreshed', { account: account.id });
      return { access: answer.tokens.access_token, expiresAt: now.getTime() + answer.tokens.expires_in * 1000 };
    });
  }
}

type TokenResult = { ok: true; tokens: z.infer<typeof TokenAnswer> } | { ok: false; detail: string };

/** POST /oauth2/access_token. A refusal (4xx) is an answer; a network failure or 5xx throws. */
async function postToken(deps: Pick<OAuthDeps, 'account' | 'client' | 'fetch'>, grant: Record<string, string>): Promise<TokenResult> {
  const fetcher = deps.fetch ?? ((input, init) => fetch(input, init));
  let status: number;
  let text: string;
  try {
    const response = await fetcher(`${deps.account.baseUrl}/oauth2/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ client_id: deps.client.clientId, client_secret: deps.client.clientSecret, redirect_uri: deps.client.redirectUri, ...grant }),
      redirect: 'manual',
      signal: AbortSignal.timeout(20_000),
    });
    status = response.status;
    text = await response.text();
  } catch (error) {
    // The refresh token may have been spent without us seeing the new one; nothing to do but report.
    throw new CrmError({ kind: 'unavailable', sent: true, status: null, detail: `token endpoint unreachable: ${(error as Error).message}` });
  }
  if (status >= 500) {
    throw new CrmError({ kind: 'unavailable', sent: true, status, detail: `token endpoint: HTTP ${status}` });
  }
  if (status !== 200) return { ok: false, detail: describeBody(text) || `HTTP ${status}` };
  const parsed = TokenAnswer.safeParse(safeJson(text));
  if (!parsed.success) return { ok: false, detail: 'the token endpoint answered without tokens' };
  return { ok: true, tokens: parsed.data };
}

/** The install step: trade the authorization code from the redirect for tokens. */
export async function exchangeAuthorizationCode(deps: OAuthDeps, code: string): Promise<TokenResult> {
  if (!deps.keys.length) throw new SealError(NO_SECRETS_KEYS);
  const answer = await postToken(deps, { grant_type: 'authorization_code', code });
  if (!answer.ok) return answer;
  const now = deps.now();
  await deps.db
    .insert(crmAccounts)
    .values({ id: deps.account.id, kind: deps.account.kind, baseUrl: deps.account.baseUrl })
    .onConflictDoNothing({ target: crmAccounts.id });
  await storeTokens(deps.db, deps.account.id, answer.tokens, now, deps.keys);
  deps.log.info('amoCRM connected', { account: deps.account.id });
  return answer;
}

async function storeTokens(db: Db, accountId: string, tokens: z.infer<typeof TokenAnswer>, now: Date, keys: readonly SealKey[]) {
  await db
    .update(crmAccounts)
    .set({
      accessToken: await seal(keys, tokens.access_token, tokenAad(accountId, 'access_token')),
      refreshToken: await seal(keys, tokens.refresh_token, tokenAad(accountId, 'refresh_token')),
      tokenExpiresAt: new Date(now.getTime() + tokens.expires_in * 1000),
      tokenRefreshedAt: now,
      // New tokens end an "unauthorized" state, never a block (only an admin lifts that).
      status: sql`case when ${crmAccounts.status} = 'unauthorized' then 'ok' else ${crmAccounts.status} end`,
      statusReason: sql`case when ${crmAccounts.status} = 'unauthorized' then null else ${crmAccounts.statusReason} end`,
      updatedAt: now,
    })
    .where(eq(crmAccounts.id, accountId));
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
