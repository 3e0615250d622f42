/**
 * Test helpers for the amoCRM client: a token provider that counts, a fast limiter, an AmoApi
 * (amoCRM over the CRM transport) against a made-up account, and calls to log. Test-only; pure,
 * so it stays portable.
 * @module
 */
import { RateLimiter } from '../limiter';
import type { CallToLog } from '../port';
import type { TokenProvider } from '../transport';
import { AmoCrmAdapter, type AmoAdapterOptions } from './adapter';
import { AmoApi, type AmoApiOptions } from './api';

export const BASE_URL = 'https://example.amocrm.ru';

/** Hands out `tokens` in turn: the first until a renew succeeds, then the next. */
export function countingTokens(tokens: string[] = ['token-1', 'token-2'], canRenew = true) {
  let current = 0;
  const renewed: string[] = [];
  const provider: TokenProvider & { renewed: string[] } = {
    renewed,
    token: async () => tokens[current] ?? 'none',
    renew: async (rejected) => {
      renewed.push(rejected);
      if (!canRenew || current + 1 >= tokens.length) return false;
      current++;
      return true;
    },
  };
  return provider;
}

/** A limiter fast enough not to slow tests down: its clock is virtual, sleeps are recorded and move it. */
export function fastLimiter(rps = 1000) {
  const sleeps: number[] = [];
  const penalties: number[] = [];
  let t = 1_000_000;
  const limiter = new RateLimiter({
    rps,
    now: () => t,
    sleep: async (ms) => {
      sleeps.push(ms);
      t += ms;
    },
  });
  const penalize = limiter.penalize.bind(limiter);
  limiter.penalize = (waitMs: number) => {
    penalties.push(waitMs);
    penalize(waitMs);
  };
  return { limiter, sleeps, penalties };
}

export function makeHttp(over: Partial<Omit<AmoApiOptions, 'tokens'>> & { tokens?: ReturnType<typeof countingTokens> } = {}) {
  const { limiter, sleeps, penalties } = fastLimiter();
  const options = { baseUrl: BASE_URL, limiter, tokens: countingTokens(), ...over };
  const http = new AmoApi(options);
  return { http, limiter: options.limiter, sleeps, penalties, tokens: options.tokens };
}

export const ADAPTER_OPTIONS: AmoAdapterOptions = {
  source: 'calltrail',
  unsorted: { pipelineId: 77, serviceCode: 'ct_sip' },
  taskTypeId: 1,
};

export function makeAdapter(options: Partial<AmoAdapterOptions> = {}, http: Parameters<typeof makeHttp>[0] = {}) {
  const h = makeHttp(http);
  return { ...h, adapter: new AmoCrmAdapter(h.http, { ...ADAPTER_OPTIONS, ...options }) };
}

/** A call to log; `n` makes requestId, uniq and phone distinct. */
export function callToLog(n: number, over: Partial<CallToLog> = {}): CallToLog {
  const digits = String(n).padStart(4, '0');
  return {
    requestId: `d-${n}`,
    uniq: `ct1-${digits}`,
    direction: 'inbound',
    phone: `+7495123${digits}`,
    startedAt: new Date('2026-11-20T07:00:00Z'),
    durationSeconds: 185,
    outcome: 'answered',
    extension: '205',
    link: `https://pbx.example/r/${digits}.mp3`,
    status: 4,
    resultText: 'Разговор состоялся',
    userId: 1205,
    contactName: `Caller ${digits}`,
    leadName: `Call ${digits}`,
    ...over,
  };
}

/** amoCRM's documented answer when a number belongs to no contact or company. */
export const ENTITY_NOT_FOUND = { _total_items: 0, errors: [{ title: 'Entity not found', status: 400 }] } as const;
