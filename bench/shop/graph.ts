/**
 * The whole shop graph as processes, like `npm start` (scripts/start.ts), but on the benchmark's own
 * databases, Redis prefix and NATS prefix and on free ports, so a run never touches a developer's
 * data. Production settings (NODE_ENV=production: no Sandbox, no introspection, no supergraph
 * watching), LOG_LEVEL=warn. The router is pinned to its own core with `taskset`; the subgraphs share
 * the remaining cores with the datastores.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
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

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The benchmark's own datastore names: created once, used by every graph start, dropped at the end. */
export interface Stores {
  label: string;
  postgresUrl: string;
  mysqlUrl: string;
  mongoUrl: string;
  mongoDb: string;
  redisPrefix: string;
  natsPrefix: string;
  routerSecret: string;
  admin: { email: string; password: string };
  /** JWT_PRIVATE_KEYS for users (production requires explicit keys). */
  jwtKeys: string;
  partnerKeys: string;
  logDir: string;
  drop(): Promise<void>;
}

export async function createStores(): Promise<Stores> {
  const label = runId('bench');
  const pg = await createPgDatabase('bench');
  const my = await createMysqlDatabase('bench');
  const mongo = mongoDatabase('bench');
  const redis = redisPrefix('bench');
  const nats = natsPrefix('bench');
  const key = await generateSigningKey(`bench-${label}`);
  const partnerKey = randomBytes(16).toString('hex');
  const logDir = join(ROOT, '.run/bench', label);
  mkdirSync(logDir, { recursive: true });
  return {
    label,
    postgresUrl: pg.url,
    mysqlUrl: my.url,
    mongoUrl: mongo.url,
    mongoDb: mongo.name,
    redisPrefix: redis.prefix,
    natsPrefix: nats,
    routerSecret: `bench-${randomBytes(16).toString('hex')}`,
    admin: { email: `admin-${label}@bench.shop.local`, password: `pw-${randomBytes(8).toString('hex')}` },
    jwtKeys: JSON.stringify([key.privateJwk]),
    partnerKeys: `bench:${createHash('sha256').update(partnerKey).digest('hex')}`,
    logDir,
    async drop() {
      const results = await Promise.allSettled([
        pg.drop(),
        my.drop(),
        redis.cleanup(),
        dropMongo(mongo.url),
        dropNats(nats),
      ]);
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed.length) throw new Error(`cleanup failed: ${failed.map((f) => String(f.reason)).join('; ')}`);
    },
  };
}

async function dropMongo(url: string) {
  const { default: mongoose } = await import('mongoose');
  const conn = await mongoose.createConnection(url).asPromise();
  await conn.dropDatabase();
  await conn.close();
}

async function dropNats(prefix: string) {
  const nc = await connectNats(endpoints.nats, 'bench-cleanup');
  try {
    await deleteStreams(nc, natsNames(prefix));
  } finally {
    await nc.close();
  }
}

/** A free TCP port on the loopback interface (closed again; a small race we accept). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

export type SubgraphName = 'users' | 'products' | 'orders' | 'payments' | 'notifications';

interface Proc {
  name: SubgraphName | 'router';
  entry: string;
  port: number;
  cpus: string;
  env: Record<string, string>;
}

export interface GraphOptions {
  /** Datastore URLs per owner (the N+1 check points them at counting proxies). */
  storeUrls?: Partial<{ postgres: string; mysql: string; mongo: string; redis: string; nats: string }>;
  /** Extra environment per process. */
  env?: Partial<Record<SubgraphName | 'router', Record<string, string>>>;
  /** Core of the router (default "1"); the subgraphs get `subgraphCpus` (default "0,1"). */
  routerCpu?: string;
  subgraphCpus?: string;
}

export interface Graph {
  gatewayUrl: string;
  subgraphUrls: Record<SubgraphName, string>;
  routerSecret: string;
  pids: Record<SubgraphName | 'router', number>;
  stop(): Promise<void>;
}

