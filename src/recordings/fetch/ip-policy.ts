/**
 * Which IP addresses a recording may be fetched from: public ones always; private, loopback and
 * link-local ones (a PBX on the LAN) only when the policy says so; reserved ones — "this
 * network", multicast, broadcast, documentation, cloud metadata services — never. IPv6 forms
 * that carry an IPv4 address (IPv4-mapped, NAT64) are judged by that address. Anything IPv6
 * outside global unicast (2000::/3) is reserved: a list of what is allowed ages better than a
 * list of what is not.
 * @module
 */

export type AddressScope = 'public' | 'private' | 'reserved';

export interface AddressClass {
  scope: AddressScope;
  /** What the address is, for a person: "loopback", "private network (10.0.0.0/8)"… */
  label: string;
}

/** Dotted-quad IPv4 as DNS answers and URL writes it (no leading zeros, no short forms); null otherwise. */
export function parseIPv4(text: string): number | null {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!match) return null;
  let value = 0;
  for (const part of match.slice(1)) {
    if ((part.length > 1 && part.startsWith('0')) || Number(part) > 255) return null;
    value = value * 256 + Number(part);
  }
  return value;
}

/** IPv6 as a 128-bit number: "::" compression, an embedded dotted IPv4 tail, [brackets] and a %zone accepted. */
export function parseIPv6(text: string): bigint | null {
  let s = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (!/^[0-9a-f:.]+$/i.test(s) || !s.includes(':')) return null;
  const tail: number[] = [];
  if (s.includes('.')) {
    const at = s.lastIndexOf(':');
    const v4 = parseIPv4(s.slice(at + 1));
    if (v4 === null) return null;
    tail.push(Math.floor(v4 / 0x10000), v4 % 0x10000);
    s = s.slice(0, at + 1);
    if (!s.endsWith('::')) s = s.slice(0, -1);
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (part: string | undefined) =>
    part === undefined || part === '' ? [] : part.split(':').map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : NaN));
  const left = groups(halves[0]);
  const right = groups(halves[1]);
  if ([...left, ...right].some(Number.isNaN)) return null;
  const count = left.length + right.length + tail.length;
  if (halves.length === 2 ? count > 7 : count !== 8) return null;
  const all = [...left, ...new Array<number>(8 - count).fill(0), ...right, ...tail];
  return all.reduce((value, group) => (value << 16n) | BigInt(group), 0n);
}

type V4Rule = [prefix: string, bits: number, scope: AddressScope, label: string];
type V6Rule = [prefix: string, bits: number, scope: AddressScope, label: string];

/** First match wins: the narrow entries come before the blocks that contain them. */
const V4_RULES: V4Rule[] = [
  ['169.254.169.254', 32, 'reserved', 'cloud metadata service'],
  ['169.254.170.2', 32, 'reserved', 'cloud metadata service (ECS)'],
  ['100.100.100.200', 32, 'reserved', 'cloud metadata service (Alibaba)'],
  ['168.63.129.16', 32, 'reserved', 'cloud platform service (Azure)'],
  ['0.0.0.0', 8, 'reserved', '"this network" (0.0.0.0/8)'],
  ['10.0.0.0', 8, 'private', 'private network (10.0.0.0/8)'],
  ['100.64.0.0', 10, 'private', 'carrier-grade NAT (100.64.0.0/10)'],
  ['127.0.0.0', 8, 'private', 'loopback'],
  ['169.254.0.0', 16, 'private', 'link-local'],
  ['172.16.0.0', 12, 'private', 'private network (172.16.0.0/12)'],
  ['192.0.0.0', 24, 'reserved', 'IETF protocol assignments (192.0.0.0/24)'],
  ['192.0.2.0', 24, 'reserved', 'documentation (192.0.2.0/24)'],
  ['192.88.99.0', 24, 'reserved', '6to4 relay (192.88.99.0/24)'],
  ['192.168.0.0', 16, 'private', 'private network (192.168.0.0/16)'],
  ['198.18.0.0', 15, 'private', 'benchmarking network (198.18.0.0/15)'],
  ['198.51.100.0', 24, 'reserved', 'documentation (198.51.100.0/24)'],
  ['203.0.113.0', 24, 'reserved', 'documentation (203.0.113.0/24)'],
  ['224.0.0.0', 4, 'reserved', 'multicast'],
  ['255.255.255.255', 32, 'reserved', 'broadcast'],
  ['240.0.0.0', 4, 'reserved', 'reserved (240.0.0.0/4)'],
];

