/**
 * The one list of the processes that make up the graph: every other list of subgraph names (the
 * composition, the router's subgraph URLs, the launcher, the docs) derives from this table. SUBGRAPHS
 * are composed by the router; ROUTER and PSP are processes of the graph that are not subgraphs.
 */
export interface ServiceInfo {
  /** The subgraph (or router, or PSP) name; a subgraph's as composed into the supergraph. */
  name: string;
  /** The process entry file, relative to the repository root. */
  entry: string;
  /** The port it listens on by default (PORT). */
  port: number;
  /** The variables naming its own datastore (set per run by the launcher and the tests). */
  stores: readonly string[];
}

export const SUBGRAPHS = [
  { name: 'users', entry: 'subgraphs/users/src/main.ts', port: 4001, stores: ['POSTGRES_URL'] },
  { name: 'products', entry: 'subgraphs/products/src/main.ts', port: 4002, stores: ['MONGO_URL'] },
  { name: 'orders', entry: 'subgraphs/orders/src/main.ts', port: 4003, stores: ['MYSQL_URL'] },
  {
    name: 'payments',
    entry: 'subgraphs/payments/src/main.ts',
    port: 4004,
    stores: ['REDIS_URL', 'REDIS_PREFIX'],
  },
  { name: 'notifications', entry: 'subgraphs/notifications/src/main.ts', port: 4005, stores: ['SMTP_URL'] },
] as const satisfies readonly ServiceInfo[];

export const ROUTER = {
  name: 'router',
  entry: 'router/main.ts',
  port: 4000,
  stores: ['REDIS_URL', 'PARTNER_RATE_LIMIT_PREFIX'],
} as const satisfies ServiceInfo;

/**
 * The test payment service provider (psp/, docs/payment-provider.md): a process of the graph that is
 * not a subgraph (the router does not compose it). Payments calls it, browsers tokenise cards at it.
 */
export const PSP = {
  name: 'psp',
  entry: 'psp/src/main.ts',
  port: 4010,
  stores: [],
} as const satisfies ServiceInfo;

export type SubgraphName = (typeof SUBGRAPHS)[number]['name'];
export type ProcessName = SubgraphName | typeof ROUTER.name | typeof PSP.name;

export const SUBGRAPH_NAMES: readonly SubgraphName[] = SUBGRAPHS.map((s) => s.name);

/** The subgraph's entry of the table. */
export const subgraph = (name: SubgraphName): (typeof SUBGRAPHS)[number] =>
  SUBGRAPHS.find((s) => s.name === name)!;

/** The local URL of a subgraph's /graphql on its default port. */
export const defaultSubgraphUrl = (name: SubgraphName) => `http://127.0.0.1:${subgraph(name).port}/graphql`;

/** The variable that gives the router a subgraph's URL, e.g. USERS_URL. */
export const subgraphUrlVariable = (name: SubgraphName) => `${name.toUpperCase()}_URL` as const;
