import { isIPv4, isIPv6 } from 'node:net';

/**
 * The throttle key of a client address: IPv4 as is (also when IPv4-mapped in IPv6), IPv6 by
 * its /64 — one subscriber usually holds a whole /64, so single addresses would cost an
 * attacker nothing. Anything else (no address) shares one key.
 */
export function clientAddressKey(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1];
  if (isIPv4(ip)) return ip;
  if (!isIPv6(ip)) return 'unknown';
  return `${expandIPv6(ip.split('%')[0]).slice(0, 4).join(':')}::/64`;
}

/** The eight hextets of an IPv6 address, without zero compression. */
function expandIPv6(ip: string): string[] {
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  // An embedded IPv4 tail (::1.2.3.4) holds two hextets; only the first four matter here.
  const missing = 8 - left.length - right.length;
  const all = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, missing)).fill('0'), ...right];
  return all.map((h) => (h.includes('.') ? h : (parseInt(h, 16) || 0).toString(16)));
}
