/**
 * Whether a URL may be fetched at all, before any connection: http(s) only, no credentials in
 * it, a host on the policy's list, and — for an IP written in the URL — an address the policy
 * allows. Hosts are compared as URL writes them (lower case, IDN in punycode, IPv4 in every
 * notation normalized to dotted decimal), so "2130706433" cannot pass for an allowed name and
 * "PBX.Example.com." matches "pbx.example.com".
 * @module
 */
import { addressRefusal } from './ip-policy';
import type { FetchPolicy } from './port';

export interface HostPattern {
  /** `*.example.com`: any subdomain of host, not host itself. */
  wildcard: boolean;
  host: string;
}

const stripDot = (host: string) => (host.endsWith('.') ? host.slice(0, -1) : host);

/** An IP literal as URL writes a hostname (IPv6 in brackets); null for a name. */
export function ipLiteral(hostname: string): string | null {
  if (hostname.startsWith('[') && hostname.endsWith(']')) return hostname.slice(1, -1);
  // URL turns any host whose last label is numeric into dotted-quad IPv4, or refuses it.
  return /^\d+\.\d+\.\d+\.\d+$/.test(hostname) ? hostname : null;
}

/** A policy entry in URL's spelling; null when it is not a bare host (a port, a path, credentials…). */
export function normalizeHostPattern(entry: string): HostPattern | null {
  let text = entry.trim().toLowerCase();
  const wildcard = text.startsWith('*.');
  if (wildcard) text = text.slice(2);
  if (text === '' || /[/?#@\\\s]/.test(text) || (!text.startsWith('[') && text.includes(':'))) return null;
  let url: URL;
  try {
    url = new URL(`http://${text}/`);
  } catch {
    return null;
  }
  if (url.port !== '' || url.hostname === '') return null;
  const host = stripDot(url.hostname);
  if (wildcard && ipLiteral(host) !== null) return null;
  return { wildcard, host };
}

export function hostAllowed(hostname: string, allowedHosts: readonly string[]): boolean {
  const host = stripDot(hostname.toLowerCase());
  const isIp = ipLiteral(host) !== null;
  return allowedHosts.some((entry) => {
    const pattern = normalizeHostPattern(entry);
    if (!pattern) return false;
    if (!pattern.wildcard) return pattern.host === host;
    return !isIp && host.endsWith(`.${pattern.host}`);
  });
}

/** Why this URL is refused, in words for an admin (never echoing credentials); null when it may be fetched. */
export function urlRefusal(url: URL, policy: Pick<FetchPolicy, 'allowedHosts' | 'allowPrivate'>): string | null {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `only http and https URLs are fetched, not ${url.protocol}`;
  if (url.username !== '' || url.password !== '') return `the URL for ${url.host} carries credentials (user:password@), which are refused`;
  if (!hostAllowed(url.hostname, policy.allowedHosts)) return `${url.host} is not an allowed recording host (recordings.allowed_hosts)`;
  const ip = ipLiteral(url.hostname);
  return ip === null ? null : addressRefusal(ip, policy.allowPrivate);
}
