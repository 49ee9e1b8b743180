/**
 * Part 4, the N+1 check: datastore round trips per query for list sizes 1, 10 and 100, counted by the
 * proxies in front of each store (countingProxy of @shop/testing). Each measurement: a warm-up request, then three runs of
 * "snapshot, one request, settle, snapshot"; per store the smallest of the three deltas is kept (a
 * background poll that happens to fall inside one window does not count; the first run's one-off
 * work, e.g. preparing a statement, neither).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { bearer, subgraphHeaders, type Shopper } from './client';
import type { Graph } from './graph';
import { probe, type LoadSpec } from './load';
import { diff, requests, roundTrips, type CountingProxy, type Protocol } from '@shop/testing';
import { dataOf } from './queries';

export const SIZES = [1, 10, 100] as const;

export interface NPlusOneRow {
  query: string;
  size: number;
  /** Round trips per store (the minimum of the runs). */
  roundTrips: Record<Protocol, number>;
  /** Requests per store (redis: commands; the others equal round trips). */
  requests: Record<Protocol, number>;
  /** Every run's raw counts per store and kind, for the JSON report. */
  runs: Record<Protocol, Record<string, number>>[];
}

export interface NPlusOneResult {
  rows: NPlusOneRow[];
  /** Per query: true when every store's round trips are the same for every size. */
  flat: Record<string, boolean>;
}

const ORDERS_DEEP = `query DeepOrders($n: Int!) {
  me { orders(first: $n) { edges { node {
    items { product { name } }
    payment { status }
    notifications { status }
  } } } }
}`;
const PRODUCTS_PAGE = `query ProductsPage($n: Int!) {
  products(first: $n) { edges { node { id name price { amount currency } } } }
}`;
const PRODUCT_ENTITIES = `query ProductEntities($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Product { id name price { amount currency } } }
}`;

function expectLength(value: unknown, n: number, what: string) {
  if (!Array.isArray(value) || value.length !== n)
    throw new Error(
      `${what}: expected ${n} items, got ${Array.isArray(value) ? value.length : typeof value}`,
    );
  if (value.some((v) => v === null)) throw new Error(`${what}: null items`);
}

interface Case {
  name: string;
  spec: (n: number) => LoadSpec;
}

export function nPlusOneCases(graph: Graph, shopper: Shopper, productIds: string[]): Case[] {
  return [
    {
      name: 'gateway: me { orders(first: N) { items { product } payment notifications } }',
      spec: (n) => ({
        url: graph.gatewayUrl,
        headers: bearer(shopper.token),
        query: ORDERS_DEEP,
        variables: { n },
        validate: (r) => {
          const me = dataOf(r).me as { orders: { edges: unknown[] } };
          expectLength(me.orders.edges, n, 'orders');
        },
      }),
    },
    {
      name: 'gateway: products(first: N)',
      spec: (n) => ({
        url: graph.gatewayUrl,
        headers: bearer(shopper.token),
        query: PRODUCTS_PAGE,
        variables: { n },
        validate: (r) => expectLength((dataOf(r).products as { edges: unknown[] }).edges, n, 'products'),
      }),
    },
    {
      name: 'products subgraph: _entities(N × Product)',
      spec: (n) => ({
        url: graph.subgraphUrls.products,
        headers: subgraphHeaders(graph, shopper.token),
        query: PRODUCT_ENTITIES,
        variables: { representations: productIds.slice(0, n).map((id) => ({ __typename: 'Product', id })) },
        validate: (r) => expectLength(dataOf(r)._entities, n, '_entities'),
      }),
    },
  ];
}

const settle = () => sleep(150);

export async function runNPlusOne(
  cases: Case[],
  proxies: CountingProxy[],
  runs = 3,
): Promise<NPlusOneResult> {
  const snapshot = () => proxies.map((p) => p.snapshot());
  const rows: NPlusOneRow[] = [];
  for (const c of cases) {
    for (const size of SIZES) {
      const spec = c.spec(size);
      await probe(spec); // warm-up: query plan, prepared statements, DataLoader code paths
      await settle();
      const deltas: Record<Protocol, Record<string, number>>[] = [];
      for (let i = 0; i < runs; i += 1) {
        const before = snapshot();
        await probe(spec);
        await settle();
        const after = snapshot();
        deltas.push(
          Object.fromEntries(proxies.map((p, j) => [p.protocol, diff(after[j]!, before[j]!)])) as Record<
            Protocol,
            Record<string, number>
          >,
        );
      }
      const min = (f: (p: Protocol, d: Record<string, number>) => number) =>
        Object.fromEntries(
          proxies.map((p) => [p.protocol, Math.min(...deltas.map((d) => f(p.protocol, d[p.protocol])))]),
        ) as Record<Protocol, number>;
      rows.push({ query: c.name, size, roundTrips: min(roundTrips), requests: min(requests), runs: deltas });
    }
  }
  const flat: Record<string, boolean> = {};
  for (const c of cases) {
    const mine = rows.filter((r) => r.query === c.name);
    flat[c.name] = proxies.every((p) => new Set(mine.map((r) => r.roundTrips[p.protocol])).size === 1);
  }
  return { rows, flat };
}
