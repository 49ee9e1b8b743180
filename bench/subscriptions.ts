/**
 * `npm run bench:subscriptions`: 1,000 concurrent subscribers on one router process (issue 19).
 *
 * The whole graph runs as processes (bench/shop/graph.ts: the launcher of @shop/graph) on the
 * benchmark's own stores, NODE_ENV=production, the router pinned to core 1 and this process (the
 * subscribers and the load) to core 0. 1,000 subscribers each open their own graphql-ws connection
 * (`ws`) subscribed to `myOrderEvents` (kind, at, the order with its payment and notifications:
 * fields of orders, payments and notifications, resolved through the supergraph per event). 300 of
 * them are customers registered through the API with one order each; the others are signed in with
 * a token of the run's own signing key for a user that owns nothing (registering 1,000 through
 * argon2 would take minutes) and must receive nothing. The 300 orders are paid straight on the
 * payments subgraph (so the router does nothing but the subscriptions) at a fixed rate; each
 * payment makes three events for its owner (PAYMENT_SUCCEEDED, PAID, NOTIFICATION_SENT). A few
 * orders paid first warm the paths up and are not counted.
 *
 * Figures: event → delivered (the subscriber's receive time − the event's own `at`), NATS →
 * delivered (− the time this process saw the event on NATS: the router's share), router RSS
 * before / with the subscribers / after the events and its peak, router CPU ms per delivered event
 * (from /proc/<pid>/stat, less the idle rate with the subscribers connected), and whether every
 * subscriber got exactly its own events. Everything it created is dropped at the end.
 *
 *   --quick           100 subscribers, 30 orders (a smoke test of the harness, not figures)
 *   --subscribers=N   another number of subscribers (default 1000)
 *   --orders=N        orders paid during the measurement (default 300)
 *   --selection=S     full (default: order, payment, notifications) or order (the order's own fields)
 *   --rate=R          payments per second (default 8: 24 events/s, what the checkout pipeline
 *                     sustains on the 2-core development machine; above it the subgraphs queue)
 *
 * Results: bench/results/subscriptions-<date>.json and .md, and bench/results/latest-subscriptions.md
 * (subscriptions-order-* for --selection=order).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTokenSigner, type SigningKey } from '@shop/auth';
import { connectNats, natsNames } from '@shop/messaging';
import { endpoints } from '@shop/testing';
import { cpuMs, peakRssMb, rssMb } from './lib/proc';
import {
  addStock,
  allProducts,
  orderable,
  gql,
  login,
  PAY_ORDER,
  PLACE_ORDER,
  register,
  subgraphHeaders,
  cardToken,
  type PayResult,
  type PlaceResult,
  type Shopper,
} from './shop/client';
import { createStores, ROOT, startGraph, type Graph, type Stores } from './shop/graph';
import { percentile } from './shop/load';
import { subscriptionsReport, type SubscriptionsResult } from './subscriptions/report';
import {
  check,
  KINDS,
  SELECTIONS,
  subscribe,
  type Selection,
  type Subscriber,
} from './subscriptions/subscriber';
import { cleanupOnExit, concurrently, log, pinSelf } from './lib/run';

const quick = process.argv.includes('--quick');
const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const SUBSCRIBERS = Number(arg('subscribers') ?? (quick ? 100 : 1000));
const ORDERS = Math.min(SUBSCRIBERS, Number(arg('orders') ?? (quick ? 30 : 300)));
const RATE = Number(arg('rate') ?? 8);
const SELECTION = (arg('selection') ?? 'full') as Selection;
if (!(SELECTION in SELECTIONS)) throw new Error(`--selection: one of ${Object.keys(SELECTIONS).join(', ')}`);
const LOAD_CORE = '0';
const ROUTER_CORE = '1';
const IDLE_SECONDS = quick ? 2 : 5;
/** Customers whose second order is paid before the measurement, to warm the router's paths up. */
const WARMUP = Math.min(20, Math.ceil(ORDERS / 10));

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** The router's CPU ms and RSS now. */
const sample = (pid: number) => ({ cpuMs: cpuMs(pid), rssMb: rssMb(pid), at: Date.now() });

