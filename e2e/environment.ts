/**
 * createTestEnvironment(): the whole supergraph in this process, on free ports, with its own
 * databases, Redis prefix and NATS prefix, so an end-to-end run never touches a developer's data.
 * Every subgraph is booted through its own createApp (the same code path as its main.ts), and the
 * router through createRouter with the committed supergraph, pointed at the subgraphs' ports.
 */
import { createHash } from 'node:crypto';
import { loadConfig } from '@shop/config';
import { createLogger } from '@shop/server';
import {
  createMysqlDatabase,
  createPgDatabase,
  endpoints,
  memoryLog,
  mongoDatabase,
  natsPrefix,
  redisPrefix,
  runId,
} from '@shop/testing';
import * as users from '@shop/users';
import * as products from '@shop/products';
import * as orders from '@shop/orders';
import * as payments from '@shop/payments';
import * as notifications from '@shop/notifications';
import * as router from '@shop/router';

export interface TestEnvironmentOptions {
  /** Seconds before an unpaid order expires. */
  orderTtlSeconds?: number;
  /** Partner requests per key and minute on /public/graphql (the router's default when omitted). */
  partnerRateLimit?: number;
}

export async function createTestEnvironment(options: TestEnvironmentOptions = {}) {
  const label = runId('e2e');
  const logs = memoryLog();
  const log = createLogger({ name: 'e2e', level: 'info' }, logs.stream);
  const pg = await createPgDatabase('e2e');
  const my = await createMysqlDatabase('e2e');
  const mongo = mongoDatabase('e2e');
  const redis = redisPrefix('e2e');
  const nats = natsPrefix('e2e');
  const routerSecret = `secret-${label}-0123456789`;
  const partnerKey = `partner-${label}`;
  const admin = { email: `admin-${label}@example.com`, password: 'admin-password-123' };

  const common = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    PORT: '0',
    ROUTER_SECRET: routerSecret,
    NATS_URL: endpoints.nats,
    NATS_PREFIX: nats,
  };
  const stops: (() => Promise<void>)[] = [];

  const usersApp = await users.createApp(
    loadConfig(users.configSchema, {
      ...common,
      POSTGRES_URL: pg.url,
      ADMIN_EMAIL: admin.email,
      ADMIN_PASSWORD: admin.password,
    }),
    { log: log.child({ service: 'users' }) },
  );
  const usersUrl = (await usersApp.start()).url;
  stops.push(() => usersApp.stop());
  const jwksUrl = new URL('/.well-known/jwks.json', usersUrl).toString();

  const start = async (
    name: string,
    mod: { createApp: typeof users.createApp; configSchema: typeof users.configSchema } | any, // eslint-disable-line @typescript-eslint/no-explicit-any
    env: Record<string, string>,
  ): Promise<string> => {
    const app = await mod.createApp(loadConfig(mod.configSchema, { ...common, JWKS_URL: jwksUrl, ...env }), {
      log: log.child({ service: name }),
    });
    const { url } = await app.start();
    stops.push(() => app.stop());
    return url;
  };

  const productsUrl = await start('products', products, { MONGO_URL: mongo.url, SEED_IF_EMPTY: 'true' });
  const ordersUrl = await start('orders', orders, {
    MYSQL_URL: my.url,
    ORDER_TTL_SECONDS: String(options.orderTtlSeconds ?? 900),
    EXPIRY_INTERVAL_MS: '250',
    OUTBOX_POLL_MS: '50',
  });
  const paymentsUrl = await start('payments', payments, {
    REDIS_URL: endpoints.redis,
    REDIS_PREFIX: redis.prefix,
  });
  const notificationsUrl = await start('notifications', notifications, {
    SMTP_URL: endpoints.smtp,
    BACKOFF_MS: '200,400',
  });

  const routerApp = await router.createRouter(
    loadConfig(router.configSchema, {
      ...common,
      USERS_URL: usersUrl,
      PRODUCTS_URL: productsUrl,
      ORDERS_URL: ordersUrl,
      PAYMENTS_URL: paymentsUrl,
      NOTIFICATIONS_URL: notificationsUrl,
      REDIS_URL: endpoints.redis,
      PARTNER_RATE_LIMIT_PREFIX: `${redis.prefix}ratelimit:`,
      PARTNER_API_KEYS: `e2e:${createHash('sha256').update(partnerKey).digest('hex')}`,
      ...(options.partnerRateLimit ? { PARTNER_RATE_LIMIT: String(options.partnerRateLimit) } : {}),
    }),
    { log: log.child({ service: 'router' }) },
  );
  const { url } = await routerApp.start();
  stops.push(() => routerApp.stop());

  return {
    url,
    publicUrl: new URL('/public/graphql', url).toString(),
    partnerKey,
    admin,
    logs: logs.lines,
    /** Where this environment's data lives, for tests that count or inspect what was stored. */
    stores: {
      /** PostgreSQL database of users. */
      postgresUrl: pg.url,
      /** MySQL/MariaDB database of orders. */
      mysqlUrl: my.url,
      /** MongoDB (FerretDB) database of products. */
      mongoUrl: mongo.url,
      redisUrl: endpoints.redis,
      /** Every payments and rate-limit key of this environment starts with it. */
      redisPrefix: redis.prefix,
      natsUrl: endpoints.nats,
      /** NATS_PREFIX of every service: natsNames(natsPrefix) gives the streams and the KV bucket. */
      natsPrefix: nats,
    },
    /** Shared secret the router sends to the subgraphs in x-router-secret. */
    routerSecret,
    subgraphs: {
      users: usersUrl,
      products: productsUrl,
      orders: ordersUrl,
      payments: paymentsUrl,
      notifications: notificationsUrl,
    },
    async stop() {
      for (const stop of stops.reverse()) await stop();
      await Promise.all([pg.drop(), my.drop(), redis.cleanup()]);
      await dropMongo(mongo.url);
    },
  };
}

async function dropMongo(url: string) {
  const { default: mongoose } = await import('mongoose');
  const conn = await mongoose.createConnection(url).asPromise();
  await conn.dropDatabase();
  await conn.close();
}

export type TestEnvironment = Awaited<ReturnType<typeof createTestEnvironment>>;
