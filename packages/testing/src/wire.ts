/**
 * Just enough of each datastore's wire protocol to count a client's requests (see proxy.ts): one
 * parser per protocol, fed the bytes the client sends, calling count(kind) once per request.
 */
export type Protocol = 'postgres' | 'mysql' | 'mongo' | 'redis' | 'nats';

export type Count = (kind: string) => void;
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

export const parsers: Record<Protocol, (count: Count) => Parser> = {
  postgres: postgresParser,
  mysql: mysqlParser,
  mongo: mongoParser,
  redis: redisParser,
  nats: natsParser,
};

/** Kinds that are not a client's request of its own (monitoring, consumer plumbing). */
export const IGNORED: Record<Protocol, (kind: string) => boolean> = {
  postgres: () => false,
  mysql: (k) => k === 'close_stmt' || k === 'quit' || k === 'send_long_data',
  mongo: (k) =>
    ['hello', 'ismaster', 'ping', 'buildinfo', 'endsessions', 'saslstart', 'saslcontinue'].includes(
      k.toLowerCase(),
    ) || k.startsWith('op_'),
  redis: (k) => k.startsWith('#') || REDIS_BACKGROUND.has(k),
  nats: (k) => k.startsWith('#'),
};
