import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { Redis } from 'ioredis';
import mongoose from 'mongoose';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { ROUTER } from '@shop/config';
import { connectNats, ensureStreams, type NatsConnection } from '@shop/messaging';
import { endpoints } from '@shop/testing';
import { createRunStores, type RunStores } from '../src/index';

/** createRunStores / drop(), checked in the stores themselves. */

const databaseOf = (url: string) => new URL(url).pathname.slice(1);

async function pgHas(name: string) {
  const client = new pg.Client({ connectionString: endpoints.postgres });
  await client.connect();
  try {
    return (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
  } finally {
    await client.end();
  }
}

async function mysqlHas(name: string) {
  const conn = await mysql.createConnection(endpoints.mysql);
  try {
    const [rows] = await conn.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = ?', [
      name,
    ]);
    return (rows as unknown[]).length === 1;
  } finally {
    await conn.end();
  }
}

async function mongoHas(name: string) {
  const conn = await mongoose.createConnection(endpoints.mongo).asPromise();
  try {
    const { databases } = await conn.db!.admin().listDatabases();
    return databases.some((d) => d.name === name);
  } finally {
    await conn.close();
  }
}

async function redisKeys(prefix: string) {
  const redis = new Redis(endpoints.redis);
  try {
    return await redis.keys(`${prefix}*`);
  } finally {
    await redis.quit();
  }
}

async function natsStreams(nc: NatsConnection, prefix: string) {
  const jsm = await jetstreamManager(nc);
  const names: string[] = [];
  for await (const name of jsm.streams.names()) if (name.includes(prefix)) names.push(name);
  return names.sort();
}

let stores: RunStores;
let nc: NatsConnection;

beforeAll(async () => {
  stores = await createRunStores('graph');
  nc = await connectNats(endpoints.nats, 'graph-stores-test');
});

afterAll(async () => {
  await nc?.close();
});

it('gives each process NATS and its own store variables from the table', () => {
  expect(stores.envFor('users')).toEqual({
    NATS_URL: endpoints.nats,
    NATS_PREFIX: stores.natsPrefix,
    POSTGRES_URL: stores.postgresUrl,
  });
  expect(stores.envFor('payments')).toMatchObject({
    REDIS_URL: endpoints.redis,
    REDIS_PREFIX: stores.redisPrefix,
  });
  expect(stores.envFor(ROUTER.name).PARTNER_RATE_LIMIT_PREFIX).toMatch(new RegExp(`^${stores.redisPrefix}`));
  expect(stores.envFor('orders').MYSQL_URL).toBe(stores.mysqlUrl);
  expect(stores.envFor('products').MONGO_URL).toBe(stores.mongoUrl);
  // the test PSP keeps nothing in a datastore: no store variable of its own
  expect(stores.envFor('psp')).toEqual({ NATS_URL: endpoints.nats, NATS_PREFIX: stores.natsPrefix });
});

it('creates every store, and drop() removes every one of them', async () => {
  // Something in each store, as a run of the graph leaves it.
  const mongo = await mongoose.createConnection(stores.mongoUrl).asPromise();
  await mongo.collection('things').insertOne({ made: 'by the test' });
  await mongo.close();
  const redis = new Redis(endpoints.redis);
  await redis.set(`${stores.redisPrefix}payment:1`, 'x');
  await redis.set(`${stores.env.PARTNER_RATE_LIMIT_PREFIX}partner`, '1');
  await redis.quit();
  await ensureStreams(nc, stores.names);
  const kv = await new Kvm(nc).create(stores.names.buckets.notifications);
  await kv.put('k', 'v');

  expect(await pgHas(databaseOf(stores.postgresUrl))).toBe(true);
  expect(await mysqlHas(databaseOf(stores.mysqlUrl))).toBe(true);
  expect(await mongoHas(stores.mongoDb)).toBe(true);
  expect(await redisKeys(stores.redisPrefix)).toHaveLength(2);
  expect(await natsStreams(nc, stores.natsPrefix)).toEqual(
    [...Object.values(stores.names.streams), `KV_${stores.names.buckets.notifications}`].sort(),
  );

  await stores.drop();

  expect(await pgHas(databaseOf(stores.postgresUrl))).toBe(false);
  expect(await mysqlHas(databaseOf(stores.mysqlUrl))).toBe(false);
  expect(await mongoHas(stores.mongoDb)).toBe(false);
  expect(await redisKeys(stores.redisPrefix)).toEqual([]);
  expect(await natsStreams(nc, stores.natsPrefix)).toEqual([]);
}, 60_000);
