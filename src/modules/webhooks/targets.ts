import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Where webhooks may go. A hospital names the URL, the service makes the request: without a guard, an
 * endpoint could make the exchange reach its own network (loopback, the private ranges, the cloud's
 * metadata address). A URL must be https and its host must resolve only to public addresses; the
 * address is checked again at every delivery (DNS can change), and the request connects to exactly
 * the address that was checked, so a name that re-binds to a private address in between gains nothing.
 */
export interface TargetPolicy {
  /** Development only: plain http and loopback or private addresses (a receiver on the same machine). */
  allowPrivate: boolean;
  /** Every address of a host name (node:dns lookup by default; tests inject one). */
  resolve?: Resolver;
}

export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export const maxUrlLength = 2_048;

/** Not publicly routable, or not meant to be reached by a webhook. IPv4-mapped IPv6 addresses are checked against the IPv4 ranges. */
const nonPublic = new BlockList();
for (const [prefix, bits] of [
  ['0.0.0.0', 8], // "this" network
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relays
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and the broadcast address
] as const) {
  nonPublic.addSubnet(prefix, bits, 'ipv4');
}
for (const [prefix, bits] of [
  ['::', 96], // unspecified, loopback, IPv4-compatible
  ['64:ff9b::', 96], // NAT64
  ['64:ff9b:1::', 48],
  ['100::', 64], // discard
  ['2001::', 23], // IETF protocol assignments (Teredo among them)
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local
  ['ff00::', 8], // multicast
] as const) {
  nonPublic.addSubnet(prefix, bits, 'ipv6');
}

export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return !nonPublic.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** Why a URL may not be an endpoint, from its text alone; null when it may. */
export function urlProblem(raw: string, policy: TargetPolicy): string | null {
  if (raw.length > maxUrlLength) return `must be at most ${maxUrlLength} characters`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'https:' && !(policy.allowPrivate && url.protocol === 'http:')) return 'must be an https URL';
  if (url.username !== '' || url.password !== '') return 'must not contain credentials';
  if (url.hostname === '') return 'must name a host';
  return null;
}

export type TargetCheck = { ok: true; address: ResolvedAddress } | { ok: false; problem: string };

/**
 * The address a request to `url` connects to: the host's first address when every address it
 * resolves to may be reached. An address literal is not resolved.
 */
export async function checkTarget(url: URL, policy: TargetPolicy): Promise<TargetCheck> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const literal = isIP(host);
  let addresses: ResolvedAddress[];
  if (literal !== 0) addresses = [{ address: host, family: literal as 4 | 6 }];
  else {
    try {
      addresses = await (policy.resolve ?? resolveAll)(host);
    } catch {
      return { ok: false, problem: `host ${host} does not resolve` };
    }
  }
  if (addresses.length === 0) return { ok: false, problem: `host ${host} does not resolve` };
  if (!policy.allowPrivate) {
    const refused = addresses.find((a) => !isPublicAddress(a.address));
    if (refused) return { ok: false, problem: `host ${host} resolves to ${refused.address}, which is not a public address` };
  }
  return { ok: true, address: addresses[0] };
}

async function resolveAll(hostname: string): Promise<ResolvedAddress[]> {
  const found = await lookup(hostname, { all: true, verbatim: true });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
}

/** The one switch on NODE_ENV: in development a receiver may run on the same machine or network. */
export function targetPolicy(config: { nodeEnv: string }): TargetPolicy {
  return { allowPrivate: config.nodeEnv === 'development' };
}
