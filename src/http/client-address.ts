/**
 * A client's address: as the audit trail names it, and as the login throttle counts it. One host usually
 * holds a whole IPv6 /64, so the throttle counts an IPv6 client by its /64 (otherwise every guess could come
 * from a fresh address); an IPv4 client seen through an IPv4-mapped IPv6 socket is its IPv4 address.
 */
import { isIPv4, isIPv6 } from 'node:net';

/**
 * The client's address as the audit trail names it: the socket's peer, an IPv4 client seen through an
 * IPv4-mapped IPv6 socket by its IPv4 address. Behind a proxy this is the proxy (X-Forwarded-For is not
 * trusted: any client could write one).
 */
export function clientAddress(remote: string | undefined): string {
  if (!remote) return 'unknown';
  return unmapped(remote) ?? remote;
}

/** The address a login throttle counts against. */
export function throttleAddress(remote: string | undefined): string {
  if (!remote) return 'unknown';
  const v4 = unmapped(remote);
  if (v4) return v4;
  if (isIPv4(remote) || !isIPv6(remote)) return remote;
  return `${expandIPv6(remote).slice(0, 4).join(':')}::/64`;
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:192.0.2.1), else undefined. */
function unmapped(remote: string): string | undefined {
  return /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remote)?.[1];
}

/** Eight hextets without "::" shortening; a zone index (%eth0) is dropped. */
function expandIPv6(addr: string): string[] {
  const [head = '', tail] = (addr.split('%')[0] as string).split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((h) => (parseInt(h, 16) || 0).toString(16));
}
