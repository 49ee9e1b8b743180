/**
 * Read-only views of one cluster run's datastores, for the audits after a fault run: the orders
 * (MySQL), the payments (Redis), the reservations (Mongo), and a text dump of everything each
 * store and log holds, for the secrets scan.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { Redis } from 'ioredis';
import { connectNats, jetstreamManager } from '@shop/messaging';
import { dumpRedis, endpoints } from '@shop/testing';
import type { Cluster } from './cluster';

export interface StoredOrder {
  id: string;
  number: string;
  userId: string;
  status: 'PENDING_PAYMENT' | 'PAID' | 'CANCELLED';
  total: number;
  idempotencyKey: string;
  items: { productId: string; quantity: number }[];
}

/** Every order of the run with its items, straight from the orders database. */
export async function storedOrders(cluster: Cluster): Promise<StoredOrder[]> {
  const conn = await mysql.createConnection(cluster.stores.mysqlUrl);
  try {
    const [orders] = (await conn.query(
      'SELECT id, seq, user_id, status, total_amount, idempotency_key FROM orders ORDER BY seq',
    )) as unknown as [
      {
        id: string;
        seq: number;
        user_id: string;
        status: StoredOrder['status'];
        total_amount: number;
        idempotency_key: string;
      }[],
    ];
    const [items] = (await conn.query(
      'SELECT order_id, product_id, quantity FROM order_items',
    )) as unknown as [{ order_id: string; product_id: string; quantity: number }[]];
    return orders.map((o) => ({
      id: o.id,
      number: `SO-${String(o.seq).padStart(6, '0')}`,
      userId: o.user_id,
      status: o.status,
      total: Number(o.total_amount),
      idempotencyKey: o.idempotency_key,
      items: items
        .filter((i) => i.order_id === o.id)
        .map((i) => ({ productId: i.product_id, quantity: i.quantity })),
    }));
  } finally {
    await conn.end();
  }
}

/** Rows of the orders outbox not yet published. */
export async function unsentOrderEvents(cluster: Cluster): Promise<number> {
  const conn = await mysql.createConnection(cluster.stores.mysqlUrl);
  try {
    const [rows] = (await conn.query(
      'SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL',
    )) as unknown as [{ n: number }[]];
    return Number(rows[0]?.n ?? 0);
  } finally {
    await conn.end();
  }
}

export interface StoredPayment {
  id: string;
  orderId: string;
  status: string;
  amount: number;
}

/** Every payment per order id, from the payments Redis keys, plus the outbox length. */
export async function storedPayments(cluster: Cluster, orderIds: string[]) {
  const redis = new Redis(endpoints.redis);
  const prefix = cluster.stores.redisPrefix;
  try {
    const byOrder = new Map<string, StoredPayment[]>();
    for (const orderId of orderIds) {
      const ids = await redis.zrange(`${prefix}order:${orderId}:payments`, 0, -1);
      const payments: StoredPayment[] = [];
      for (const id of ids) {
        const hash = await redis.hgetall(`${prefix}payment:${id}`);
        payments.push({
          id,
          orderId: hash.orderId ?? '',
          status: hash.status ?? '',
          amount: Number(hash.amount),
        });
      }
      byOrder.set(orderId, payments);
    }
    const outbox = await redis.xlen(`${prefix}outbox`);
    return { byOrder, outbox };
  } finally {
    redis.disconnect();
  }
}

/** products' reservation records, by order id. */
export async function storedReservations(cluster: Cluster) {
  const { default: mongoose } = await import('mongoose');
  const conn = await mongoose.createConnection(cluster.stores.mongoUrl).asPromise();
  try {
    const docs = await conn.collection('reservations').find({}).toArray();
    return new Map(
      docs.map((d) => [
        String(d.orderId),
        {
          status: String(d.status),
          lines: ((d.lines ?? []) as { productId: string; quantity: number }[]).map((l) => ({
            productId: String(l.productId),
            quantity: Number(l.quantity),
          })),
        },
      ]),
    );
  } finally {
    await conn.close();
  }
}

