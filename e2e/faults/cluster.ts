/**
 * createCluster(): the whole supergraph as real processes — each subgraph and the router is a child
 * `node --import tsx <entry>`, configured only through its environment (the same way `npm start`
 * runs it), with this run's own databases, Mongo database, Redis prefix and NATS prefix, on fixed
 * free ports picked up front (so a restarted process comes back on the same address).
 *
 * Faults are real: kill() is SIGKILL (no shutdown hooks run), freeze() is SIGSTOP (the process
 * holds its sockets but answers nothing), thaw() is SIGCONT. stdout/stderr of every process go to
 * .run/test-logs/<run>/<name>.log (appended across restarts), which the secrets check scans.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSigningKey } from '@shop/auth';
import { connectNats, natsNames } from '@shop/messaging';
import {
  createMysqlDatabase,
  createPgDatabase,
  endpoints,
  mongoDatabase,
  natsPrefix,
  redisPrefix,
  runId,
  deleteStreams,
} from '@shop/testing';

export const SUBGRAPHS = ['users', 'products', 'orders', 'payments', 'notifications'] as const;
export type SubgraphName = (typeof SUBGRAPHS)[number];
export type ProcessName = SubgraphName | 'router';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface ClusterOptions {
  /** Seconds before an unpaid order expires (orders' ORDER_TTL_SECONDS). */
  orderTtlSeconds?: number;
  /** Extra variables per process, e.g. { orders: { RESERVE_TIMEOUT_MS: '10000' } }. */
  env?: Partial<Record<ProcessName, Record<string, string>>>;
}