async function waitReady(name: string, port: number, child: ChildProcess, log: string, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}):\n${tail(log)}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} was not ready within ${timeoutMs / 1000}s:\n${tail(log)}`);
}

const tail = (path: string) => {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '(no log)';
  }
};

/** Starts the five subgraphs (users first: the others fetch its JWKS) and the router. */
export async function startGraph(stores: Stores, options: GraphOptions = {}): Promise<Graph> {
  const urls = options.storeUrls ?? {};
  const ports = {
    router: await freePort(),
    users: await freePort(),
    products: await freePort(),
    orders: await freePort(),
    payments: await freePort(),
    notifications: await freePort(),
  };
  const subgraphUrl = (name: SubgraphName) => `http://127.0.0.1:${ports[name]}/graphql`;
  const natsUrl = (owner: boolean) => (owner && urls.nats) || endpoints.nats;
  const common = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    ROUTER_SECRET: stores.routerSecret,
    NATS_PREFIX: stores.natsPrefix,
    JWKS_URL: `http://127.0.0.1:${ports.users}/.well-known/jwks.json`,
  };
  const cpus = options.subgraphCpus ?? '0,1';
  const subgraphs: Proc[] = [
    {
      name: 'users',
      entry: 'subgraphs/users/src/main.ts',
      port: ports.users,
      cpus,
      env: {
        POSTGRES_URL: urls.postgres ?? stores.postgresUrl,
        NATS_URL: natsUrl(false),
        JWT_PRIVATE_KEYS: stores.jwtKeys,
        ADMIN_EMAIL: stores.admin.email,
        ADMIN_PASSWORD: stores.admin.password,
      },
    },
    {
      name: 'products',
      entry: 'subgraphs/products/src/main.ts',
      port: ports.products,
      cpus,
      env: { MONGO_URL: urls.mongo ?? stores.mongoUrl, SEED_IF_EMPTY: 'true', NATS_URL: natsUrl(false) },
    },
    {
      name: 'orders',
      entry: 'subgraphs/orders/src/main.ts',
      port: ports.orders,
      cpus,
      env: { MYSQL_URL: urls.mysql ?? stores.mysqlUrl, NATS_URL: natsUrl(false) },
    },
    {
      name: 'payments',
      entry: 'subgraphs/payments/src/main.ts',
      port: ports.payments,
      cpus,
      env: {
        REDIS_URL: urls.redis ?? endpoints.redis,
        REDIS_PREFIX: stores.redisPrefix,
        NATS_URL: natsUrl(false),
      },
    },
    {
      name: 'notifications',
      entry: 'subgraphs/notifications/src/main.ts',
      port: ports.notifications,
      cpus,
      env: { SMTP_URL: endpoints.smtp, NATS_URL: natsUrl(true) },
    },
  ];
  const router: Proc = {
    name: 'router',
    entry: 'router/main.ts',
    port: ports.router,
    cpus: options.routerCpu ?? '1',
    env: {
      USERS_URL: subgraphUrl('users'),
      PRODUCTS_URL: subgraphUrl('products'),
      ORDERS_URL: subgraphUrl('orders'),
      PAYMENTS_URL: subgraphUrl('payments'),
      NOTIFICATIONS_URL: subgraphUrl('notifications'),
      NATS_URL: endpoints.nats,
      REDIS_URL: endpoints.redis,
      PARTNER_API_KEYS: stores.partnerKeys,
      PARTNER_RATE_LIMIT_PREFIX: `${stores.redisPrefix}ratelimit:`,
    },
  };

  const children: { proc: Proc; child: ChildProcess }[] = [];
  const launch = (proc: Proc) => {
    const log = join(stores.logDir, `${proc.name}.log`);
    const fd = openSync(log, 'a');
    // taskset execs node, so the child's pid is node's.
    const child = spawn('taskset', ['-c', proc.cpus, process.execPath, '--import', 'tsx', proc.entry], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...common,
        ...proc.env,
        ...options.env?.[proc.name],
        PORT: String(proc.port),
      },
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    children.push({ proc, child });
    return { child, log };
  };

  const stop = async () => {
    await Promise.all(
      [...children].reverse().map(async ({ child }) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  };

  try {
    const users = launch(subgraphs[0]!);
    await waitReady('users', ports.users, users.child, users.log);
    await Promise.all(
      subgraphs.slice(1).map((proc) => {
        const { child, log } = launch(proc);
        return waitReady(proc.name, proc.port, child, log);
      }),
    );
    const r = launch(router);
    await waitReady('router', ports.router, r.child, r.log);
  } catch (error) {
    await stop();
    throw error;
  }
  const pids = Object.fromEntries(
    children.map(({ proc, child }) => [proc.name, child.pid ?? -1]),
  ) as Graph['pids'];
  return {
    gatewayUrl: `http://127.0.0.1:${ports.router}/graphql`,
    subgraphUrls: {
      users: subgraphUrl('users'),
      products: subgraphUrl('products'),
      orders: subgraphUrl('orders'),
      payments: subgraphUrl('payments'),
      notifications: subgraphUrl('notifications'),
    },
    routerSecret: stores.routerSecret,
    pids,
    stop,
  };
}
