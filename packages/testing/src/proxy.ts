/**
 * Counting TCP proxies for the N+1 check. The datastores are shared with other runs on this machine
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

export type Protocol = 'postgres' | 'mysql' | 'mongo' | 'redis' | 'nats';

type Count = (kind: string) => void;
type Parser = (chunk: Buffer) => void;

const EMPTY: Buffer = Buffer.alloc(0);
const join = (a: Buffer, b: Buffer): Buffer => (a.length ? Buffer.concat([a, b]) : b);

function postgresParser(count: Count): Parser {
  let buf: Buffer = EMPTY;
  let startup = true;
  return (chunk) => {
    buf = join(buf, chunk);
    for (;;) {
      if (startup) {
        if (buf.length < 8) return;
        const length = buf.readInt32BE(0);
        if (buf.length < length) return;
        const code = buf.readInt32BE(4);
        buf = buf.subarray(length);
        // SSLRequest / GSSENCRequest are followed by the real startup message.
        if (code !== 80877103 && code !== 80877104) startup = false;
        continue;
      }
      if (buf.length < 5) return;
      const type = String.fromCharCode(buf[0]!);
      const length = buf.readInt32BE(1);
      if (buf.length < 1 + length) return;
      buf = buf.subarray(1 + length);
      if (type === 'Q') count('query');
      else if (type === 'S') count('sync');
    }
  };
}

const MYSQL_COMMANDS: Record<number, string> = {
  0x01: 'quit',
  0x03: 'query',
  0x0e: 'ping',
  0x16: 'prepare',
  0x17: 'execute',
  0x18: 'send_long_data',
  0x19: 'close_stmt',
  0x1a: 'reset_stmt',
  0x1f: 'reset_connection',
};

function mysqlParser(count: Count): Parser {
  let buf: Buffer = EMPTY;
  return (chunk) => {
    buf = join(buf, chunk);
    while (buf.length >= 4) {
      const length = buf.readUIntLE(0, 3);
      if (buf.length < 4 + length) return;
      const sequence = buf[3];
      if (sequence === 0 && length > 0) count(MYSQL_COMMANDS[buf[4]!] ?? `cmd_${buf[4]}`);
      buf = buf.subarray(4 + length);
    }
  };
}

function mongoParser(count: Count): Parser {
  let buf: Buffer = EMPTY;
  return (chunk) => {
    buf = join(buf, chunk);
    while (buf.length >= 16) {
      const length = buf.readInt32LE(0);
      if (buf.length < length) return;
      const opCode = buf.readInt32LE(12);
      if (opCode === 2013 && length > 26 && buf[20] === 0) {
        // OP_MSG, body section: BSON document (int32 size, then the first element: type, cstring name)
        const end = buf.indexOf(0, 26);
        count(buf.toString('latin1', 26, end > 0 && end < length ? end : 26));
      } else count(`op_${opCode}`);
      buf = buf.subarray(length);
    }
  };
}

/** RESP: `*<n>\r\n` then n × `$<len>\r\n<bytes>\r\n`; returns [command name, next offset] or null. */
function respCommand(buf: Buffer, at: number): [string, number] | null {
  const lineEnd = (from: number) => {
    const i = buf.indexOf('\r\n', from);
    return i < 0 ? null : i;
  };
  if (buf[at] !== 0x2a /* * */) {
    const end = lineEnd(at);
    if (end === null) return null;
    return [buf.toString('latin1', at, end).split(' ')[0]!.toUpperCase(), end + 2];
  }
  let end = lineEnd(at);
  if (end === null) return null;
  const n = Number(buf.toString('latin1', at + 1, end));
  let pos = end + 2;
  let name = '';
  for (let i = 0; i < n; i += 1) {
    end = lineEnd(pos);
    if (end === null) return null;
    const size = Number(buf.toString('latin1', pos + 1, end));
    const data = end + 2;
    if (buf.length < data + size + 2) return null;
    if (i === 0) name = buf.toString('latin1', data, data + size).toUpperCase();
    pos = data + size + 2;
  }
  return [name, pos];
}

/** The payments outbox relay's own loop (every 500 ms, whatever the queries do). */
const REDIS_BACKGROUND = new Set(['XAUTOCLAIM', 'XREADGROUP', 'XACK']);

function redisParser(count: Count): Parser {
  let buf: Buffer = EMPTY;
  return (chunk) => {
    buf = join(buf, chunk);
    let commands = 0;
    for (;;) {
      const parsed = buf.length ? respCommand(buf, 0) : null;
      if (!parsed) break;
      count(parsed[0]);
      if (!REDIS_BACKGROUND.has(parsed[0])) commands += 1;
      buf = buf.subarray(parsed[1]);
    }
    if (commands) count('#writes');
  };
}

function natsKind(subject: string): string {
  if (subject.startsWith('$JS.API.CONSUMER.MSG.NEXT.')) return '#pull';
  if (subject.startsWith('$JS.ACK.')) return '#ack';
  if (subject.startsWith('$JS.FC.')) return '#flow';
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
  if (subject.startsWith('_INBOX.')) return '#reply';
  return 'request';
}

function natsParser(count: Count): Parser {
  let buf: Buffer = EMPTY;
  return (chunk) => {
    buf = join(buf, chunk);
    for (;;) {
      const end = buf.indexOf('\r\n');
      if (end < 0) return;
      const parts = buf.toString('latin1', 0, end).split(' ');
      const op = parts[0]!.toUpperCase();
      let next = end + 2;
      if (op === 'PUB' || op === 'HPUB') {
        const size = Number(parts[parts.length - 1]);
        if (buf.length < next + size + 2) return;
        next += size + 2;
        count(natsKind(parts[1] ?? ''));
      }
      buf = buf.subarray(next);
    }
  };
}

const parsers: Record<Protocol, (count: Count) => Parser> = {
  postgres: postgresParser,
  mysql: mysqlParser,
  mongo: mongoParser,
  redis: redisParser,
  nats: natsParser,
};

/** Kinds that are not a client's request of its own (monitoring, consumer plumbing). */
const IGNORED: Record<Protocol, (kind: string) => boolean> = {
  postgres: () => false,
  mysql: (k) => k === 'close_stmt' || k === 'quit' || k === 'send_long_data',
  mongo: (k) =>
    ['hello', 'ismaster', 'ping', 'buildinfo', 'endsessions', 'saslstart', 'saslcontinue'].includes(
      k.toLowerCase(),
    ) || k.startsWith('op_'),
  redis: (k) => k.startsWith('#') || REDIS_BACKGROUND.has(k),
  nats: (k) => k.startsWith('#'),
};

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
