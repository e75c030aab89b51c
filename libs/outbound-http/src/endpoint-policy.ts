import { lookup as dnsLookup, LookupAddress, LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/** An endpoint (push service, webhook URL) this server will not call, with the reason (a 400 when it is handed in). */
export class EndpointRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EndpointRefused';
  }
}

/** Longest endpoint accepted (push services' URLs are a few hundred characters; webhook URLs as well). */
export const MAX_ENDPOINT_LENGTH = 2048;

/**
 * Addresses that are not the public internet: this host, private networks, link-local
 * (cloud metadata at 169.254.169.254), carrier NAT, documentation and benchmark ranges,
 * multicast and reserved space — and NAT64, which embeds IPv4. (BlockList itself matches an
 * IPv4-mapped IPv6 address, ::ffff:127.0.0.1, against the IPv4 rules.)
 */
const NOT_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16],
  ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NOT_PUBLIC.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64],
  ['2001:db8::', 32], ['2002::', 16], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) NOT_PUBLIC.addSubnet(net, prefix, 'ipv6');

export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return !NOT_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * Which endpoints (push subscriptions, webhooks) may be called. Endpoints are URLs users hand
 * us, so without rules each one is a request forgery: "push" or a "webhook" to the metadata
 * service or an internal admin port. By default only `https` URLs whose host resolves to
 * public addresses only are accepted — checked when the URL is handed in, and again when
 * sending, where `lookup` vets the address actually connected to (a name that resolved to a
 * public address then may point inside later). `allowPrivate` lifts both rules (tests,
 * self-hosted push servers or webhook receivers on a private network).
 */
export class EndpointPolicy {
  constructor(
    private readonly allowPrivate: boolean,
    private readonly resolve: (host: string) => Promise<string[]> = resolveAll,
  ) {}

  /** The endpoint's URL when its form is acceptable and, for an IP literal, its address is. */
  parse(endpoint: string): URL {
    if (endpoint.length > MAX_ENDPOINT_LENGTH) throw new EndpointRefused(`endpoint is longer than ${MAX_ENDPOINT_LENGTH} characters`);
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new EndpointRefused('endpoint is not a URL');
    }
    const schemes = this.allowPrivate ? ['https:', 'http:'] : ['https:'];
    if (!schemes.includes(url.protocol)) throw new EndpointRefused(`endpoint must be an ${schemes.join(' or ')} URL`);
    if (url.username || url.password) throw new EndpointRefused('endpoint must not carry credentials');
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(literal)) this.vet(literal, literal);
    return url;
  }

  /** `parse`, then the host's addresses: every one must be public (unless allowed). */
  async check(endpoint: string): Promise<URL> {
    const url = this.parse(endpoint);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) || this.allowPrivate) return url;
    let addresses: string[];
    try {
      addresses = await this.resolve(host);
    } catch {
      throw new EndpointRefused(`endpoint host ${host} does not resolve`);
    }
    for (const address of addresses) this.vet(host, address);
    return url;
  }

  /** A `lookup` for http(s).request that refuses non-public addresses when it connects. */
  readonly lookup = (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      try {
        for (const { address } of addresses) this.vet(hostname, address);
      } catch (refused) {
        return callback(refused as NodeJS.ErrnoException, []);
      }
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0].address, addresses[0].family);
    });
  };

  private vet(host: string, address: string): void {
    if (!this.allowPrivate && !isPublicAddress(address)) {
      throw new EndpointRefused(`endpoint host ${host} is ${address}, not a public address`);
    }
  }
}

async function resolveAll(host: string): Promise<string[]> {
  const { lookup } = await import('node:dns/promises');
  return (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
}