const V6_RULES: V6Rule[] = [
  ['::', 128, 'reserved', 'unspecified (::)'],
  ['::1', 128, 'private', 'loopback'],
  ['64:ff9b:1::', 48, 'private', 'local-use NAT64 (64:ff9b:1::/48)'],
  ['::', 8, 'reserved', 'reserved (::/8, IPv4-compatible and others)'],
  ['100::', 64, 'reserved', 'discard-only (100::/64)'],
  ['2001:db8::', 32, 'reserved', 'documentation (2001:db8::/32)'],
  ['2001::', 23, 'reserved', 'IETF protocol assignments (2001::/23, Teredo and others)'],
  ['2002::', 16, 'reserved', '6to4 (2002::/16)'],
  ['3fff::', 20, 'reserved', 'documentation (3fff::/20)'],
  ['2000::', 3, 'public', 'public'],
  ['fd00:ec2::254', 128, 'reserved', 'cloud metadata service (AWS)'],
  ['fc00::', 7, 'private', 'unique local (fc00::/7)'],
  ['fe80::', 10, 'private', 'link-local (fe80::/10)'],
  ['fec0::', 10, 'private', 'site-local (fec0::/10)'],
  ['ff00::', 8, 'reserved', 'multicast'],
  ['::', 0, 'reserved', 'not global unicast (outside 2000::/3)'],
];

const v4Rules = V4_RULES.map(([prefix, bits, scope, label]) => ({ prefix: parseIPv4(prefix) ?? 0, bits, scope, label }));
const v6Rules = V6_RULES.map(([prefix, bits, scope, label]) => ({ prefix: parseIPv6(prefix) ?? 0n, bits: BigInt(bits), scope, label }));

const MAPPED = parseIPv6('::ffff:0:0') ?? 0n;
const NAT64 = parseIPv6('64:ff9b::') ?? 0n;
const LOW_32 = 0xffffffffn;

function classifyV4(address: number): AddressClass {
  for (const rule of v4Rules) {
    const size = 2 ** (32 - rule.bits);
    if (Math.floor(address / size) === Math.floor(rule.prefix / size)) return { scope: rule.scope, label: rule.label };
  }
  return { scope: 'public', label: 'public' };
}

function classifyV6(address: bigint): AddressClass {
  // Both carry an IPv4 address in the low 32 bits, which is where the connection really goes.
  const high = address >> 32n;
  if (high === MAPPED >> 32n || high === NAT64 >> 32n) {
    const inner = classifyV4(Number(address & LOW_32));
    return inner.scope === 'public' ? inner : { ...inner, label: `${inner.label}, ${high === MAPPED >> 32n ? 'IPv4-mapped' : 'via NAT64'}` };
  }
  for (const rule of v6Rules) {
    const shift = 128n - rule.bits;
    if (address >> shift === rule.prefix >> shift) return { scope: rule.scope, label: rule.label };
  }
  return { scope: 'reserved', label: 'not global unicast' };
}

/** What an IP address is; null when the text is not an IP address. */
export function classifyAddress(address: string): AddressClass | null {
  const v4 = parseIPv4(address);
  if (v4 !== null) return classifyV4(v4);
  const v6 = parseIPv6(address);
  return v6 === null ? null : classifyV6(v6);
}

/** Why a connection to this address is refused, in words for an admin; null when it is allowed. */
export function addressRefusal(address: string, allowPrivate: boolean): string | null {
  const found = classifyAddress(address);
  if (!found) return `${address} is not an IP address`;
  if (found.scope === 'public' || (found.scope === 'private' && allowPrivate)) return null;
  if (found.scope === 'private') {
    return `${address} is a private address (${found.label}); set recordings.allow_private_hosts to fetch from the local network`;
  }
  return `${address} is a reserved address (${found.label}) and is never fetched from`;
}

/** Thrown where a connection is made (the Node dispatcher) when the address it would reach is refused. */
export class AddressRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AddressRefusedError';
  }
}
