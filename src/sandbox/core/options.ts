/**
 * The sandbox's knobs and their defaults. Every default mirrors real amoCRM (7 rps, blocks after
 * repeated 429s, 250 items per batch, 24 h access tokens) so code that passes here is ready for the
 * real account; tests turn the knobs to reach the unfriendly corners quickly.
 * @module
 */
import type { SandboxStateStore } from './state';

export type FaultKind = '502_before' | '504_before' | '502_after' | 'slow_after';
export const FAULT_KINDS: readonly FaultKind[] = ['502_before', '504_before', '502_after', 'slow_after'];

export interface FaultOptions {
  /** PRNG seed: the same seed and the same request sequence give the same faults. */
  seed: number;
  /** Share of eligible requests that get a fault, 0..1. */
  rate: number;
  /** Relative weights per kind; kinds left out weigh 0 when any is given, all weigh 1 otherwise. */
  kinds?: Partial<Record<FaultKind, number>>;
  /** How long `slow_after` holds the answer back. */
  slowMs?: number;
  /** Fault GETs too (by default only POST/PATCH under /api/v4). */
  reads?: boolean;
}

export interface OAuthClient {
  id: string;
  secret: string;
  redirectUri: string;
}

export type PhoneInput = string | { value: string; enum_code?: string };

export interface SeedContact {
  name: string;
  phones: PhoneInput[];
  /** Active leads to create and link. */
  leads?: number;
  /** Customers to create and link. */
  customers?: number;
  /** Closed leads (won, 142) to create and link: history that must not attract calls or lookups. */
  closed_leads?: number;
  /** The responsible user (default: the account's admin). */
  responsible_user_id?: number;
  /** A contact's company, by the name of a company in `companies` (created first). */
  company?: string;
}

export interface SeedData {
  users?: { id: number; name: string }[];
  /** Companies, created before the contacts that name them. */
  companies?: SeedContact[];
  contacts?: SeedContact[];
}

export interface SandboxOptions {
  now?: () => Date;
  subdomain?: string;
  rps?: number;
  blockAfter429s?: number;
  blockWindowSeconds?: number;
  unknownNumbers?: 'partial' | 'reject_batch';
  rejectWithRequestIds?: boolean;
  maxBatch?: number;
  gatewayTimeoutAbove?: number;
  longLivedTokens?: string[];
  oauthClients?: OAuthClient[];
  accessTokenTtlSeconds?: number;
  faults?: FaultOptions;
  seed?: SeedData | 'demo';
  latencyMs?: number;
  /**
   * The clock the rate limit counts by, in ms (default: `now`). Tests that freeze or jump the data
   * clock pass real time here, so pacing is still judged in real time.
   */
  rateClock?: () => number;
  /**
   * The secret the card page's `$authorizedAjax` signs amoCRM one-time tokens with (the stand-in
   * for an integration's secret key; core/one-time-tokens.ts). Absent: the card has no
   * `$authorizedAjax` token to give (POST /widget/one-time-token answers 404).
   */
  widgetSecret?: string;
  /**
   * Where the account is kept across restarts (core/state.ts): it starts from the saved state,
   * when there is one, instead of the seed, and is saved after changes. Absent: memory only.
   */
  state?: SandboxStateStore;
  /** How long a change waits before the account is saved (default 500 ms). */
  stateDebounceMs?: number;
}

export type ResolvedOptions = Required<Omit<SandboxOptions, 'faults' | 'seed' | 'widgetSecret' | 'state' | 'stateDebounceMs'>> &
  Pick<SandboxOptions, 'faults' | 'seed' | 'widgetSecret'>;

export function resolveOptions(o: SandboxOptions = {}): ResolvedOptions {
  return {
    now: o.now ?? (() => new Date()),
    subdomain: o.subdomain ?? 'sandbox',
    rps: o.rps ?? 7,
    blockAfter429s: o.blockAfter429s ?? 5,
    blockWindowSeconds: o.blockWindowSeconds ?? 60,
    unknownNumbers: o.unknownNumbers ?? 'partial',
    rejectWithRequestIds: o.rejectWithRequestIds ?? false,
    maxBatch: o.maxBatch ?? 250,
    gatewayTimeoutAbove: o.gatewayTimeoutAbove ?? 100,
    longLivedTokens: o.longLivedTokens ?? [],
    oauthClients: o.oauthClients ?? [],
    accessTokenTtlSeconds: o.accessTokenTtlSeconds ?? 86_400,
    latencyMs: o.latencyMs ?? 0,
    rateClock: o.rateClock ?? (() => (o.now ?? (() => new Date()))().getTime()),
    faults: o.faults,
    seed: o.seed,
    ...(o.widgetSecret ? { widgetSecret: o.widgetSecret } : {}),
  };
}
