/**
 * `npm run bench:shop`: parts 2–4 of the benchmarks (issue 10) against the real shop graph.
 *
 *   2. shop queries through the gateway and straight to the subgraph (gateway overhead)
 *   3. the checkout pipeline: paid orders per second, payment → stored confirmation latency
 *   4. the N+1 check: datastore round trips per query for list sizes 1, 10, 100
 *
 * The graph runs as processes (bench/shop/graph.ts) on the benchmark's own databases and prefixes,
 * NODE_ENV=production, the router pinned to core 1 and this process (the load generator) to core 0.
 * Part 4 restarts the graph behind counting proxies (countingProxy of @shop/testing), so parts 2 and 3 are
 * measured without them. Everything it created is dropped at the end, also on failure or Ctrl-C.
 *
 *   --quick     short runs (a smoke test of the harness, not figures)
 *   --parts=2,4 run only some parts
 *
 * Results: bench/results/shop-<date>.json and .md, and bench/results/latest-shop.md.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { join } from 'node:path';
import { countingProxy, endpoints, type CountingProxy } from '@shop/testing';
import { runCheckout, type CheckoutResult } from './shop/checkout';
import {
  addStock,
  allProducts,
  orderable,
  ensureProducts,
  login,
  placeAndPay,
  register,
  waitSettled,
  type Shopper,
} from './shop/client';
import { createStores, ROOT, startGraph, type Graph, type Stores } from './shop/graph';
import { probe, runLoad } from './shop/load';
import { nPlusOneCases, runNPlusOne, type NPlusOneResult } from './shop/nplusone';
import { shopScenarios } from './shop/queries';
import { checkoutTable, nPlusOneTable, queriesTable, type QueryFigures } from './shop/report';
import { cleanupOnExit, concurrently, log, pinSelf } from './lib/run';

const quick = process.argv.includes('--quick');
const partsArg = process.argv.find((a) => a.startsWith('--parts='));
const parts = new Set((partsArg?.slice('--parts='.length) ?? '2,3,4').split(',').map(Number));
const LOAD_CORE = '0';
const ROUTER_CORE = '1';
const durations = quick
  ? { warmup: 1, c50: 2, c1: 2, checkout: 4, shoppers: 8 }
  : { warmup: 2, c50: 8, c1: 8, checkout: 20, shoppers: 16 };

interface Prepared {
  admin: Shopper;
  deep: Shopper;
  hundred: Shopper;
  productIds: string[];
  checkoutProductIds: string[];
}

/** Data through the API: ≥100 products, a shopper with 10 paid orders and one with 100. */
async function prepare(graph: Graph, stores: Stores, domain: string): Promise<Prepared> {
  const gateway = graph.gatewayUrl;
  const admin = await login(gateway, stores.admin.email, stores.admin.password);
  await ensureProducts(gateway, admin, 100);
  const products = orderable(await allProducts(gateway, admin));
  const checkoutProductIds = products.slice(0, 8).map((p) => p.id);
  // Enough for any run, under products' maximum of 1,000,000 on hand (the seed holds a few already).
  for (const id of checkoutProductIds) await addStock(gateway, admin, id, 900_000);
  const rest = products.slice(8);
  const deep = await register(gateway, 'deep', domain);
  const hundred = await register(gateway, 'hundred', domain);
  const orders = [
    ...Array.from({ length: 10 }, (_, i) => ({ who: deep, i })),
    ...Array.from({ length: 100 }, (_, i) => ({ who: hundred, i })),
  ];
  await concurrently(orders, 4, async ({ who, i }) => {
    const items = [0, 1, 2].map((k) => ({ productId: rest[(i * 3 + k) % rest.length]!.id, quantity: 1 }));
    await placeAndPay(gateway, graph.pspUrl, who, items);
  });
  await waitSettled(gateway, deep, 10);
  await waitSettled(gateway, hundred, 100);
  return {
    admin,
    deep,
    hundred,
    productIds: (await allProducts(gateway)).map((p) => p.id),
    checkoutProductIds,
  };
}

/** Waits (at most a minute) until the graph answers again after a 50-connection run. */
async function drain(spec: Parameters<typeof probe>[0]) {
  const until = Date.now() + 60_000;
  for (;;) {
    const t0 = Date.now();
    await probe(spec);
    if (Date.now() - t0 < 1_000 || Date.now() > until) return;
  }
}

async function part2(graph: Graph, data: Prepared): Promise<QueryFigures[]> {
  const figures: QueryFigures[] = [];
  for (const s of shopScenarios(graph, data.deep, data.productIds[0]!, 10)) {
    await probe(s.gateway);
    await probe(s.direct);
    // 1 connection first, then 50: requests a 50-connection run leaves behind (autocannon does not
    // wait for them) would otherwise still be queued in the graph during the latency run.
    const measure = async (spec: typeof s.gateway, what: string) => {
      await runLoad(spec, 1, durations.warmup);
      const c1 = await runLoad(spec, 1, durations.c1);
      const c50 = await runLoad(spec, 50, durations.c50);
      await drain(spec);
      for (const r of [c1, c50])
        if (!r.valid)
          log(
            `  INVALID ${what} @${r.connections}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx, ` +
              `${r.mismatches} invalid bodies; first: ${r.firstFailure ?? '?'}`,
          );
      return { c50, c1 };
    };
    log(`part 2: ${s.name}`);
    figures.push({
      name: s.name,
      subgraph: s.subgraph,
      gateway: await measure(s.gateway, 'gateway'),
      direct: await measure(s.direct, s.subgraph),
    });
  }
  return figures;
}