async function run(graph: Graph, stores: Stores, domain: string): Promise<SubscriptionsResult> {
  const gateway = graph.gatewayUrl;
  const wsUrl = gateway.replace(/^http/, 'ws');
  const routerPid = graph.pids.router;
  const admin = await login(gateway, stores.admin.email, stores.admin.password);
  const [product] = orderable(await allProducts(gateway, admin));
  if (!product) throw new Error('no product in stock');
  await addStock(gateway, admin, product.id, ORDERS + WARMUP + 10);

  log(`registering ${ORDERS} customers, one order each (${WARMUP} a second one to warm up with)`);
  const place = async (who: Shopper) => {
    const placed = await gql<{ placeOrder: PlaceResult }>(
      graph.subgraphUrls.orders,
      PLACE_ORDER,
      { input: { items: [{ productId: product.id, quantity: 1 }], idempotencyKey: randomUUID() } },
      subgraphHeaders(graph, who.token),
    );
    const order = placed.data?.placeOrder;
    if (order?.__typename !== 'Order' || !order.id) throw new Error(`placeOrder: ${JSON.stringify(placed)}`);
    return order.id;
  };
  const customers: { who: Shopper; orderId: string | null; warmupOrderId: string | null }[] = [];
  await concurrently(Array.from({ length: ORDERS }), 8, async (_, i) => {
    const who = await register(gateway, `sub${i}`, domain);
    customers.push({ who, orderId: await place(who), warmupOrderId: i < WARMUP ? await place(who) : null });
  });
  // The other subscribers own nothing: signed in with a token of the run's own signing key (as users
  // signs them), for a user id of their own, so that registering them (argon2) does not take minutes.
  const keys = (JSON.parse(stores.secrets.jwtPrivateKeys) as SigningKey['privateJwk'][]).map((jwk) => ({
    kid: jwk.kid!,
    privateJwk: jwk,
  }));
  const signer = await createTokenSigner(keys, 900);
  for (let i = ORDERS; i < SUBSCRIBERS; i += 1) {
    const id = randomUUID();
    const email = `idle${i}-${id.slice(0, 8)}@${domain}`;
    const { token } = await signer.sign({ id, role: 'CUSTOMER', email });
    customers.push({ who: { id, email, token }, orderId: null, warmupOrderId: null });
  }

  // What this process sees on NATS: when each event was published (the router's share starts there).
  const names = natsNames(stores.natsPrefix);
  const nc = await connectNats(endpoints.nats, 'bench-subscriptions');
  const onNats = new Map<string, number>();
  const watch = (subject: string, kind: string) =>
    nc.subscribe(subject, {
      callback: (_err, msg) => {
        const { orderId } = msg.json<{ orderId: string }>();
        onNats.set(`${orderId}:${kind}`, Date.now());
      },
    });
  const subs = [
    watch(names.events.paymentsSucceeded, 'PAYMENT_SUCCEEDED'),
    watch(names.events.ordersPaid, 'PAID'),
    watch(names.events.notificationsSent, 'NOTIFICATION_SENT'),
  ];
  await nc.flush();

  await sleep(2000);
  const before = sample(routerPid);
  await sleep(IDLE_SECONDS * 1000);
  const idleBare = sample(routerPid);

  log(`connecting ${SUBSCRIBERS} graphql-ws subscribers`);
  const connectStarted = Date.now();
  const subscribers: Subscriber[] = [];
  const connectMs: number[] = [];
  await concurrently(customers, 50, async (c) => {
    const t0 = performance.now();
    subscribers.push(await subscribe(wsUrl, c.who, c.orderId, c.warmupOrderId, SELECTIONS[SELECTION]));
    connectMs.push(performance.now() - t0);
  });
  const connectSeconds = (Date.now() - connectStarted) / 1000;
  await sleep(2000); // every subscription registered before the first event

  const payErrors: string[] = [];
  // Tokenised before its slot (the browser's part), so the rate times payOrder alone.
  const pay = async (who: Shopper, orderId: string, paymentMethodToken: string) => {
    const paid = await gql<{ payOrder: PayResult }>(
      graph.subgraphUrls.payments,
      PAY_ORDER,
      { input: { orderId, idempotencyKey: randomUUID(), paymentMethodToken } },
      subgraphHeaders(graph, who.token),
    ).catch((error: unknown) => ({ status: 0, data: null, errors: [{ message: String(error) }] }));
    if (paid.data?.payOrder.__typename !== 'PaymentSucceeded')
      payErrors.push(JSON.stringify(paid.errors ?? paid.data).slice(0, 300));
  };
  /** Pays the orders at RATE per second (each sent on its slot, not waiting for the one before). */
  const payAtRate = async (orders: { who: Shopper; orderId: string }[]) => {
    const tokens: string[] = [];
    while (tokens.length < orders.length) tokens.push(await cardToken(graph.pspUrl));
    await Promise.all(
      orders.map(async (o, i) => {
        await sleep((i * 1000) / RATE);
        await pay(o.who, o.orderId, tokens[i]!);
      }),
    );
  };
  const deliveredOf = (pick: (s: Subscriber) => string | null) =>
    subscribers.reduce((n, s) => n + s.deliveries.filter((d) => d.orderId === pick(s)).length, 0);

  log(`warming up: paying ${WARMUP} orders`);
  await payAtRate(
    customers.flatMap((c) => (c.warmupOrderId ? [{ who: c.who, orderId: c.warmupOrderId }] : [])),
  );
  const warmUntil = Date.now() + 15_000;
  while (deliveredOf((s) => s.warmupOrderId) < WARMUP * KINDS.length && Date.now() < warmUntil)
    await sleep(100);
  await sleep(1000);
  const connectedSample = sample(routerPid);
  await sleep(IDLE_SECONDS * 1000);
  const idleWithSubscribers = sample(routerPid);
  const idleCpuPerSecond =
    (idleWithSubscribers.cpuMs - connectedSample.cpuMs) /
    ((idleWithSubscribers.at - connectedSample.at) / 1000);

  log(`paying ${ORDERS} orders at ${RATE}/s straight on the payments subgraph`);
  const start = sample(routerPid);
  await payAtRate(customers.flatMap((c) => (c.orderId ? [{ who: c.who, orderId: c.orderId }] : [])));
  const expected = ORDERS * KINDS.length;
  const drainUntil = Date.now() + 30_000;
  while (deliveredOf((s) => s.orderId) < expected && Date.now() < drainUntil) await sleep(100);
  const lastDelivery = Math.max(
    ...subscribers.flatMap((s) =>
      s.deliveries.filter((d) => d.orderId === s.orderId).map((d) => d.receivedAt),
    ),
  );
  const end = sample(routerPid);
  await sleep(1000); // anything late or extra shows up in the checks below
  const peak = peakRssMb(routerPid);

  const checked = check(subscribers, onNats);

  for (const sub of subs) sub.unsubscribe();
  await nc.close();
  await Promise.all(subscribers.map((s) => s.client.dispose()));

  const windowSeconds = (Math.max(lastDelivery, start.at) - start.at) / 1000;
  const eventCpu = end.cpuMs - start.cpuMs;
  const count = checked.delivered;
  const connectSorted = [...connectMs].sort((a, b) => a - b);
  return {
    subscribers: SUBSCRIBERS,
    orders: ORDERS,
    ratePerSecond: RATE,
    selection: `${SELECTION}: ${SELECTIONS[SELECTION].replace(/\s+/g, ' ')}`,
    connect: {
      seconds: round(connectSeconds),
      p50Ms: round(percentile(connectSorted, 0.5)),
      p99Ms: round(percentile(connectSorted, 0.99)),
    },
    events: {
      ...checked,
      expected,
      payErrors: payErrors.length,
      firstPayError: payErrors[0] ?? null,
      windowSeconds: round(windowSeconds),
      perSecond: round(count / Math.max(windowSeconds, 0.001)),
    },
    router: {
      rssMb: {
        before: round(before.rssMb),
        withSubscribers: round(connectedSample.rssMb),
        afterEvents: round(end.rssMb),
        peak: round(peak),
      },
      idleCpuMsPerSecond: {
        bare: round((idleBare.cpuMs - before.cpuMs) / ((idleBare.at - before.at) / 1000)),
        withSubscribers: round(idleCpuPerSecond),
      },
      cpuMsPerEvent: {
        raw: round(eventCpu / Math.max(count, 1), 2),
        net: round((eventCpu - idleCpuPerSecond * windowSeconds) / Math.max(count, 1), 2),
      },
      cpuDuringEvents: `${round((eventCpu / Math.max(windowSeconds * 1000, 1)) * 100, 0)}%`,
    },
    valid:
      count === expected &&
      checked.missing === 0 &&
      checked.extra === 0 &&
      checked.foreign === 0 &&
      checked.subscriptionErrors === 0 &&
      payErrors.length === 0,
  };
}