/** A free loopback port: listen on 0, read the port, close. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function createCluster(options: ClusterOptions = {}) {
  const label = runId('flt');
  const logDir = join(ROOT, '.run', 'test-logs', label);
  mkdirSync(logDir, { recursive: true });

  const pg = await createPgDatabase('flt');
  const my = await createMysqlDatabase('flt');
  const mongo = mongoDatabase('flt');
  const redis = redisPrefix('flt');
  const nats = natsPrefix('flt');
  const names = natsNames(nats);
  const routerSecret = `secret-${label}-0123456789`;
  const partnerKey = `partner-${label}`;
  const admin = { email: `admin-${label}@example.com`, password: `admin-${runId('pw')}-secret` };
  // A fixed signing key, so tokens issued before users is killed still verify after its restart.
  const signingKey = await generateSigningKey(runId('kid'));

  const ports = {} as Record<ProcessName, number>;
  for (const name of [...SUBGRAPHS, 'router'] as const) ports[name] = await freePort();
  const base = (name: ProcessName) => `http://127.0.0.1:${ports[name]}`;
  const graphqlUrl = (name: ProcessName) => `${base(name)}/graphql`;

  const common = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    ROUTER_SECRET: routerSecret,
    NATS_URL: endpoints.nats,
    NATS_PREFIX: nats,
    JWKS_URL: `${base('users')}/.well-known/jwks.json`,
  };
  const envOf: Record<ProcessName, Record<string, string>> = {
    users: {
      POSTGRES_URL: pg.url,
      ADMIN_EMAIL: admin.email,
      ADMIN_PASSWORD: admin.password,
      JWT_PRIVATE_KEYS: JSON.stringify([signingKey.privateJwk]),
      // Enough failed logins for a load with retries; the limit itself is tested in users.
      LOGIN_MAX_FAILURES: '1000',
    },
    products: { MONGO_URL: mongo.url, SEED_IF_EMPTY: 'false' },
    orders: {
      MYSQL_URL: my.url,
      ORDER_TTL_SECONDS: String(options.orderTtlSeconds ?? 900),
      EXPIRY_INTERVAL_MS: '250',
      OUTBOX_POLL_MS: '50',
    },
    payments: { REDIS_URL: endpoints.redis, REDIS_PREFIX: redis.prefix },
    notifications: { SMTP_URL: endpoints.smtp, BACKOFF_MS: '200,500,1000', MAX_DELIVER: '60' },
    router: {
      USERS_URL: graphqlUrl('users'),
      PRODUCTS_URL: graphqlUrl('products'),
      ORDERS_URL: graphqlUrl('orders'),
      PAYMENTS_URL: graphqlUrl('payments'),
      NOTIFICATIONS_URL: graphqlUrl('notifications'),
      REDIS_URL: endpoints.redis,
      PARTNER_RATE_LIMIT_PREFIX: `${redis.prefix}ratelimit:`,
      PARTNER_API_KEYS: `e2e:${createHash('sha256').update(partnerKey).digest('hex')}`,
      SUPERGRAPH_WATCH: 'false',
      SUBGRAPH_TIMEOUT_MS: '4000',
      SUBGRAPH_CONNECT_TIMEOUT_MS: '1000',
    },
  };
  const entry: Record<ProcessName, string> = {
    users: 'subgraphs/users/src/main.ts',
    products: 'subgraphs/products/src/main.ts',
    orders: 'subgraphs/orders/src/main.ts',
    payments: 'subgraphs/payments/src/main.ts',
    notifications: 'subgraphs/notifications/src/main.ts',
    router: 'router/main.ts',
  };

  const children = new Map<ProcessName, ChildProcess>();
  const exited = new Map<ProcessName, Promise<void>>();
  /** Every fault injected, in order, for the report. */
  const faults: { name: ProcessName; kind: 'kill' | 'freeze'; at: number; ms: number }[] = [];

  const spawnProcess = (name: ProcessName) => {
    if (children.has(name)) throw new Error(`${name} is already running`);
    const log = openSync(join(logDir, `${name}.log`), 'a');
    const child = spawn(process.execPath, ['--import', 'tsx', entry[name]], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/tmp',
        ...common,
        PORT: String(ports[name]),
        ...envOf[name],
        ...options.env?.[name],
      },
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    children.set(name, child);
    exited.set(
      name,
      new Promise<void>((done) =>
        child.once('exit', () => {
          if (children.get(name) === child) children.delete(name);
          done();
        }),
      ),
    );
  };

  /** Polls /readyz until 200 (bounded). Throws with the process name when it never gets ready. */
  const waitReady = async (name: ProcessName, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!children.has(name)) throw new Error(`${name} exited; see ${join(logDir, `${name}.log`)}`);
      try {
        const res = await fetch(`${base(name)}/readyz`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error(`${name} not ready within ${timeoutMs} ms; see ${join(logDir, `${name}.log`)}`);
  };

  const start = async (name: ProcessName) => {
    spawnProcess(name);
    await waitReady(name);
  };

  const kill = async (name: ProcessName) => {
    const child = children.get(name);
    if (!child) return;
    child.kill('SIGCONT'); // a frozen process must run to die promptly
    child.kill('SIGKILL');
    await exited.get(name);
  };

  const freeze = (name: ProcessName) => {
    const child = children.get(name);
    if (!child) throw new Error(`${name} is not running`);
    child.kill('SIGSTOP');
  };
  const thaw = (name: ProcessName) => {
    children.get(name)?.kill('SIGCONT');
  };

  const restart = async (name: ProcessName) => {
    await kill(name);
    await start(name);
  };

  /** SIGKILL, stay down for `downMs`, start again and wait until ready. */
  const killFor = async (name: ProcessName, downMs: number) => {
    faults.push({ name, kind: 'kill', at: Date.now(), ms: downMs });
    await kill(name);
    await sleep(downMs);
    await start(name);
  };
  /** SIGSTOP for `ms`, then SIGCONT and wait until ready. */
  const freezeFor = async (name: ProcessName, ms: number) => {
    faults.push({ name, kind: 'freeze', at: Date.now(), ms });
    freeze(name);
    await sleep(ms);
    thaw(name);
    await waitReady(name);
  };

  const stopAll = async () => {
    await Promise.all([...children.keys()].map((name) => kill(name)));
  };

  try {
    // users first (the others fetch its JWKS), the router last (it composes against all five).
    await start('users');
    await Promise.all((['products', 'orders', 'payments', 'notifications'] as const).map((n) => start(n)));
    await start('router');
  } catch (error) {
    await stopAll();
    await cleanupStores();
    throw error;
  }

  async function cleanupStores() {
    await Promise.allSettled([pg.drop(), my.drop(), redis.cleanup(), dropMongo(mongo.url)]);
    const nc = await connectNats(endpoints.nats, 'e2e-faults-cleanup');
    try {
      await deleteStreams(nc, names);
    } finally {
      await nc.close();
    }
  }

  return {
    label,
    logDir,
    url: graphqlUrl('router'),
    partnerKey,
    admin,
    names,
    ports,
    faults,
    stores: {
      postgresUrl: pg.url,
      mysqlUrl: my.url,
      mongoUrl: mongo.url,
      redisPrefix: redis.prefix,
      natsPrefix: nats,
    },
    start,
    kill,
    freeze,
    thaw,
    restart,
    waitReady,
    killFor,
    freezeFor,
    isRunning: (name: ProcessName) => children.has(name),
    /** Kills every process, then drops the databases, Redis keys and NATS streams/buckets of the run. */
    async stop() {
      await stopAll();
      await cleanupStores();
    },
  };
}

async function dropMongo(url: string) {
  const { default: mongoose } = await import('mongoose');
  const conn = await mongoose.createConnection(url).asPromise();
  await conn.dropDatabase();
  await conn.close();
}

export type Cluster = Awaited<ReturnType<typeof createCluster>>;
