/**
 * The address a login throttle counts against. One host usually holds a whole IPv6 /64, so an IPv6
 * client is counted by its /64 (otherwise every guess could come from a fresh address); an IPv4 client
 * seen through an IPv4-mapped IPv6 socket is counted by its IPv4 address.
 */
import { isIPv4, isIPv6 } from 'node:net';

export function throttleAddress(remote: string | undefined): string {
  if (!remote) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remote);
  if (mapped) return mapped[1] as string;
  if (isIPv4(remote) || !isIPv6(remote)) return remote;
  return `${expandIPv6(remote).slice(0, 4).join(':')}::/64`;
}

/** Eight hextets without "::" shortening; a zone index (%eth0) is dropped. */
function expandIPv6(addr: string): string[] {
  const [head = '', tail] = (addr.split('%')[0] as string).split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((h) => (parseInt(h, 16) || 0).toString(16));
}
