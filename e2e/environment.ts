/**
 * createTestEnvironment(): the whole supergraph in this process, on free ports, with its own stores
 * and secrets (createRunStores / createRunSecrets of @shop/graph), so an end-to-end run never
 * touches a developer's data. Every subgraph is booted through its own createApp (the same code path
 * as its main.ts), in the graph's start order, and the router through createRouter with the committed
 * supergraph, pointed at the subgraphs' ports.
 *
 * The test PSP (@shop/psp) runs in this process too, started before payments on ports chosen up front:
 * its WEBHOOK_URL names payments' /webhooks/provider, payments' PSP_URL names it, and both hold this
 * run's own PSP_SECRET_KEY and PSP_WEBHOOK_SECRET. Tests tokenise cards at `pspUrl` (e2e/psp.ts) and
 * read the processor's books from its ledger.
 *
 * In-process rather than through the launcher on purpose: a cold `node --import tsx` start of six
 * processes costs far more than these suites' tests, the services' logs can be asserted on
 * (`logs`), and the fault suite (e2e/faults/cluster.ts) already covers the real processes.
 */
import { loadConfig, ROUTER, subgraphUrlVariable, type SubgraphName } from '@shop/config';
import { createRunSecrets, createRunStores, freePort, START_ORDER, TOKEN_ISSUER } from '@shop/graph';
import { createApp as createPsp, configSchema as pspConfigSchema } from '@shop/psp';
import { createLogger, type Logger } from '@shop/server';
import { memoryLog } from '@shop/testing';
import * as users from '@shop/users';
import * as products from '@shop/products';
import * as orders from '@shop/orders';
import * as payments from '@shop/payments';
import * as notifications from '@shop/notifications';
import * as router from '@shop/router';

export interface TestEnvironmentOptions {
  /** Seconds before an unpaid order expires. */
  orderTtlSeconds?: number;
  /** orders' PAYMENT_LEASE_SECONDS (its default when omitted). */
  paymentLeaseSeconds?: number;
  /** orders' MAX_ORDER_AGE_SECONDS, the hard deadline of an unpaid order (its default when omitted). */
  maxOrderAgeSeconds?: number;
  /** orders' MAX_UNPAID_ORDERS per user (its default, 5, when omitted). */
  maxUnpaidOrders?: number;
  /** Partner requests per key and minute on /public/graphql (the router's default when omitted). */
  partnerRateLimit?: number;
  /** The test PSP's simulated processor latency per call (its LATENCY_MS; 0 when omitted). */
  paymentLatencyMs?: number;
  /** Seconds the PSP waits for a 3-D Secure authentication before it abandons it (its default, 300). */
  authenticationTtlSeconds?: number;
  /** Seconds a card token stays usable at the PSP (its default, 900). */
  tokenTtlSeconds?: number;
  /** payments' PENDING_ACTION_INTERVAL_MS (its default when omitted). */
  pendingActionIntervalMs?: number;
  /** The router's CORS_ORIGINS (browser apps allowed to call it; its default when omitted). */
  corsOrigins?: string[];
}

/** What the environment uses of a subgraph's package (src/index.ts of the skeleton). */
interface SubgraphModule {
  configSchema: Parameters<typeof loadConfig>[0];
  createApp(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each createApp takes its own Config
    config: any,
    overrides: { log: Logger },
  ): Promise<{ start(): Promise<{ url: string }>; stop(): Promise<void> }>;
}

/** Each subgraph's package, by the table's names. */
const modules: Record<SubgraphName, SubgraphModule> = { users, products, orders, payments, notifications };

