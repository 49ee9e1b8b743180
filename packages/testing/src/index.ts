import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { Redis } from 'ioredis';
import { endpointDefaults } from '@shop/config';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { createTokenSigner, generateSigningKey, type Viewer } from '@shop/auth';
import type { NatsNames } from '@shop/messaging';

/**
 * Helpers for tests that talk to the real datastores. Every test run gets its own names, so it
 * never touches a developer's data or a parallel run.
 */

export const endpoints = {
  postgres: process.env.POSTGRES_URL ?? endpointDefaults.POSTGRES_URL,
  mysql: process.env.MYSQL_URL ?? endpointDefaults.MYSQL_URL,
  mongo: process.env.MONGO_URL ?? endpointDefaults.MONGO_URL,
  redis: process.env.REDIS_URL ?? endpointDefaults.REDIS_URL,
  nats: process.env.NATS_URL ?? endpointDefaults.NATS_URL,
  smtp: process.env.SMTP_URL ?? endpointDefaults.SMTP_URL,
  mailpit: process.env.MAILPIT_API_URL ?? endpointDefaults.MAILPIT_API_URL,
};

/** A short id unique to this test run (lowercase letters and digits, starts with a letter). */
export function runId(label = 't'): string {
  return `${label}${randomBytes(5).toString('hex')}`;
}

/** Replaces the database path of a URL. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Creates a throwaway PostgreSQL database; returns its URL and a drop function. */
export async function createPgDatabase(label: string) {
  const name = `test_${runId(label)}`;
  const admin = new pg.Client({ connectionString: endpoints.postgres });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  return {
    name,
    url: withDatabase(endpoints.postgres, name),
    drop: async () => {
      const c = new pg.Client({ connectionString: endpoints.postgres });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Creates a throwaway MySQL/MariaDB database; returns its URL and a drop function. */
export async function createMysqlDatabase(label: string) {
  const name = `test_${runId(label)}`;
  const admin = await mysql.createConnection(endpoints.mysql);
  await admin.query(`CREATE DATABASE \`${name}\``);
  await admin.end();
  return {
    name,
    url: withDatabase(endpoints.mysql, name),
    drop: async () => {
      const c = await mysql.createConnection(endpoints.mysql);
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}

/** A MongoDB database name for this run, and its URL (the caller drops it with dropMongo()). */
export function mongoDatabase(label: string) {
  const name = `test_${runId(label)}`;
  return { name, url: withDatabase(endpoints.mongo, name) };
}

/** A Redis key prefix for this run, and a function deleting every key under it. */
export function redisPrefix(label: string) {
  const prefix = `test:${runId(label)}:`;
  return {
    prefix,
    cleanup: async () => {
      const redis = new Redis(endpoints.redis, { lazyConnect: true });
      await redis.connect();
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
      await redis.quit();
    },
  };
}

/** A NATS prefix for this run's subjects, streams and buckets (see natsNames in @shop/messaging). */
export const natsPrefix = (label: string) => runId(label);

/** An in-process token issuer: tests sign tokens and subgraphs verify them against its JWKS. */
export async function createTestIssuer(ttlSeconds = 900) {
  const signer = await createTokenSigner([await generateSigningKey(runId('kid'))], ttlSeconds);
  return {
    jwks: signer.jwks(),
    token: async (viewer: Viewer) => (await signer.sign(viewer)).token,
    /** An Authorization header value. */
    bearer: async (viewer: Viewer) => `Bearer ${(await signer.sign(viewer)).token}`,
  };
}
export type TestIssuer = Awaited<ReturnType<typeof createTestIssuer>>;

/** A pino destination that keeps log lines in memory, for asserting what was (not) logged. */
export function memoryLog() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, callback) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  return { stream, lines };
}

export interface GraphQLResponse<TData = Record<string, unknown>> {
  status: number;
  data?: TData | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
  headers: Headers;
}

/** POSTs one GraphQL operation. */
export async function gql<TData = Record<string, unknown>>(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<TData>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  let json: { data?: TData | null; errors?: GraphQLResponse['errors'] } = {};
  try {
    json = JSON.parse(text);
  } catch {
    json = { errors: [{ message: text }] };
  }
  return { status: res.status, headers: res.headers, ...json };
}

/** Polls until fn returns a truthy value or the timeout passes. */
export async function waitFor<T>(
  fn: () => Promise<T> | T,
  { timeoutMs = 10_000, intervalMs = 100 } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`waitFor timed out after ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    }
    await sleep(intervalMs);
  }
}

/** Mailpit's HTTP API: the messages sent to one address. */
export const mailpit = {
  async messagesTo(address: string) {
    const res = await fetch(
      `${endpoints.mailpit}/api/v1/search?query=${encodeURIComponent(`to:"${address}"`)}`,
    );
    if (!res.ok) throw new Error(`mailpit search failed: ${res.status}`);
    const body = (await res.json()) as { messages: { ID: string; Subject: string }[] };
    return body.messages;
  },
  async message(id: string) {
    const res = await fetch(`${endpoints.mailpit}/api/v1/message/${id}`);
    if (!res.ok) throw new Error(`mailpit message failed: ${res.status}`);
    return (await res.json()) as {
      Subject: string;
      Text: string;
      HTML: string;
      From: { Address: string };
      To: { Address: string }[];
    };
  },
};

/** Deletes every stream and KV bucket of a run's NATS prefix (never the unprefixed ones). */
export async function deleteStreams(nc: NatsConnection, names: NatsNames): Promise<void> {
  if (!names.prefix) throw new Error('refusing to delete the unprefixed streams');
  const jsm = await jetstreamManager(nc);
  for (const name of [
    ...Object.values(names.streams),
    ...Object.values(names.buckets).map((b) => `KV_${b}`),
  ]) {
    await jsm.streams.delete(name).catch(() => false);
  }
}

/** Drops a MongoDB (FerretDB) database by its URL, e.g. one from mongoDatabase(). */
export async function dropMongo(url: string): Promise<void> {
  const { default: mongoose } = await import('mongoose');
  const conn = await mongoose.createConnection(url).asPromise();
  try {
    await conn.dropDatabase();
  } finally {
    await conn.close();
  }
}

/** Every Redis key under a prefix with its whole value, one `<key> <JSON value>` line each (secret scans). */
export async function dumpRedis(prefix: string, url = endpoints.redis): Promise<string[]> {
  const redis = new Redis(url);
  const out: string[] = [];
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      for (const key of keys) {
        const type = await redis.type(key);
        let value: unknown;
        if (type === 'string') value = await redis.get(key);
        else if (type === 'hash') value = await redis.hgetall(key);
        else if (type === 'zset') value = await redis.zrange(key, 0, -1, 'WITHSCORES');
        else if (type === 'set') value = await redis.smembers(key);
        else if (type === 'list') value = await redis.lrange(key, 0, -1);
        else if (type === 'stream') value = await redis.xrange(key, '-', '+');
        out.push(`${key} ${JSON.stringify(value)}`);
      }
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
  return out;
}

export { countingProxy, diff, requests, roundTrips, type CountingProxy, type Protocol } from './proxy';
