/**
 * Helpers of the security suite: raw HTTP requests (any method, content type or body), a snapshot
 * of everything the environment has stored (rows, documents, keys, stream messages), and the check
 * that an error response leaks nothing an attacker could use.
 */
import pg from 'pg';
import mysql from 'mysql2/promise';
import mongoose from 'mongoose';
import { Redis } from 'ioredis';
import { connectNats, jetstreamManager, natsNames } from '@shop/messaging';
import type { TestEnvironment } from '../environment';

export interface RawResponse {
  status: number;
  text: string;
  /** The parsed body, or undefined when it is not JSON. */
  json?: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
  };
}

export interface RawRequest {
  method?: 'GET' | 'POST';
  /** Appended to the URL, e.g. `?query=...`. */
  search?: string;
  headers?: Record<string, string>;
  /** Sent as it is; objects and arrays are JSON-encoded. */
  body?: string | object;
}

export const JSON_HEADERS = { 'content-type': 'application/json' };

/** Sends one request exactly as described, with a time limit, and reads the whole answer. */
export async function send(url: string, request: RawRequest, timeoutMs = 10_000): Promise<RawResponse> {
  const body =
    request.body === undefined || typeof request.body === 'string'
      ? request.body
      : JSON.stringify(request.body);
  const res = await fetch(url + (request.search ?? ''), {
    method: request.method ?? 'POST',
    headers: request.headers ?? JSON_HEADERS,
    ...(body === undefined ? {} : { body }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let json: RawResponse['json'];
  try {
    json = JSON.parse(text) as RawResponse['json'];
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

/** What an error must never show: schema suggestions, internal addresses, stack traces, SQL. */
export function leaksIn(text: string, env: TestEnvironment): string[] {
  const found: string[] = [];
  if (/did you mean/i.test(text)) found.push('schema suggestion ("Did you mean")');
  if (/127\.0\.0\.1|localhost|\[::1\]/i.test(text)) found.push('internal address');
  for (const url of Object.values(env.subgraphs)) {
    if (text.includes(`:${new URL(url).port}/`)) found.push(`subgraph port ${new URL(url).port}`);
  }
  if (/"stacktrace"|\bat [\w.<>]+ \(|\.ts:\d+:\d+|node_modules/.test(text)) found.push('stack trace');
  if (
    /\b(select|insert|update|delete)\b[^"]{0,80}\b(from|into|set|where)\b|sqlstate|syntax error at or near|you have an error in your sql/i.test(
      text,
    ) ||
    /\bER_[A-Z_]+\b/.test(text)
  ) {
    found.push('SQL');
  }
  if (/BSONError|MongoServerError|ECONNREFUSED|TypeError|RangeError/.test(text))
    found.push('internal error name');
  return found;
}

export interface StoreCounts {
  users: number;
  orders: number;
  orderItems: number;
  /** Carts, their lines and discount-code uses (orders), address books (users). */
  carts: number;
  cartLines: number;
  redemptions: number;
  addresses: number;
  products: number;
  /** Redis keys under the environment's prefix, except the router's partner rate-limit windows. */
  redisKeys: number;
  /** Messages in every JetStream stream of the environment's prefix (events and dead letters). */
  streamMessages: number;
  /** Entries (with history) in the notifications KV bucket. */
  kvMessages: number;
}

/** Opens one connection per store of the environment; count() reads everything at once. */
export async function openStores(env: TestEnvironment) {
  const { stores } = env;
  const pgClient = new pg.Client({ connectionString: stores.postgresUrl });
  await pgClient.connect();
  const my = await mysql.createConnection(stores.mysqlUrl);
  const mongo = await mongoose.createConnection(stores.mongoUrl).asPromise();
  const redis = new Redis(stores.redisUrl, { lazyConnect: true });
  await redis.connect();
  const nc = await connectNats(stores.natsUrl, 'e2e-security');
  const jsm = await jetstreamManager(nc);
  const names = natsNames(stores.natsPrefix);
  const rateLimitPrefix = `${stores.redisPrefix}ratelimit:`;

  const streamMessages = async (name: string) => {
    try {
      return (await jsm.streams.info(name)).state.messages;
    } catch {
      return 0; // not created (yet): nothing in it
    }
  };

  const mysqlCount = async (table: string) => {
    const [rows] = await my.query(`SELECT COUNT(*) AS n FROM ${table}`);
    return Number((rows as { n: number }[])[0]!.n);
  };

  return {
    /** Reads a single user's login failures (counted by the users subgraph, at every address). */
    async loginFailures(email: string): Promise<number> {
      const { rows } = await pgClient.query<{ n: number }>(
        'SELECT coalesce(sum(failures), 0)::int AS n FROM login_throttle WHERE email = $1',
        [email],
      );
      return rows[0]!.n;
    },
    async count(): Promise<StoreCounts> {
      let redisKeys = 0;
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${stores.redisPrefix}*`, 'COUNT', 500);
        cursor = next;
        redisKeys += keys.filter((key) => !key.startsWith(rateLimitPrefix)).length;
      } while (cursor !== '0');
      const streams = await Promise.all(Object.values(names.streams).map(streamMessages));
      const { rows } = await pgClient.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
      const addresses = await pgClient.query<{ n: number }>('SELECT count(*)::int AS n FROM addresses');
      return {
        users: rows[0]!.n,
        orders: await mysqlCount('orders'),
        orderItems: await mysqlCount('order_items'),
        carts: await mysqlCount('carts'),
        cartLines: await mysqlCount('cart_lines'),
        redemptions: await mysqlCount('discount_redemptions'),
        addresses: addresses.rows[0]!.n,
        products: await mongo.db!.collection('products').countDocuments(),
        redisKeys,
        streamMessages: streams.reduce((a, b) => a + b, 0),
        kvMessages: await streamMessages(`KV_${names.buckets.notifications}`),
      };
    },
    async close() {
      await pgClient.end();
      await my.end();
      await mongo.close();
      await redis.quit();
      await nc.close();
    },
  };
}
export type Stores = Awaited<ReturnType<typeof openStores>>;

/** GET /healthz of the router and of every subgraph: the status of each. */
export async function healthOfAll(env: TestEnvironment): Promise<Record<string, number>> {
  const targets = { router: env.url, ...env.subgraphs };
  const entries = await Promise.all(
    Object.entries(targets).map(async ([name, url]) => {
      try {
        const res = await fetch(new URL('/healthz', url), { signal: AbortSignal.timeout(3_000) });
        await res.arrayBuffer();
        return [name, res.status] as const;
      } catch {
        return [name, 0] as const;
      }
    }),
  );
  return Object.fromEntries(entries);
}