async function main() {
  const pinned = pinSelf(LOAD_CORE);
  log(
    `${pinned}; router on core ${ROUTER_CORE}; ${SUBSCRIBERS} subscribers${quick ? ' (QUICK run, not figures)' : ''}`,
  );
  const started = Date.now();
  const load = { before: loadavg(), after: [] as number[] };
  const { cleanups, cleanup } = cleanupOnExit();

  let result: SubscriptionsResult;
  let logDir: string | undefined;
  try {
    const stores = await createStores();
    logDir = stores.logDir;
    const domain = `${stores.label}.bench.shop.local`;
    cleanups.push(() => stores.drop());
    cleanups.push(async () => {
      const query = encodeURIComponent(`to:"${domain}"`);
      await fetch(`${endpoints.mailpit}/api/v1/search?query=${query}`, { method: 'DELETE' });
    });
    log(`stores ${stores.label}; starting the graph`);
    const graph = await startGraph(stores, { routerCpu: ROUTER_CORE });
    cleanups.push(() => graph.stop());
    result = await run(graph, stores, domain);
    load.after = loadavg();
  } finally {
    await cleanup();
  }
  // the processes' logs are kept when the run failed or was invalid (.run/bench/<label>/)
  if (logDir && result.valid) rmSync(logDir, { recursive: true, force: true });
  else if (logDir) log(`the processes' logs are in ${logDir}`);

  const date = new Date().toISOString();
  const markdown = `${subscriptionsReport(result, date, load, { routerCore: ROUTER_CORE, loadCore: LOAD_CORE, quick })}\n`;
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const stamp = date.slice(0, 10);
  // the default selection's files are subscriptions-*; another selection's carry its name
  const name = SELECTION === 'full' ? 'subscriptions' : `subscriptions-${SELECTION}`;
  const machine = { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version };
  writeFileSync(
    join(dir, `${name}-${stamp}.json`),
    `${JSON.stringify({ date, quick, load, machine, ...result }, null, 2)}\n`,
  );
  writeFileSync(join(dir, `${name}-${stamp}.md`), markdown);
  writeFileSync(join(dir, `latest-${name}.md`), markdown);
  console.log(`\n${markdown}`);
  log(
    `done in ${((Date.now() - started) / 1000).toFixed(0)} s; results in bench/results/${name}-${stamp}.{json,md}`,
  );
  if (!result.valid) process.exitCode = 1;
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
