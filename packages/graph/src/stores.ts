/**
 * createRunStores(label): the datastores of one run of the graph (a test suite, a benchmark), so it
 * never touches a developer's data or a parallel run: a PostgreSQL and a MySQL database, a Mongo
 * database, a Redis prefix and a NATS prefix, with the variables each process needs, all removed
 * again by drop().
 */
import { PSP, ROUTER, SUBGRAPHS, type ProcessName } from '@shop/config';
import { connectNats, natsNames, type NatsNames } from '@shop/messaging';
import {
  createMysqlDatabase,
  createPgDatabase,
  deleteStreams,
  dropMongo,
  endpoints,
  mongoDatabase,
  natsPrefix,
  redisPrefix,
  runId,
} from '@shop/testing';

/** Every store variable the service table names (POSTGRES_URL, REDIS_PREFIX, ...). */
export type StoreVariable = (typeof SUBGRAPHS)[number]['stores'][number] | (typeof ROUTER)['stores'][number];

export interface RunStores {
  /** A name unique to this run (label + random), for its log folder, emails, ... */
  label: string;
  postgresUrl: string;
  mysqlUrl: string;
  mongoUrl: string;
  mongoDb: string;
  redisUrl: string;
  /** Every payments and rate-limit key of the run starts with it. */
  redisPrefix: string;
  natsUrl: string;
  /** NATS_PREFIX of every process: `names` are the streams, buckets and subjects it gives. */
  natsPrefix: string;
  names: NatsNames;
  /** The value of every store variable of the table, for this run. */
  env: Record<StoreVariable, string>;
  /** NATS_URL, NATS_PREFIX and the process's own store variables (from the table; none for the PSP). */
  envFor(name: ProcessName): Record<string, string>;
  /** Drops the databases, the Redis keys, the NATS streams and KV buckets; throws if any failed. */
  drop(): Promise<void>;
}

const storesOf = (name: ProcessName): readonly StoreVariable[] =>
  name === ROUTER.name
    ? ROUTER.stores
    : name === PSP.name
      ? PSP.stores
      : SUBGRAPHS.find((s) => s.name === name)!.stores;

export async function createRunStores(label: string): Promise<RunStores> {
  const pg = await createPgDatabase(label);
  const my = await createMysqlDatabase(label).catch(async (error: unknown) => {
    await pg.drop();
    throw error;
  });
  const mongo = mongoDatabase(label);
  const redis = redisPrefix(label);
  const prefix = natsPrefix(label);
  const names = natsNames(prefix);
  const env: Record<StoreVariable, string> = {
    POSTGRES_URL: pg.url,
    MYSQL_URL: my.url,
    MONGO_URL: mongo.url,
    REDIS_URL: endpoints.redis,
    REDIS_PREFIX: redis.prefix,
    PARTNER_RATE_LIMIT_PREFIX: `${redis.prefix}ratelimit:`,
    SMTP_URL: endpoints.smtp,
  };

  const dropNats = async () => {
    const nc = await connectNats(endpoints.nats, `drop-${prefix}`);
    try {
      await deleteStreams(nc, names);
    } finally {
      await nc.close();
    }
  };

  return {
    label: runId(label),
    postgresUrl: pg.url,
    mysqlUrl: my.url,
    mongoUrl: mongo.url,
    mongoDb: mongo.name,
    redisUrl: endpoints.redis,
    redisPrefix: redis.prefix,
    natsUrl: endpoints.nats,
    natsPrefix: prefix,
    names,
    env,
    envFor: (name) => ({
      NATS_URL: endpoints.nats,
      NATS_PREFIX: prefix,
      ...Object.fromEntries(storesOf(name).map((variable) => [variable, env[variable]])),
    }),
    async drop() {
      const results = await Promise.allSettled([
        pg.drop(),
        my.drop(),
        redis.cleanup(),
        dropMongo(mongo.url),
        dropNats(),
      ]);
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed.length)
        throw new Error(`dropping the stores failed: ${failed.map((f) => String(f.reason)).join('; ')}`);
    },
  };
}
