/**
 * amoCRM's one-time tokens for integrations, as the sandbox issues them to its card page's
 * `$authorizedAjax` (routes/card.ts): a JWT signed HS256 with the widget's secret (the sandbox's
 * stand-in for an integration's secret key), with the claims amoCRM documents — iss (the account's
 * address), aud (the base address of the integration's redirect URI), jti (a UUID), iat, nbf, exp,
 * account_id, subdomain, client_uuid, user_id.
 * Sources: https://developers.kommo.com/docs/one-time-tokens and
 * https://www.amocrm.com/developers/content/oauth/one-time-tokens-for-integrations/
 *
 * Deterministic like the rest of the sandbox: the jti comes from a seeded PRNG and the clock (its
 * first 8 hex digits are the issue second, so a restarted sandbox does not repeat the ids of the
 * tokens it issued before).
 * @module
 */
import { SignJWT } from 'jose';
import { hex, type Random } from './prng';

/** How long a token is good for. amoCRM does not document its own; a minute is plenty for one request. */
export const ONE_TIME_TOKEN_SECONDS = 60;
/** The widget's integration, as far as a token tells (client_uuid). */
export const SANDBOX_CLIENT_UUID = '00000000-0000-4000-8000-0000000000ca';

const encoder = new TextEncoder();

export interface OneTimeTokenClaims {
  subdomain: string;
  accountId: number;
  userId: number;
  /** The base address of the integration's redirect URI. */
  aud: string;
  /** Unix seconds. */
  now: number;
}

export function oneTimeTokenId(random: Random, now: number): string {
  const time = (now >>> 0).toString(16).padStart(8, '0');
  const variant = '89ab'[Math.floor(random() * 4)];
  return `${time}-${hex(random, 4)}-4${hex(random, 3)}-${variant}${hex(random, 3)}-${hex(random, 12)}`;
}

export async function signOneTimeToken(secret: string, jti: string, c: OneTimeTokenClaims): Promise<string> {
  return new SignJWT({ account_id: c.accountId, subdomain: c.subdomain, client_uuid: SANDBOX_CLIENT_UUID, user_id: c.userId })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(`https://${c.subdomain}.amocrm.ru`)
    .setAudience(c.aud)
    .setJti(jti)
    .setIssuedAt(c.now)
    .setNotBefore(c.now)
    .setExpirationTime(c.now + ONE_TIME_TOKEN_SECONDS)
    .sign(encoder.encode(secret));
}