export async function createTestEnvironment(options: TestEnvironmentOptions = {}) {
  const logs = memoryLog();
  const log = createLogger({ name: 'e2e', level: 'info' }, logs.stream);
  const stores = await createRunStores('e2e');
  const secrets = await createRunSecrets(stores.label);
  const common = { NODE_ENV: 'test', LOG_LEVEL: 'info', PORT: '0' };
  // Payments' port first: the PSP's webhooks go to it. The PSP's own port is its public URL too.
  const paymentsPort = await freePort();
  const pspPort = await freePort();
  const pspUrl = `http://127.0.0.1:${pspPort}`;
  const psp = {
    secretKey: secrets.pspSecretKey,
    webhookSecret: secrets.pspWebhookSecret,
    webhookUrl: `http://127.0.0.1:${paymentsPort}/webhooks/provider`,
  };
  const own: Record<SubgraphName, Record<string, string>> = {
    users: {},
    products: { SEED_IF_EMPTY: 'true' },
    orders: {
      ORDER_TTL_SECONDS: String(options.orderTtlSeconds ?? 900),
      EXPIRY_INTERVAL_MS: '250',
      OUTBOX_POLL_MS: '50',
      // A cart read waits for products.lookup; a loaded CI machine (a 50-line checkout burst in
      // products meanwhile) took over the 2 s default once. These suites judge answers, not speed.
      LOOKUP_TIMEOUT_MS: '10000',
      ...(options.paymentLeaseSeconds ? { PAYMENT_LEASE_SECONDS: String(options.paymentLeaseSeconds) } : {}),
      ...(options.maxOrderAgeSeconds ? { MAX_ORDER_AGE_SECONDS: String(options.maxOrderAgeSeconds) } : {}),
      ...(options.maxUnpaidOrders ? { MAX_UNPAID_ORDERS: String(options.maxUnpaidOrders) } : {}),
    },
    payments: {
      PORT: String(paymentsPort),
      PAYMENT_PROVIDER: 'test',
      PSP_URL: pspUrl,
      ...(options.pendingActionIntervalMs
        ? { PENDING_ACTION_INTERVAL_MS: String(options.pendingActionIntervalMs) }
        : {}),
    },
    notifications: { BACKOFF_MS: '200,400' },
  };
  const stops: (() => Promise<void>)[] = [];
  const urls = {} as Record<SubgraphName, string>;
  let jwksUrl: string | undefined;

  const startPsp = async () => {
    const config = loadConfig(pspConfigSchema, {
      ...common,
      PORT: String(pspPort),
      PUBLIC_URL: pspUrl,
      ...secrets.envFor('psp'),
      WEBHOOK_URL: psp.webhookUrl,
      LATENCY_MS: String(options.paymentLatencyMs ?? 0),
      ...(options.authenticationTtlSeconds
        ? { AUTHENTICATION_TTL_SECONDS: String(options.authenticationTtlSeconds) }
        : {}),
      ...(options.tokenTtlSeconds ? { TOKEN_TTL_SECONDS: String(options.tokenTtlSeconds) } : {}),
    });
    const app = createPsp(config, { log: log.child({ service: 'psp' }) });
    await app.start();
    stops.push(() => Promise.resolve(app.stop()));
    return app;
  };

  const start = async (name: SubgraphName) => {
    const mod = modules[name];
    const env = {
      ...common,
      ...stores.envFor(name),
      ...secrets.envFor(name),
      ...(jwksUrl ? { JWKS_URL: jwksUrl } : {}),
      ...own[name],
    };
    const app = await mod.createApp(loadConfig(mod.configSchema, env), {
      log: log.child({ service: name }),
    });
    const { url } = await app.start();
    stops.push(() => app.stop());
    urls[name] = url;
  };

  try {
    // The PSP first (payments calls it, it calls payments' webhook endpoint once payments listens).
    const pspApp = await startPsp();
    // The token issuer next: the others fetch its JWKS. One at a time, as they share this process.
    for (const stage of START_ORDER) {
      for (const name of stage as readonly string[]) {
        if (!(name in modules)) continue; // the router last, below; the PSP above
        await start(name as SubgraphName);
        if (name === TOKEN_ISSUER) jwksUrl = new URL('/.well-known/jwks.json', urls[name]).toString();
      }
    }

    const routerConfig = (port: number) =>
      loadConfig(router.configSchema, {
        ...common,
        PORT: String(port),
        ...stores.envFor(ROUTER.name),
        ...secrets.envFor(ROUTER.name),
        ...Object.fromEntries(
          Object.entries(urls).map(([name, url]) => [subgraphUrlVariable(name as SubgraphName), url]),
        ),
        // Every subgraph and the router share this one process; on a loaded CI machine 50 concurrent
        // adds to one cart (each answered with its cart priced live) took over the 10 s default once.
        // These suites judge answers, not speed (the fault cluster keeps a short timeout and tests it).
        SUBGRAPH_TIMEOUT_MS: '30000',
        ...(options.partnerRateLimit ? { PARTNER_RATE_LIMIT: String(options.partnerRateLimit) } : {}),
        ...(options.corsOrigins ? { CORS_ORIGINS: options.corsOrigins.join(',') } : {}),
      });
    let routerApp = router.createRouter(routerConfig(0), { log: log.child({ service: ROUTER.name }) });
    const { url, port: routerPort } = await routerApp.start();
    stops.push(() => routerApp.stop());

    return {
      url,
      publicUrl: new URL('/public/graphql', url).toString(),
      partnerKey: secrets.partnerKey,
      admin: secrets.admin,
      /** users' JWT_PRIVATE_KEYS, for tests that need a token users would sign (e.g. an expired one). */
      jwtPrivateKeys: secrets.jwtPrivateKeys,
      logs: logs.lines,
      /** The test PSP: where the browser tokenises cards and authenticates (e2e/psp.ts). */
      pspUrl,
      /** The PSP's app in this process (its processor holds the ledger). */
      psp: pspApp,
      /** payments' key at the PSP (PSP_SECRET_KEY; GET /v1/ledger takes it). */
      pspSecretKey: psp.secretKey,
      /** The HMAC key of the PSP's webhooks (PSP_WEBHOOK_SECRET), for tests that sign or forge one. */
      pspWebhookSecret: psp.webhookSecret,
      /** payments' webhook endpoint (the PSP's WEBHOOK_URL). */
      webhookUrl: psp.webhookUrl,
      /** Where this environment's data lives, for tests that count or inspect what was stored. */
      stores: {
        /** PostgreSQL database of users. */
        postgresUrl: stores.postgresUrl,
        /** MySQL/MariaDB database of orders. */
        mysqlUrl: stores.mysqlUrl,
        /** MongoDB (FerretDB) database of products. */
        mongoUrl: stores.mongoUrl,
        redisUrl: stores.redisUrl,
        /** Every payments and rate-limit key of this environment starts with it. */
        redisPrefix: stores.redisPrefix,
        natsUrl: stores.natsUrl,
        /** NATS_PREFIX of every service: natsNames(natsPrefix) gives the streams and the KV bucket. */
        natsPrefix: stores.natsPrefix,
      },
      /** Shared secret the router sends to the subgraphs in x-router-secret. */
      routerSecret: secrets.routerSecret,
      subgraphs: urls,
      /** The router's subscription counts (connections, subscriptions, events). */
      subscriptionStats: () => routerApp.subscriptionStats(),
      /**
       * Stops the router (its subscriptions end: WebSockets closed with 1001, multipart streams
       * ended) and starts a new one on the same port, as a deployment would.
       */
      async restartRouter() {
        await routerApp.stop();
        routerApp = router.createRouter(routerConfig(routerPort), {
          log: log.child({ service: ROUTER.name }),
        });
        await routerApp.start();
      },
      /** Stops every service (last started, first stopped), then drops every store of the run. */
      async stop() {
        for (const stop of stops.reverse()) await stop();
        await stores.drop();
      },
    };
  } catch (error) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await stores.drop().catch(() => undefined);
    throw error;
  }
}

export type TestEnvironment = Awaited<ReturnType<typeof createTestEnvironment>>;
