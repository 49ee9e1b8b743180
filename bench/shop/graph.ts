/**
 * The whole shop graph as processes (the launcher of @shop/graph, as `npm start` uses it), but on
 * the benchmark's own stores and secrets and on free ports, so a run never touches a developer's
 * data. Production settings (NODE_ENV=production: no Sandbox, no introspection, no supergraph
 * watching), LOG_LEVEL=warn. The router is pinned to its own core with `taskset`; the subgraphs share
 * the remaining cores with the datastores.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROUTER, SUBGRAPH_NAMES, type ProcessName, type SubgraphName } from '@shop/config';
import {
  createGraphLauncher,
  createRunSecrets,
  createRunStores,
  gatewayUrl,
  PROCESSES,
  ROOT,
  type RunSecrets,
  type RunStores,
} from '@shop/graph';
import type { Protocol } from '@shop/testing';

export { ROOT };

/** The benchmark's own stores and secrets: created once, used by every graph start, dropped at the end. */
export interface Stores extends RunStores {
  secrets: RunSecrets;
  admin: RunSecrets['admin'];
  /** The processes' logs (kept only when the run failed). */
  logDir: string;
}

export async function createStores(): Promise<Stores> {
  const stores = await createRunStores('bench');
  const secrets = await createRunSecrets(stores.label);
  const logDir = join(ROOT, '.run/bench', stores.label);
  mkdirSync(logDir, { recursive: true });
  return { ...stores, secrets, admin: secrets.admin, logDir };
}

/** Which subgraph's own store each counting proxy of the N+1 check stands in front of. */
const PROXIED: Record<Protocol, { owner: SubgraphName; variable: string }> = {
  postgres: { owner: 'users', variable: 'POSTGRES_URL' },
  mongo: { owner: 'products', variable: 'MONGO_URL' },
  mysql: { owner: 'orders', variable: 'MYSQL_URL' },
  redis: { owner: 'payments', variable: 'REDIS_URL' },
  nats: { owner: 'notifications', variable: 'NATS_URL' },
};

export interface GraphOptions {
  /** Store URLs of their owners (the N+1 check points them at counting proxies); the others connect directly. */
  storeUrls?: Partial<Record<Protocol, string>>;
  /** Extra environment per process. */
  env?: Partial<Record<ProcessName, Record<string, string>>>;
  /** Core of the router (default "1"); the subgraphs get `subgraphCpus` (default "0,1"). */
  routerCpu?: string;
  subgraphCpus?: string;
}

export interface Graph {
  gatewayUrl: string;
  /** The test PSP (the launcher wires payments to it): shoppers tokenise their card here. */
  pspUrl: string;
  subgraphUrls: Record<SubgraphName, string>;
  routerSecret: string;
  pids: Record<ProcessName, number>;
  stop(): Promise<void>;
}

/** Starts the five subgraphs (users first: the others fetch its JWKS) and the router. */
export async function startGraph(stores: Stores, options: GraphOptions = {}): Promise<Graph> {
  const proxied: Partial<Record<ProcessName, Record<string, string>>> = {};
  for (const [protocol, url] of Object.entries(options.storeUrls ?? {}) as [Protocol, string][]) {
    const { owner, variable } = PROXIED[protocol];
    proxied[owner] = { ...proxied[owner], [variable]: url };
  }
  const own: Partial<Record<ProcessName, Record<string, string>>> = {
    products: { SEED_IF_EMPTY: 'true' },
    // The N+1 probe gives one shopper 100 orders, paid a few at a time while events settle; the
    // per-user limit of unpaid orders is tested in orders, not measured here.
    orders: { MAX_UNPAID_ORDERS: '100' },
  };
  const subgraphCpus = options.subgraphCpus ?? '0,1';
  const graph = await createGraphLauncher({
    logDir: stores.logDir,
    env: { NODE_ENV: 'production', LOG_LEVEL: 'warn', HOST: '127.0.0.1' },
    envFor: (name) => ({
      ...stores.envFor(name),
      ...stores.secrets.envFor(name),
      ...own[name],
      ...proxied[name],
      ...options.env?.[name],
    }),
    cpus: Object.fromEntries(
      PROCESSES.map((p) => [p.name, p.name === ROUTER.name ? (options.routerCpu ?? '1') : subgraphCpus]),
    ),
    readyTimeoutMs: 120_000,
  });
  await graph.startAll();
  return {
    gatewayUrl: gatewayUrl(graph),
    pspUrl: graph.url('psp'),
    subgraphUrls: Object.fromEntries(
      SUBGRAPH_NAMES.map((name) => [name, `${graph.url(name)}/graphql`]),
    ) as Record<SubgraphName, string>,
    routerSecret: stores.secrets.routerSecret,
    pids: Object.fromEntries(PROCESSES.map((p) => [p.name, graph.pid(p.name) ?? -1])) as Graph['pids'],
    stop: () => graph.stop(),
  };
}
