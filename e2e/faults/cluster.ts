/**
 * createCluster(): the whole supergraph as real processes (the launcher of @shop/graph: each
 * subgraph and the router a child `node --import tsx <entry>`, configured only through its
 * environment, the same way `npm start` runs it), with this run's own stores and secrets, on fixed
 * free ports picked up front (so a restarted process comes back on the same address).
 *
 * Faults are real: kill() is SIGKILL (no shutdown hooks run), freeze() is SIGSTOP (the process
 * holds its sockets but answers nothing), thaw() is SIGCONT. stdout/stderr of every process go to
 * .run/test-logs/<run>/<name>.log (appended across restarts), which the secrets check scans.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProcessName } from '@shop/config';
import { createGraphLauncher, createRunSecrets, createRunStores, gatewayUrl, ROOT } from '@shop/graph';

export interface ClusterOptions {
  /** Seconds before an unpaid order expires (orders' ORDER_TTL_SECONDS). */
  orderTtlSeconds?: number;
  /** Extra variables per process, e.g. { orders: { RESERVE_TIMEOUT_MS: '10000' } }. */
  env?: Partial<Record<ProcessName, Record<string, string>>>;
}

export async function createCluster(options: ClusterOptions = {}) {
  const stores = await createRunStores('flt');
  const { label } = stores;
  const secrets = await createRunSecrets(label);
  const logDir = join(ROOT, '.run', 'test-logs', label);

  // The router, payments and the PSP log at info: the secrets scan reads what they log of requests.
  const own: Record<ProcessName, Record<string, string>> = {
    // Enough failed logins for a load with retries; the limit itself is tested in users.
    users: { LOGIN_MAX_FAILURES: '1000', LOGIN_ADDRESS_MAX_FAILURES: '100000' },
    products: { SEED_IF_EMPTY: 'false' },
    orders: {
      ORDER_TTL_SECONDS: String(options.orderTtlSeconds ?? 900),
      EXPIRY_INTERVAL_MS: '250',
      OUTBOX_POLL_MS: '50',
    },
    payments: { LOG_LEVEL: 'info' },
    notifications: { BACKOFF_MS: '200,500,1000', MAX_DELIVER: '60' },
    router: {
      LOG_LEVEL: 'info',
      SUPERGRAPH_WATCH: 'false',
      SUBGRAPH_TIMEOUT_MS: '4000',
      SUBGRAPH_CONNECT_TIMEOUT_MS: '1000',
    },
    psp: { LOG_LEVEL: 'info' },
  };
  const graph = await createGraphLauncher({
    logDir,
    // Not this process's environment: nothing of the test runner's leaks into the graph.
    baseEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' },
    env: { NODE_ENV: 'test', LOG_LEVEL: 'warn', HOST: '127.0.0.1' },
    envFor: (name) => ({
      ...stores.envFor(name),
      ...secrets.envFor(name),
      ...own[name],
      ...options.env?.[name],
    }),
    readyTimeoutMs: 60_000,
  });

  /** Every fault injected, in order, for the report. */
  const faults: { name: ProcessName; kind: 'kill' | 'freeze'; at: number; ms: number }[] = [];

  const restart = async (name: ProcessName) => {
    await graph.kill(name);
    await graph.start(name);
  };

  /** SIGKILL, stay down for `downMs`, start again and wait until ready. */
  const killFor = async (name: ProcessName, downMs: number) => {
    faults.push({ name, kind: 'kill', at: Date.now(), ms: downMs });
    await graph.kill(name);
    await sleep(downMs);
    await graph.start(name);
  };
  /** SIGSTOP for `ms`, then SIGCONT and wait until ready. */
  const freezeFor = async (name: ProcessName, ms: number) => {
    faults.push({ name, kind: 'freeze', at: Date.now(), ms });
    graph.freeze(name);
    await sleep(ms);
    graph.thaw(name);
    await graph.waitReady(name);
  };

  try {
    await graph.startAll(); // stops what it started when one does not come up
  } catch (error) {
    await stores.drop();
    throw error;
  }

  return {
    label,
    logDir,
    url: gatewayUrl(graph),
    /** The test PSP (the launcher wires payments' PSP_URL and its WEBHOOK_URL): browsers tokenise here. */
    pspUrl: graph.url('psp'),
    /** payments' key at the PSP, for its ledger. */
    pspSecretKey: secrets.envFor('psp').PSP_SECRET_KEY ?? '',
    partnerKey: secrets.partnerKey,
    admin: secrets.admin,
    names: stores.names,
    ports: graph.ports,
    faults,
    stores: {
      postgresUrl: stores.postgresUrl,
      mysqlUrl: stores.mysqlUrl,
      mongoUrl: stores.mongoUrl,
      redisPrefix: stores.redisPrefix,
      natsPrefix: stores.natsPrefix,
    },
    start: graph.start,
    kill: graph.kill,
    freeze: graph.freeze,
    thaw: graph.thaw,
    restart,
    waitReady: (name: ProcessName) => graph.waitReady(name),
    killFor,
    freezeFor,
    isRunning: graph.isRunning,
    /** Kills every process, then drops the databases, Redis keys and NATS streams/buckets of the run. */
    async stop() {
      await graph.stop({ graceMs: 0 });
      await stores.drop();
    },
  };
}

export type Cluster = Awaited<ReturnType<typeof createCluster>>;
