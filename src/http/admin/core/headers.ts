/**
 * Headers on every console response: never cached (pages show phone numbers), never framed, and
 * a Content-Security-Policy that allows only this origin — the one inline stylesheet and script
 * run by this response's nonce, so an injected tag could not, even if escaping ever failed.
 * @module
 */
import type { MiddlewareHandler } from 'hono';
import type { AdminEnv } from './env';

function nonce(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
}

export function contentSecurityPolicy(nonceValue: string): string {
  return [
    "default-src 'none'",
    `style-src 'nonce-${nonceValue}'`,
    `script-src 'nonce-${nonceValue}'`,
    "img-src 'self'",
    // The player streams the call's MP3 from /recordings on this origin.
    "media-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

export function securityHeaders(): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    const value = nonce();
    c.set('nonce', value);
    await next();
    c.res.headers.set('Cache-Control', 'no-store');
    c.res.headers.set('X-Frame-Options', 'DENY');
    c.res.headers.set('X-Content-Type-Options', 'nosniff');
    // Same-origin requests keep their Referer (the CSRF check falls back on it); others get none.
    c.res.headers.set('Referrer-Policy', 'same-origin');
    c.res.headers.set('Content-Security-Policy', contentSecurityPolicy(value));
  };
}
