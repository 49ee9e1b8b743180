import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTokenVerifier } from '@shop/auth';
import { loadConfig } from '@shop/config';
import {
  connectNats,
  ContactRequest,
  endpoint,
  ensureStreams,
  jetstream,
  jetstreamManager,
  natsNames,
  publishEvent,
  serveEndpoints,
  type OrderDeliveredEvent,
  type OrderFulfilledEvent,
  type OrderPaidEvent,
  type OrderRefundedEvent,
} from '@shop/messaging';
import { createLogger } from '@shop/server';
import {
  createTestIssuer,
  endpoints,
  gql,
  mailpit,
  memoryLog,
  natsPrefix,
  runId,
  waitFor,
  deleteStreams,
} from '@shop/testing';
import { configSchema, createApp, type NotificationsApp } from '../src';
import type { AppOverrides } from '../src/app';
import type { Contact } from '../src/confirmations.service';
import { NotificationsRepository, openBucket } from '../src/notifications.repository';
import { line, orderPaid } from './events';

/** A TCP port nothing listens on (an SMTP server that is down). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export const ROUTER_SECRET = 'test-router-secret-0123456789';

/**
 * One test scenario: its own NATS prefix (streams, consumer, KV bucket), a stand-in for the users
 * service's users.contact, and helpers to publish orders.paid like the orders subgraph does.
 */
