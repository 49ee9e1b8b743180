/**
 * The checks of `npm run services` (scripts/services.ts): a TCP connect first (fails fast when
 * nothing listens), then a real protocol round trip per endpoint; and the databases the subgraphs
 * need, created when missing.
 */
import net from 'node:net';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect as natsConnect } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import mongoose from 'mongoose';
import mysql from 'mysql2/promise';
import pg from 'pg';

const CHECK_TIMEOUT_MS = 3_000;

/** The databases the subgraphs expect to exist. */
export const requiredDatabases = { postgres: 'shop_users', mysql: 'shop_orders' } as const;

const loopback = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** True when the URL points at this machine (and, if given, at the expected port). */
export function isLocal(url: string, expectedPort?: number): boolean {
  const parsed = new URL(url);
  if (!loopback.has(parsed.hostname)) return false;
  return expectedPort === undefined || defaultPort(parsed) === expectedPort;
}

function defaultPort(url: URL): number {
  const ports: Record<string, number> = {
    'postgres:': 5432,
    'postgresql:': 5432,
    'mysql:': 3306,
    'mariadb:': 3306,
    'mongodb:': 27017,
    'redis:': 6379,
    'rediss:': 6379,
    'nats:': 4222,
    'tls:': 4222,
    'smtp:': 25,
    'smtps:': 465,
    'http:': 80,
    'https:': 443,
  };
  return url.port ? Number(url.port) : (ports[url.protocol] ?? 0);
}

/** The URL as shown in the table: the password replaced by ***. */
export function redact(url: string): string {
  const parsed = new URL(url);
  if (!parsed.password) return url;
  parsed.password = '***';
  return parsed.toString();
}

function tcpConnect(url: string): Promise<void> {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port: defaultPort(parsed), timeout: CHECK_TIMEOUT_MS });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error(`TCP connect to ${host}:${defaultPort(parsed)} timed out`));
    });
    socket.once('error', reject);
  });
}

export async function checkPostgres(url: string): Promise<void> {
  await tcpConnect(url);
  await withPostgres(url, async (client) => {
    await client.query('SELECT 1');
  });
}

export async function checkMysql(url: string): Promise<void> {
  await tcpConnect(url);
  await withMysql(url, async (connection) => {
    await connection.query('SELECT 1');
  });
}

export async function checkRedis(url: string): Promise<void> {
  await tcpConnect(url);
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: CHECK_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => {}); // reported through the rejected command instead
  try {
    await redis.connect();
    const pong = await redis.ping();
    if (pong !== 'PONG') throw new Error(`PING answered ${pong}`);
  } finally {
    redis.disconnect();
  }
}

export async function checkNats(url: string): Promise<void> {
  await tcpConnect(url);
  const nc = await natsConnect({ servers: url, timeout: CHECK_TIMEOUT_MS, reconnect: false });
  try {
    const jsm = await jetstreamManager(nc, { timeout: CHECK_TIMEOUT_MS });
    await jsm.getAccountInfo(); // fails unless JetStream is enabled
  } finally {
    await nc.close();
  }
}

export async function checkMongo(url: string): Promise<void> {
  await tcpConnect(url);
  const client = new mongoose.mongo.MongoClient(url, {
    serverSelectionTimeoutMS: CHECK_TIMEOUT_MS,
    connectTimeoutMS: CHECK_TIMEOUT_MS,
  });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
  } finally {
    await client.close();
  }
}

/** An SMTP server greets with a 220 banner as soon as the connection opens. */
export function checkSmtp(url: string): Promise<void> {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port: defaultPort(parsed), timeout: CHECK_TIMEOUT_MS });
    socket.setEncoding('utf8');
    socket.once('data', (banner: string) => {
      socket.end('QUIT\r\n');
      if (banner.startsWith('220')) resolve();
      else reject(new Error(`unexpected SMTP banner: ${banner.trim()}`));
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error('no SMTP banner'));
    });
    socket.once('error', reject);
  });
}

export async function checkMailpitApi(url: string): Promise<void> {
  const response = await fetch(new URL('api/v1/info', withSlash(url)), {
    signal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`GET /api/v1/info answered HTTP ${response.status}`);
  const info = (await response.json()) as { Version?: unknown };
  if (typeof info.Version !== 'string') throw new Error('GET /api/v1/info did not look like Mailpit');
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

// ---------------------------------------------------------------------------------------------
// Databases the subgraphs need

async function withPostgres<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CHECK_TIMEOUT_MS });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

async function withMysql<T>(url: string, use: (connection: mysql.Connection) => Promise<T>): Promise<T> {
  const connection = await mysql.createConnection({ uri: url, connectTimeout: CHECK_TIMEOUT_MS });
  try {
    return await use(connection);
  } finally {
    await connection.end();
  }
}

export async function createPostgresDatabase(url: string): Promise<string | undefined> {
  const name = requiredDatabases.postgres;
  return withPostgres(url, async (client) => {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return undefined;
    try {
      await client.query(`CREATE DATABASE ${name}`);
    } catch (error) {
      if ((error as { code?: string }).code === '42P04') return undefined; // created concurrently
      throw error;
    }
    return `created database ${name}`;
  });
}

export async function createMysqlDatabase(url: string): Promise<string | undefined> {
  const name = requiredDatabases.mysql;
  return withMysql(url, async (connection) => {
    const [rows] = await connection.query<mysql.RowDataPacket[]>(
      'SELECT 1 FROM information_schema.schemata WHERE schema_name = ?',
      [name],
    );
    if (rows.length > 0) return undefined;
    await connection.query(`CREATE DATABASE IF NOT EXISTS ${name}`);
    return `created database ${name}`;
  });
}
