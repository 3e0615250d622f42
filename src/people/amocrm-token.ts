/**
 * amoCRM's one-time tokens for integrations: what proves, to calltrail, which amoCRM user clicked
 * in the widget. A widget calls `this.$authorizedAjax({...})` in the amoCRM web interface; amoCRM
 * adds an `X-Auth-Token` header holding a JWT signed HS256 with the integration's secret key
 * (AMOCRM_CLIENT_SECRET), whose claims are iss (the account's address, https://example.amocrm.ru),
 * aud (the base address formed from the integration's redirect_uri), jti (a UUID), iat, nbf, exp
 * (unix seconds), account_id, subdomain, client_uuid and user_id (who made the request).
 * Sources: https://developers.kommo.com/docs/one-time-tokens and
 * https://www.amocrm.com/developers/content/oauth/one-time-tokens-for-integrations/
 *
 * Verified with jose (WebCrypto, so Workers too): only HS256 is allowed — `none` and every other
 * algorithm are refused, so the header can never choose how it is checked — then the signature,
 * exp (required) and nbf with ≤ 60 s of clock skew; here the issuer's host, the audience's origin
 * (amoCRM's iss and aud are addresses, compared by host and origin, not as strings) and the user. Each refusal has
 * its own reason for the audit trail and the log; the token itself is never logged. That a token
 * is used once is the caller's business (people/one-time.ts): this module touches no database.
 * @module
 */

import { decodeProtectedHeader, errors, type JWTPayload, jwtVerify } from 'jose';

export const TOKEN_LEEWAY_SECONDS = 60;
/** Longer than any JWT amoCRM sends; a bigger header is refused before any work. */
const MAX_TOKEN_LENGTH = 4096;

export type TokenRefusal =
  | 'malformed'
  | 'unsupported_alg'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'no_user'
  | 'no_jti';

export interface TokenExpectations {
  /** The integration's secret key (AMOCRM_CLIENT_SECRET), or the sandbox's widget secret. */
  secret: string;
  /** The host iss must have (AMOCRM_BASE_URL's); absent: not checked (the sandbox). */
  issuerHost?: string;
  /** The origin aud must have (AMOCRM_REDIRECT_URI's); absent: not checked (the sandbox). */
  audienceOrigin?: string;
  now: Date;
}

export interface AmoUserToken {
  /** The amoCRM user who made the request. */
  userId: number;
  jti: string;
  /** Unix seconds. */
  exp: number;
  subdomain: string | null;
}

export type TokenCheck = { ok: true; token: AmoUserToken } | { ok: false; reason: TokenRefusal };

const refuse = (reason: TokenRefusal): TokenCheck => ({ ok: false, reason });
const encoder = new TextEncoder();

function sameHost(address: unknown, host: string): boolean {
  if (typeof address !== 'string') return false;
  try {
    return new URL(address).host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
  }
}

function sameOrigin(address: unknown, origin: string): boolean {
  if (typeof address !== 'string') return false;
  try {
    return new URL(address).origin === new URL(origin).origin;
  } catch {
    return false;
  }
}

/** The issuer, audience, user and id; jose has checked the algorithm, signature and times. */
function checkClaims(claims: JWTPayload & Record<string, unknown>, expect: TokenExpectations): TokenCheck {
  if (expect.issuerHost !== undefined && !sameHost(claims.iss, expect.issuerHost)) return refuse('wrong_issuer');
  if (expect.audienceOrigin !== undefined && !sameOrigin(claims.aud, expect.audienceOrigin)) return refuse('wrong_audience');
  // amoCRM sends numbers; a numeric string is taken too, nothing else.
  const user = typeof claims.user_id === 'string' && /^\d{1,10}$/.test(claims.user_id) ? Number(claims.user_id) : claims.user_id;
  if (typeof user !== 'number' || !Number.isSafeInteger(user) || user < 1 || user > 2 ** 31 - 1) return refuse('no_user');
  const jti = claims.jti;
  if (typeof jti !== 'string' || !/^[\w-]{1,128}$/.test(jti)) return refuse('no_jti');
  return { ok: true, token: { userId: user, jti, exp: claims.exp as number, subdomain: typeof claims.subdomain === 'string' ? claims.subdomain : null } };
}

/** jose's refusal as ours. */
function reasonOf(error: unknown): TokenRefusal {
  if (error instanceof errors.JOSEAlgNotAllowed) return 'unsupported_alg';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) return error.claim === 'nbf' || error.claim === 'iat' ? 'not_yet_valid' : 'expired';
  return 'malformed';
}

/** Whether a one-time token holds, and for which amoCRM user. */
export async function verifyAmoToken(token: string, expect: TokenExpectations): Promise<TokenCheck> {
  if (token.length > MAX_TOKEN_LENGTH) return refuse('malformed');
  let alg: unknown;
  try {
    alg = decodeProtectedHeader(token.trim()).alg;
  } catch {
    return refuse('malformed');
  }
  // Said before anything else is looked at: a token naming another algorithm is not amoCRM's.
  if (alg !== 'HS256') return refuse('unsupported_alg');
  try {
    const { payload } = await jwtVerify(token.trim(), encoder.encode(expect.secret), {
      algorithms: ['HS256'],
      clockTolerance: TOKEN_LEEWAY_SECONDS,
      currentDate: expect.now,
      requiredClaims: ['exp'],
    });
    return checkClaims(payload, expect);
  } catch (error) {
    if (error instanceof errors.JOSEError) return refuse(reasonOf(error));
    throw error;
  }
}
