import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/**
 * A TCP proxy in front of NATS that counts the client's requests to JetStream and the KV bucket
 * (every PUB/HPUB it sends, by subject), the same way the benchmark's N+1 check does. The consumer
 * plumbing is not a request of its own: pull requests, acks, flow-control replies.
 */
export interface NatsCountingProxy {
  /** nats://127.0.0.1:<port> of the proxy. */
  url: string;
  /** Requests so far by kind: kv.get, kv.put, consumer.create, consumer.delete, js.api, request. */
  counts(): Record<string, number>;
  close(): Promise<void>;
}

function kindOf(subject: string): string | null {
  if (
    subject.startsWith('$JS.API.CONSUMER.MSG.NEXT.') ||
    subject.startsWith('$JS.ACK.') ||
    subject.startsWith('$JS.FC.') ||
    subject.startsWith('_INBOX.')
  )
    return null;
  if (subject.startsWith('$JS.API.DIRECT.GET.') || subject.startsWith('$JS.API.STREAM.MSG.GET.'))
    return 'kv.get';
  if (subject.startsWith('$KV.')) return 'kv.put';
  if (
    subject.startsWith('$JS.API.CONSUMER.CREATE.') ||
    subject.startsWith('$JS.API.CONSUMER.DURABLE.CREATE.')
  )
    return 'consumer.create';
  if (subject.startsWith('$JS.API.CONSUMER.DELETE.')) return 'consumer.delete';
  if (subject.startsWith('$JS.API.')) return 'js.api';
  return 'request';
}

/** Total round trips in a difference of two `counts()` snapshots. */
export const roundTrips = (after: Record<string, number>, before: Record<string, number>) =>
  Object.entries(after).reduce((sum, [kind, n]) => sum + n - (before[kind] ?? 0), 0);

export async function natsCountingProxy(target: string): Promise<NatsCountingProxy> {
  const { hostname, port } = new URL(target);
  const counts: Record<string, number> = {};
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(port) || 4222, hostname);
    sockets.add(client).add(upstream);
    let buffer = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const end = buffer.indexOf('\r\n');
        if (end < 0) break;
        const parts = buffer.toString('latin1', 0, end).split(' ');
        const op = parts[0]!.toUpperCase();
        let next = end + 2;
        if (op === 'PUB' || op === 'HPUB') {
          const size = Number(parts[parts.length - 1]);
          if (buffer.length < next + size + 2) break;
          next += size + 2;
          const kind = kindOf(parts[1] ?? '');
          if (kind) counts[kind] = (counts[kind] ?? 0) + 1;
        }
        buffer = buffer.subarray(next);
      }
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `nats://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts: () => ({ ...counts }),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