async function part3(graph: Graph, stores: Stores, data: Prepared, domain: string): Promise<CheckoutResult> {
  const shoppers: Shopper[] = [];
  await concurrently(Array.from({ length: durations.shoppers }), 4, async (_, i) => {
    shoppers.push(await register(graph.gatewayUrl, `shopper${i}`, domain));
  });
  log(`part 3: ${shoppers.length} shoppers for ${durations.checkout}s`);
  return runCheckout({
    gateway: graph.gatewayUrl,
    pspUrl: graph.pspUrl,
    natsPrefix: stores.natsPrefix,
    shoppers,
    productIds: data.checkoutProductIds,
    seconds: durations.checkout,
    drainSeconds: 30,
  });
}

async function part4(
  stores: Stores,
  data: Prepared,
  cleanups: (() => Promise<void>)[],
): Promise<NPlusOneResult> {
  const proxies: CountingProxy[] = [
    await countingProxy('postgres', stores.postgresUrl),
    await countingProxy('mysql', stores.mysqlUrl),
    await countingProxy('mongo', stores.mongoUrl),
    await countingProxy('redis', endpoints.redis),
    await countingProxy('nats', endpoints.nats),
  ];
  cleanups.push(async () => {
    for (const p of proxies) await p.close();
  });
  const url = (p: string) => proxies.find((x) => x.protocol === p)!.url;
  log('part 4: restarting the graph behind counting proxies');
  const graph = await startGraph(stores, {
    routerCpu: ROUTER_CORE,
    storeUrls: {
      postgres: url('postgres'),
      mysql: url('mysql'),
      mongo: url('mongo'),
      redis: url('redis'),
      nats: url('nats'),
    },
    env: {
      // quiet background loops: nothing expires or is relayed during these reads
      orders: { OUTBOX_POLL_MS: '60000', EXPIRY_INTERVAL_MS: '600000' },
      // me { orders(first: 100) { ... } } costs more than the production limit of 5000
      router: { MAX_COST: '1000000' },
    },
  });
  cleanups.push(() => graph.stop());
  const result = await runNPlusOne(nPlusOneCases(graph, data.hundred, data.productIds), proxies);
  await graph.stop();
  return result;
}

async function cleanMailpit(domain: string) {
  const query = encodeURIComponent(`to:"${domain}"`);
  const res = await fetch(`${endpoints.mailpit}/api/v1/search?query=${query}`, { method: 'DELETE' });
  if (!res.ok) throw new Error(`Mailpit delete: HTTP ${res.status}`);
}

async function main() {
  const pinned = pinSelf(LOAD_CORE);
  log(`${pinned}; router on core ${ROUTER_CORE}; ${quick ? 'QUICK run (not figures)' : 'full run'}`);
  const started = Date.now();
  const { cleanups, cleanup } = cleanupOnExit();

  const results: {
    queries?: QueryFigures[];
    checkout?: CheckoutResult;
    nPlusOne?: NPlusOneResult;
  } = {};
  let logDir: string | undefined;
  try {
    const stores = await createStores();
    logDir = stores.logDir;
    const domain = `${stores.label}.bench.shop.local`;
    cleanups.push(() => stores.drop());
    cleanups.push(() => cleanMailpit(domain));
    log(`stores ${stores.label}; starting the graph`);
    const graph = await startGraph(stores, { routerCpu: ROUTER_CORE });
    cleanups.push(() => graph.stop());
    log('preparing data through the API');
    const data = await prepare(graph, stores, domain);
    if (parts.has(2)) results.queries = await part2(graph, data);
    if (parts.has(3)) results.checkout = await part3(graph, stores, data, domain);
    await graph.stop();
    if (parts.has(4)) results.nPlusOne = await part4(stores, data, cleanups);
  } finally {
    await cleanup();
  }
  // the processes' logs are kept only when the run failed (.run/bench/<label>/)
  if (logDir) rmSync(logDir, { recursive: true, force: true });

  const date = new Date().toISOString();
  const sections = [
    `# Shop benchmarks (${date.slice(0, 16).replace('T', ' ')} UTC)`,
    '',
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Linux ${release()}, Node ${process.version}. ` +
      `Router pinned to core ${ROUTER_CORE}, load generator to core ${LOAD_CORE}, subgraphs and datastores unpinned. ` +
      `NODE_ENV=production, LOG_LEVEL=warn.${quick ? ' QUICK RUN: smoke test, not figures.' : ''}`,
  ];
  if (results.queries)
    sections.push(
      '',
      `## Shop queries (${durations.c50} s at 50 connections, ${durations.c1} s at 1; every body validated)`,
      '',
      queriesTable(results.queries),
    );
  if (results.checkout)
    sections.push(
      '',
      '## Checkout pipeline (placeOrder + payOrder loops through the gateway)',
      '',
      checkoutTable(results.checkout),
    );
  if (results.nPlusOne)
    sections.push('', '## N+1 check: datastore round trips per query', '', nPlusOneTable(results.nPlusOne));
  const markdown = `${sections.join('\n')}\n`;
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const stamp = date.slice(0, 10);
  writeFileSync(
    join(dir, `shop-${stamp}.json`),
    `${JSON.stringify({ date, quick, durations, machine: { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version }, ...results }, null, 2)}\n`,
  );
  writeFileSync(join(dir, `shop-${stamp}.md`), markdown);
  writeFileSync(join(dir, 'latest-shop.md'), markdown);
  console.log(`\n${markdown}`);
  log(
    `done in ${((Date.now() - started) / 1000).toFixed(0)} s; results in bench/results/shop-${stamp}.{json,md}`,
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
