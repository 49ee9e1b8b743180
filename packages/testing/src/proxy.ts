/**
 * Counting TCP proxies for N+1 checks (the benchmark's, and tests counting round trips). The datastores are shared with other runs on this machine
 * (and MariaDB, Redis and NATS have only server-wide counters), so each subgraph is pointed at its own
 * proxy in front of its store, and the proxy counts the requests that subgraph's client sends by
 * decoding just enough of the wire protocol: one counted request = one round trip to the store.
 *
 *   postgres  simple Query ('Q') and Sync ('S', the end of an extended-protocol query)
 *   mysql     commands (sequence id 0): COM_QUERY, COM_STMT_PREPARE/EXECUTE, ...; not COM_STMT_CLOSE
 *             (it has no reply)
 *   mongo     OP_MSG commands by name; not the driver's monitoring (hello, ping, ...)
 *   redis     RESP commands, and the client's writes carrying them (a pipeline or MULTI is one write)
 *   nats      requests to JetStream / KV: direct gets, puts, consumer creates/deletes, info, other
 *             requests; not the durable consumer's pull requests, acks, flow control or PINGs
 */
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { IGNORED, parsers, type Count, type Protocol } from './wire';

export type { Protocol } from './wire';

export interface CountingProxy {
  protocol: Protocol;
  /** The store URL with its host and port replaced by the proxy's. */
  url: string;
  /** Counts per request kind so far. */
  snapshot(): Record<string, number>;
  close(): Promise<void>;
}

/** Round trips in a delta of two snapshots (redis: client writes, as pipelines are one trip). */
export function roundTrips(protocol: Protocol, delta: Record<string, number>): number {
  if (protocol === 'redis') return delta['#writes'] ?? 0;
  return Object.entries(delta)
    .filter(([kind]) => !IGNORED[protocol](kind))
    .reduce((sum, [, n]) => sum + n, 0);
}

/** Requests only (redis: commands), same filter. */
export function requests(protocol: Protocol, delta: Record<string, number>): number {
  return Object.entries(delta)
    .filter(([kind]) => !IGNORED[protocol](kind))
    .reduce((sum, [, n]) => sum + n, 0);
}

export function diff(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [kind, n] of Object.entries(after))
    if (n - (before[kind] ?? 0) > 0) out[kind] = n - (before[kind] ?? 0);
  return out;
}

export async function countingProxy(protocol: Protocol, storeUrl: string): Promise<CountingProxy> {
  const target = new URL(storeUrl);
  const targetPort =
    Number(target.port) || { postgres: 5432, mysql: 3306, mongo: 27017, redis: 6379, nats: 4222 }[protocol];
  const counts: Record<string, number> = {};
  const count: Count = (kind) => {
    counts[kind] = (counts[kind] ?? 0) + 1;
  };
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(targetPort, target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.setNoDelay(true);
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    const parse = parsers[protocol](count);
    client.on('data', (chunk: Buffer) => {
      try {
        parse(chunk);
      } catch {
        count('#parse_error');
      }
    });
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const url = new URL(storeUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    protocol,
    url: url.toString(),
    snapshot: () => ({ ...counts }),
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
