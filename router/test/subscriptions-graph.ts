import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import {
  canAccess,
  createTokenSigner,
  createTokenVerifier,
  generateSigningKey,
  viewerFromAuthorization,
  type Role,
  type Viewer,
} from '@shop/auth';
import { loadConfig } from '@shop/config';
import {
  connectNats,
  ensureStreams,
  natsNames,
  publishEvent,
  type NatsConnection,
  type NatsNames,
} from '@shop/messaging';
import { jetstream } from '@nats-io/jetstream';
import { createGraphQLHttpServer, createLogger, sharedApolloOptions } from '@shop/server';
import { deleteStreams, endpoints, memoryLog, natsPrefix, runId } from '@shop/testing';
import { parse } from 'graphql';
import { configSchema, createRouter, type Router } from '../index';

/**
 * A router in front of three small subgraphs that own what the subscriptions touch (Order with its
 * owner check, Order.payment, Order.notifications), real JWTs (createTestIssuer) and real NATS
 * streams of the run's own prefix, for the subscription suites: tests change the stores, publish
 * the events the real services would, and watch what subscribers get.
 */

const ORDERS_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@shareable"])
  "An instant."
  scalar DateTime
  "Where an order is."
  enum OrderStatus { "Waits." PENDING_PAYMENT "Paid." PAID }
  "An order."
  type Order @key(fields: "id") {
    "Id." id: ID!
    "Status." status: OrderStatus!
    "Number." number: String!
    "Placed." createdAt: DateTime!
  }
  "Root."
  type Query { "One order of the viewer." order("Id." id: ID!): Order }
`;
const PAYMENTS_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
  "A charge."
  type Payment { "Id." id: ID! "Status." status: String! }
  "An order."
  type Order @key(fields: "id") { "Id." id: ID! "Its payment." payment: Payment }
`;
const NOTIFICATIONS_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
  "A message."
  type Notification { "Id." id: ID! "Subject." subject: String! }
  "An order."
  type Order @key(fields: "id") { "Id." id: ID! "Its notifications." notifications: [Notification!]! }
