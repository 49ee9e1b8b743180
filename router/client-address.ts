import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/**
 * An address as the subgraphs get it in x-client-address (CLIENT_ADDRESS_HEADER of @shop/auth), or
 * undefined when it is not an IP address: an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, what a
 * dual-stack socket reports) as IPv4, IPv6 in lower case, and an `X-Forwarded-For` entry's port or
 * brackets (`1.2.3.4:5678`, `[::1]:80`, as some proxies write them) dropped.
 */
export function normaliseAddress(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let address = raw.trim();
  if (isIP(address) === 0) {
    const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(address);
    const withPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(address);
    address = bracketed?.[1] ?? withPort?.[1] ?? address;
  }
  if (isIP(address) === 0) return undefined;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped ? mapped[1] : address.toLowerCase();
}

/**
 * The client's address as the router saw it. With `trustProxyHops` 0 (TRUST_PROXY_HOPS's default)
 * it is the socket's remote address and `X-Forwarded-For` is ignored: anyone can write that header.
 * With n trusted proxies in front of the router, the peer is the nearest proxy and each proxy
 * appended the address it saw, so the client is the n-th entry from the right (the last one with
 * n = 1); entries further left were written by the client and are never used. A request that passed
 * fewer proxies gets the farthest entry there is; an entry that is not an IP address stops the walk
 * at the hop that wrote it. Undefined only when the socket has no address (it is already closed).
 */
export function clientAddressOf(req: IncomingMessage, trustProxyHops: number): string | undefined {
  let address = normaliseAddress(req.socket.remoteAddress);
  if (address === undefined || trustProxyHops <= 0) return address;
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (let hop = 1; hop <= trustProxyHops && hop <= forwarded.length; hop++) {
    const next = normaliseAddress(forwarded[forwarded.length - hop]);
    if (next === undefined) break;
    address = next;
  }
  return address;
}
