import type { IncomingMessage } from 'node:http';
import { clientAddressOf, normaliseAddress } from '../client-address';

const request = (remoteAddress: string | undefined, forwardedFor?: string | string[]) =>
  ({
    socket: { remoteAddress },
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  }) as unknown as IncomingMessage;

describe('clientAddressOf', () => {
  it('is the socket address with TRUST_PROXY_HOPS=0, whatever X-Forwarded-For says', () => {
    expect(clientAddressOf(request('203.0.113.7'), 0)).toBe('203.0.113.7');
    expect(clientAddressOf(request('203.0.113.7', '6.6.6.6'), 0)).toBe('203.0.113.7');
    expect(clientAddressOf(request('203.0.113.7', '6.6.6.6, 7.7.7.7'), 0)).toBe('203.0.113.7');
  });

  it("takes X-Forwarded-For's last hop with one trusted proxy, never the ones the client wrote", () => {
    expect(clientAddressOf(request('10.0.0.1', '198.51.100.2'), 1)).toBe('198.51.100.2');
    // the client wrote 6.6.6.6 itself; the proxy appended the address it saw
    expect(clientAddressOf(request('10.0.0.1', '6.6.6.6, 198.51.100.2'), 1)).toBe('198.51.100.2');
    // several X-Forwarded-For headers count as one list
    expect(clientAddressOf(request('10.0.0.1', ['6.6.6.6', '198.51.100.2']), 1)).toBe('198.51.100.2');
  });

  it('walks as many hops as are trusted, and no further than the list goes', () => {
    expect(clientAddressOf(request('10.0.0.1', '6.6.6.6, 198.51.100.2, 10.0.0.2'), 2)).toBe('198.51.100.2');
    expect(clientAddressOf(request('10.0.0.1', '198.51.100.2'), 3)).toBe('198.51.100.2');
    expect(clientAddressOf(request('10.0.0.1'), 1)).toBe('10.0.0.1');
    expect(clientAddressOf(request('10.0.0.1', ' , '), 1)).toBe('10.0.0.1');
  });

  it('stops at an entry that is not an address (it is never sent on)', () => {
    expect(clientAddressOf(request('10.0.0.1', 'evil\r\nx-router-secret: s'), 1)).toBe('10.0.0.1');
    expect(clientAddressOf(request('10.0.0.1', 'unknown'), 1)).toBe('10.0.0.1');
    expect(clientAddressOf(request('10.0.0.1', '198.51.100.2, garbage, 10.0.0.2'), 3)).toBe('10.0.0.2');
  });

  it('normalises what proxies and dual-stack sockets write', () => {
    expect(clientAddressOf(request('::ffff:127.0.0.1'), 0)).toBe('127.0.0.1');
    expect(clientAddressOf(request('10.0.0.1', '198.51.100.2:51234'), 1)).toBe('198.51.100.2');
    expect(clientAddressOf(request('10.0.0.1', '[2001:DB8::1]:443'), 1)).toBe('2001:db8::1');
    expect(clientAddressOf(request(undefined), 1)).toBeUndefined();
    expect(normaliseAddress('2001:DB8::1')).toBe('2001:db8::1');
    expect(normaliseAddress('1.2.3')).toBeUndefined();
  });
});