`;

export interface StoredOrder {
  id: string;
  userId: string;
  status: 'PENDING_PAYMENT' | 'PAID';
  number: string;
  createdAt: string;
  payment?: { id: string; status: string };
  notifications: { id: string; subject: string }[];
}

type Ctx = { viewer: Viewer | null };

export interface SubscriptionGraph {
  url: string;
  wsUrl: string;
  router: Router;
  names: NatsNames;
  orders: Map<string, StoredOrder>;
  /** Requests each subgraph received. */
  requests: Record<'orders' | 'payments' | 'notifications', number>;
  logs: string[];
  /** An Authorization value for a user (a token of the issuer, `ttlSeconds` if given). */
  bearer(userId: string, options?: { role?: Role; ttlSeconds?: number }): Promise<string>;
  /** A stored order of a user (PENDING_PAYMENT). */
  order(userId: string): StoredOrder;
  /** Publishes an event on the run's streams as the services would (subject of natsNames().events). */
  publish(subject: string, payload: Record<string, unknown>): Promise<void>;
  /** The events the real services publish, for one stored order (the store is changed first, as they do). */
  events: {
    paymentSucceeded(order: StoredOrder): Promise<string>;
    paymentFailed(order: StoredOrder): Promise<string>;
    paid(order: StoredOrder): Promise<void>;
    notificationSent(order: StoredOrder, subject?: string): Promise<string>;
  };
  /** Starts a second router on the same graph (e.g. to restart one). */
  startRouter(env?: Record<string, string>): Promise<{ router: Router; url: string }>;
  stop(): Promise<void>;
}

export async function startSubscriptionGraph(
  label: string,
  env: Record<string, string> = {},
): Promise<SubscriptionGraph> {
  const logs = memoryLog();
  const log = createLogger({ name: label, level: 'debug' }, logs.stream);
  const secret = `secret-${runId('s')}`;
  const key = await generateSigningKey(runId('kid'));
  const issuer = await createTokenSigner([key], 900);
  const verifyToken = createTokenVerifier({ jwks: issuer.jwks() });
  const orders = new Map<string, StoredOrder>();
  const requests = { orders: 0, payments: 0, notifications: 0 };
  const visible = (viewer: Viewer | null, id: string) => {
    const order = orders.get(id);
    return order && canAccess(viewer, order.userId) ? order : null;
  };
  const resolvers = {
    orders: {
      Query: { order: (_: unknown, args: { id: string }, ctx: Ctx) => visible(ctx.viewer, args.id) },
      Order: { __resolveReference: (ref: { id: string }, ctx: Ctx) => visible(ctx.viewer, ref.id) },
    },
    payments: {
      Order: {
        payment: (ref: { id: string }, _: unknown, ctx: Ctx) => visible(ctx.viewer, ref.id)?.payment ?? null,
      },
    },
    notifications: {
      Order: {
        notifications: (ref: { id: string }, _: unknown, ctx: Ctx) =>
          visible(ctx.viewer, ref.id)?.notifications ?? [],
      },
    },
  };
  const sdls = { orders: ORDERS_SDL, payments: PAYMENTS_SDL, notifications: NOTIFICATIONS_SDL };
  const servers: { close(): Promise<void> }[] = [];
  const urls: Record<string, string> = {};
  for (const name of ['orders', 'payments', 'notifications'] as const) {
    const apollo = new ApolloServer<Ctx>({
      schema: buildSubgraphSchema({ typeDefs: parse(sdls[name]), resolvers: resolvers[name] as never }),
      ...sharedApolloOptions<Ctx>(log),
      plugins: [ApolloServerPluginInlineTraceDisabled()],
    });
    await apollo.start();
    const http = createGraphQLHttpServer<Ctx>({
      apollo,
      routerSecret: secret,
      log,
      context: async ({ req }) => ({
        viewer: await viewerFromAuthorization(req.headers.authorization, verifyToken),
      }),
    });
    http.server.on('request', (req) => {
      if (req.url?.startsWith('/graphql')) requests[name] += 1;
    });
    const listening = await http.listen(0);
    urls[name] = listening.url;
    servers.push({ close: async () => (await http.close(), await apollo.stop()) });
  }
  const composed = composeServices(
    Object.entries(sdls).map(([name, sdl]) => ({ name, url: urls[name]!, typeDefs: parse(sdl) })),
  );
  if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('\n'));
  const dir = mkdtempSync(join(tmpdir(), `${label}-`));
  writeFileSync(join(dir, 'supergraph.graphql'), composed.supergraphSdl);

  const prefix = natsPrefix(label);
  const names = natsNames(prefix);
  const nc: NatsConnection = await connectNats(endpoints.nats, `${label}-publisher`);
  await ensureStreams(nc, names);
  const js = jetstream(nc);

  const publish = async (subject: string, payload: Record<string, unknown>) => {
    await publishEvent(js, subject, randomUUID(), payload);
  };

  const routerConfig = (extra: Record<string, string>) =>
    loadConfig(configSchema, {
      NODE_ENV: 'test',
      PORT: '0',
      ROUTER_SECRET: secret,
      ORDERS_URL: urls.orders,
      PAYMENTS_URL: urls.payments,
      NOTIFICATIONS_URL: urls.notifications,
      SUPERGRAPH_PATH: join(dir, 'supergraph.graphql'),
      NATS_URL: endpoints.nats,
      NATS_PREFIX: prefix,
      SUBSCRIPTION_HEARTBEAT_MS: '500',
      SHUTDOWN_TIMEOUT_MS: '3000',
      ...env,
      ...extra,
    });
  const routers: Router[] = [];
  const startRouter = async (extra: Record<string, string> = {}) => {
    const router = createRouter(routerConfig(extra), { log, verifyToken });
    routers.push(router);
    const { url } = await router.start();
    // the consumers start in the background: wait for all three
    for (let i = 0; i < 100 && router.subscriptionStats().source.consuming.length < 3; i++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    return { router, url };
  };
  const first = await startRouter();

  return {
    url: first.url,
    wsUrl: first.url.replace(/^http/, 'ws'),
    router: first.router,
    names,
    orders,
    requests,
    logs: logs.lines,
    async bearer(userId, options = {}) {
      // the same key for every lifetime, so the router trusts them all
      const signer = options.ttlSeconds ? await createTokenSigner([key], options.ttlSeconds) : issuer;
      const { token } = await signer.sign({
        id: userId,
        role: options.role ?? 'CUSTOMER',
        email: `${userId}@example.com`,
      });
      return `Bearer ${token}`;
    },
    order(userId) {
      const order: StoredOrder = {
        id: randomUUID(),
        userId,
        status: 'PENDING_PAYMENT',
        number: `SO-${orders.size + 1}`,
        createdAt: new Date().toISOString(),
        notifications: [],
      };
      orders.set(order.id, order);
      return order;
    },
    publish,
    events: {
      async paymentSucceeded(order) {
        order.payment = { id: randomUUID(), status: 'SUCCEEDED' };
        await publish(names.events.paymentsSucceeded, paymentEvent(order, order.payment.id, 'SUCCEEDED'));
        return order.payment.id;
      },
      async paymentFailed(order) {
        const id = randomUUID();
        order.payment = { id, status: 'FAILED' };
        await publish(names.events.paymentsFailed, paymentEvent(order, id, 'FAILED'));
        return id;
      },
      async paid(order) {
        order.status = 'PAID';
        await publish(names.events.ordersPaid, {
          eventId: randomUUID(),
          orderId: order.id,
          orderNumber: order.number,
          userId: order.userId,
          paymentId: order.payment?.id ?? randomUUID(),
          total: { amount: 1000, currency: 'EUR' },
          items: [],
          paidAt: new Date().toISOString(),
        });
      },
      async notificationSent(order, subject = `Order ${order.number} paid`) {
        const id = randomUUID().replace(/-/g, '').slice(0, 22);
        order.notifications.push({ id, subject });
        await publish(names.events.notificationsSent, {
          eventId: randomUUID(),
          notificationId: id,
          orderId: order.id,
          userId: order.userId,
          channel: 'EMAIL',
          kind: 'ORDER_CONFIRMATION',
          status: 'SENT',
          at: new Date().toISOString(),
        });
        return id;
      },
    },
    startRouter,
    async stop() {
      for (const router of routers) await router.stop();
      for (const server of servers) await server.close();
      await deleteStreams(nc, names);
      await nc.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const paymentEvent = (order: StoredOrder, paymentId: string, status: 'SUCCEEDED' | 'FAILED') => ({
  eventId: paymentId,
  paymentId,
  orderId: order.id,
  userId: order.userId,
  amount: { amount: 1000, currency: 'EUR' },
  status,
  failureReason: status === 'FAILED' ? 'CARD_DECLINED' : null,
  occurredAt: new Date().toISOString(),
});