/** A named text blob: one log file, table, collection, key or stream message. */
export interface Blob {
  source: string;
  text: string;
}

/** Everything the run left behind, as text: log files, pg, mysql, mongo, redis keys, NATS streams and KV. */
export async function dumpEverything(cluster: Cluster): Promise<Blob[]> {
  const blobs: Blob[] = [];

  for (const file of readdirSync(cluster.logDir)) {
    blobs.push({ source: `log:${file}`, text: readFileSync(join(cluster.logDir, file), 'utf8') });
  }

  // The PSP stores nothing but tokens in memory: its ledger is what it holds of the run.
  const ledger = await fetch(new URL('/v1/ledger', cluster.pspUrl), {
    headers: { authorization: `Bearer ${cluster.pspSecretKey}` },
  });
  blobs.push({ source: `psp:ledger (HTTP ${ledger.status})`, text: await ledger.text() });

  const pgClient = new pg.Client({ connectionString: cluster.stores.postgresUrl });
  await pgClient.connect();
  try {
    const tables = await pgClient.query<{ tablename: string }>(
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
    );
    for (const { tablename } of tables.rows) {
      const rows = await pgClient.query(`SELECT * FROM "${tablename}"`);
      blobs.push({ source: `postgres:${tablename}`, text: JSON.stringify(rows.rows) });
    }
  } finally {
    await pgClient.end();
  }

  const my = await mysql.createConnection(cluster.stores.mysqlUrl);
  try {
    const [tables] = (await my.query('SHOW TABLES')) as unknown as [Record<string, string>[]];
    for (const row of tables) {
      const table = Object.values(row)[0]!;
      const [rows] = await my.query(`SELECT * FROM \`${table}\``);
      blobs.push({ source: `mysql:${table}`, text: JSON.stringify(rows) });
    }
  } finally {
    await my.end();
  }

  const { default: mongoose } = await import('mongoose');
  const mongo = await mongoose.createConnection(cluster.stores.mongoUrl).asPromise();
  try {
    for (const { name } of await mongo.db!.listCollections().toArray()) {
      const docs = await mongo.collection(name).find({}).toArray();
      blobs.push({ source: `mongo:${name}`, text: JSON.stringify(docs) });
    }
  } finally {
    await mongo.close();
  }

  for (const line of await dumpRedis(cluster.stores.redisPrefix)) {
    // a line is `<key> <JSON value>`
    blobs.push({ source: `redis:${line.slice(0, line.indexOf(' '))}`, text: line });
  }

  const nc = await connectNats(endpoints.nats, 'e2e-faults-dump');
  try {
    const jsm = await jetstreamManager(nc);
    const names = cluster.names;
    const streams = [...Object.values(names.streams), ...Object.values(names.buckets).map((b) => `KV_${b}`)];
    for (const stream of streams) {
      const info = await jsm.streams.info(stream).catch(() => null);
      if (!info) continue;
      const { first_seq: first, last_seq: last } = info.state;
      for (let seq = first; seq <= last && seq > 0; seq++) {
        const msg = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
        if (!msg) continue; // deleted (KV history) or purged
        blobs.push({ source: `nats:${stream}#${seq}`, text: `${msg.subject} ${msg.string()}` });
      }
    }
  } finally {
    await nc.close();
  }
  return blobs;
}

/** The (source, secret label) pairs where a secret shows up. */
export function findSecrets(blobs: Blob[], needles: { label: string; pattern: RegExp | string }[]) {
  const found: { source: string; label: string }[] = [];
  for (const blob of blobs) {
    for (const needle of needles) {
      const hit =
        typeof needle.pattern === 'string'
          ? blob.text.includes(needle.pattern)
          : needle.pattern.test(blob.text);
      if (hit) found.push({ source: blob.source, label: needle.label });
    }
  }
  return found;
}