export async function scenario(label: string) {
  const prefix = natsPrefix(label);
  const names = natsNames(prefix);
  const logs = memoryLog();
  const log = createLogger({ name: 'notifications-test', level: 'debug' }, logs.stream);
  const issuer = await createTestIssuer();
  const nc = await connectNats(endpoints.nats, 'notifications-test');
  await ensureStreams(nc, names);
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const repo = new NotificationsRepository({ kv: await openBucket(nc, names.buckets.notifications) });

  const contacts = new Map<string, Contact>();
  let usersSilent = false;
  let contactRequests = 0;
  const users = serveEndpoints(
    nc,
    names.services.users,
    [
      endpoint({
        name: 'contact',
        subject: names.commands.usersContact,
        schema: ContactRequest,
        handler: async ({ userId }) => {
          contactRequests += 1;
          if (usersSilent) await sleep(1_000); // longer than USERS_TIMEOUT_MS: no answer in time
          const contact = contacts.get(userId);
          return contact
            ? { ok: true, id: userId, ...contact }
            : { ok: false, code: 'NOT_FOUND', message: 'no such user' };
        },
      }),
    ],
    log,
  );

  const apps = new Set<NotificationsApp>();

  return {
    names,
    repo,
    logs,
    issuer,
    nc,
    /** A customer with a unique email address (and optionally a phone). */
    customer(phone: string | null = null) {
      const id = randomUUID();
      const contact = { name: `Jane ${runId('n')}`, email: `${runId('jane')}@example.com`, phone };
      contacts.set(id, contact);
      return { id, ...contact };
    },
    setUsersSilent(silent: boolean) {
      usersSilent = silent;
    },
    contactRequests: () => contactRequests,
    /** An order of two mugs and a green tea, 42.97 EUR, paid now. */
    paidEvent(userId: string, overrides: Partial<OrderPaidEvent> = {}): OrderPaidEvent {
      const event = orderPaid(
        {
          eventId: randomUUID(),
          orderId: randomUUID(),
          orderNumber: `SO-${Math.floor(Math.random() * 1e6)}`,
          userId,
          paymentId: randomUUID(),
          paidAt: new Date().toISOString(),
        },
        [line('p-mug', 'Mug', 2, 1299), line('p-tea', 'Green tea', 1, 1699)],
      );
      return { ...event, ...overrides };
    },
    /** Publishes orders.paid exactly as the orders subgraph does (msgId = event id unless given). */
    publish: (event: OrderPaidEvent, msgId = event.eventId) =>
      publishEvent(js, names.events.ordersPaid, msgId, event),
    /** An admin refund of 42.97 EUR of a paid order (of `paid` when given: same order and payment). */
    refundedEvent(
      userId: string,
      paid?: OrderPaidEvent,
      overrides: Partial<OrderRefundedEvent> = {},
    ): OrderRefundedEvent {
      return {
        eventId: randomUUID(),
        orderId: paid?.orderId ?? randomUUID(),
        orderNumber: paid?.orderNumber ?? `SO-${Math.floor(Math.random() * 1e6)}`,
        userId,
        paymentId: paid?.paymentId ?? randomUUID(),
        amount: { amount: 4297, currency: 'EUR' },
        refundedAt: new Date().toISOString(),
        ...overrides,
      };
    },
    /** Publishes orders.refunded exactly as the orders subgraph does (msgId = event id unless given). */
    publishRefunded: (event: OrderRefundedEvent, msgId = event.eventId) =>
      publishEvent(js, names.events.ordersRefunded, msgId, event),
    /** An admin's fulfilment of an order (of `paid` when given: same order) with DHL and an https tracking link. */
    fulfilledEvent(
      userId: string,
      paid?: Pick<OrderPaidEvent, 'orderId' | 'orderNumber'>,
      overrides: Partial<OrderFulfilledEvent> = {},
    ): OrderFulfilledEvent {
      const trackingNumber = `JD${Math.floor(Math.random() * 1e10)}`;
      return {
        eventId: randomUUID(),
        orderId: paid?.orderId ?? randomUUID(),
        orderNumber: paid?.orderNumber ?? `SO-${Math.floor(Math.random() * 1e6)}`,
        userId,
        carrier: 'DHL',
        trackingNumber,
        trackingUrl: `https://www.dhl.com/track?tracking-id=${trackingNumber}&lang=en`,
        fulfilledAt: new Date().toISOString(),
        ...overrides,
      };
    },
    /** Publishes orders.fulfilled exactly as the orders subgraph does (msgId = event id unless given). */
    publishFulfilled: (event: OrderFulfilledEvent, msgId = event.eventId) =>
      publishEvent(js, names.events.ordersFulfilled, msgId, event),
    /** The delivery of a fulfilled order (of `order` when given). */
    deliveredEvent(
      userId: string,
      order?: Pick<OrderPaidEvent, 'orderId' | 'orderNumber'>,
      overrides: Partial<OrderDeliveredEvent> = {},
    ): OrderDeliveredEvent {
      return {
        eventId: randomUUID(),
        orderId: order?.orderId ?? randomUUID(),
        orderNumber: order?.orderNumber ?? `SO-${Math.floor(Math.random() * 1e6)}`,
        userId,
        deliveredAt: new Date().toISOString(),
        ...overrides,
      };
    },
    /** Publishes orders.delivered exactly as the orders subgraph does (msgId = event id unless given). */
    publishDelivered: (event: OrderDeliveredEvent, msgId = event.eventId) =>
      publishEvent(js, names.events.ordersDelivered, msgId, event),
    /** Starts the subgraph on the scenario's prefix; `overrides` replace e.g. the SMS provider. */
    async startApp(env: Record<string, string> = {}, overrides: Pick<AppOverrides, 'sms' | 'email'> = {}) {
      const config = loadConfig(configSchema, {
        PORT: '0',
        NATS_URL: endpoints.nats,
        NATS_PREFIX: prefix,
        SMTP_URL: endpoints.smtp,
        ROUTER_SECRET,
        USERS_TIMEOUT_MS: '300',
        MAX_DELIVER: '20',
        BACKOFF_MS: '150',
        LOG_LEVEL: 'debug',
        ...env,
      });
      const app = await createApp(config, {
        log,
        verifyToken: createTokenVerifier({ jwks: issuer.jwks }),
        ...overrides,
      });
      apps.add(app);
      const { url } = await app.start();
      return {
        app,
        url,
        stop: async () => {
          apps.delete(app);
          await app.stop();
        },
      };
    },
    /**
     * True once every consumer (orders.paid, .refunded, .fulfilled, .delivered) exists and has
     * nothing pending or unacknowledged.
     */
    async drained() {
      for (const consumer of [
        names.consumers.notificationsOnOrdersPaid,
        names.consumers.notificationsOnOrdersRefunded,
        names.consumers.notificationsOnOrdersFulfilled,
        names.consumers.notificationsOnOrdersDelivered,
      ]) {
        const info = await jsm.consumers.info(names.streams.orders, consumer).catch(() => null);
        if (!info || info.num_pending !== 0 || info.num_ack_pending !== 0) return false;
      }
      return true;
    },
    /** GraphQL over HTTP as the router would send it. */
    async query(
      url: string,
      query: string,
      variables: Record<string, unknown>,
      viewer?: { id: string; email: string; role?: 'CUSTOMER' | 'ADMIN' },
    ) {
      const headers: Record<string, string> = { 'x-router-secret': ROUTER_SECRET };
      if (viewer)
        headers.authorization = await issuer.bearer({
          id: viewer.id,
          email: viewer.email,
          role: viewer.role ?? 'CUSTOMER',
        });
      return gql(url, query, variables, headers);
    },
    async cleanup() {
      for (const app of apps) await app.stop();
      await users.stop();
      await deleteStreams(nc, names);
      await nc.close();
    },
  };
}

/** Waits until the address has at least `count` messages in Mailpit, then returns them. */
export async function mailsTo(address: string, count = 1, timeoutMs = 10_000) {
  return waitFor(
    async () => {
      const messages = await mailpit.messagesTo(address);
      return messages.length >= count ? messages : null;
    },
    { timeoutMs },
  );
}

export { mailpit, waitFor };
