import { createTokenVerifier, type TokenVerifier } from '@shop/auth';
import {
  connectNats,
  consumeDurable,
  endpoint,
  ensureStreams,
  jetstream,
  natsNames,
  PayableRequest,
  PaymentEvent,
  serveEndpoints,
} from '@shop/messaging';
import { createLogger, type Logger } from '@shop/server';
import type { Config } from './config';
import { createDb } from './db';
import { migrate } from './migrations';
import { OrdersRepository } from './orders.repository';
import { OrdersService, type ProductsClient } from './orders.service';
import { createOutboxRelay, every } from './outbox-relay';
import { natsProductsClient } from './products.client';
import { createServer } from './server';

export interface AppOverrides {
  /** Tests pass a logger writing to memoryLog(). */
  log?: Logger;
  /** Tests verify against createTestIssuer().jwks. */
  verifyToken?: TokenVerifier;
  /** Replaces the NATS products client (unit-level tests). */
  products?: ProductsClient;
  /** The clock of the service. */
  now?: () => Date;
  /** false: no outbox relay loop (tests drive `relay.relayOnce()` themselves). */
  runRelay?: boolean;
  /** false: no expiry loop (tests call `orders.expireDue()`). */
  runExpiry?: boolean;
  /** false: do not consume payment events. */
  consumePayments?: boolean;
}

/** Connections, migrations, NATS endpoints, the payment consumer, background loops and the server. */
export async function createApp(config: Config, overrides: AppOverrides = {}) {
  const log = overrides.log ?? createLogger({ name: 'orders', level: config.LOG_LEVEL });
  const verifyToken = overrides.verifyToken ?? createTokenVerifier({ jwksUrl: config.JWKS_URL });
  const names = natsNames(config.NATS_PREFIX);

  const db = createDb(config.MYSQL_URL);
  const nc = await connectNats(config.NATS_URL, 'orders').catch(async (error: unknown) => {
    await db.close();
    throw error;
  });
  try {
    await migrate(db);
    await ensureStreams(nc, names);
  } catch (error) {
    await nc.close();
    await db.close();
    throw error;
  }

  const js = jetstream(nc);
  const repo = new OrdersRepository(db);
  const products = overrides.products ?? natsProductsClient(nc, names, config.RESERVE_TIMEOUT_MS);
  const orders = new OrdersService(
    repo,
    products,
    {
      ttlSeconds: config.ORDER_TTL_SECONDS,
      paymentLeaseSeconds: config.PAYMENT_LEASE_SECONDS,
      maxCartLines: config.MAX_CART_LINES,
      ...(overrides.now ? { now: overrides.now } : {}),
    },
    log,
  );
  const relay = createOutboxRelay({ repo, js, names, log });

  const ready = async () => {
    if (nc.isClosed()) return false;
    await db.rows('SELECT 1');
    return true;
  };
  const server = await createServer({
    repo,
    orders,
    verifyToken,
    routerSecret: config.ROUTER_SECRET,
    log,
    ready,
  });

  const running: { stop(): Promise<void> }[] = [];
  let started = false;

  return {
    config,
    log,
    names,
    nc,
    db,
    repo,
    orders,
    relay,
    async start() {
      const address = await server.listen(config.PORT, config.HOST);
      started = true;
      running.push(
        serveEndpoints(
          nc,
          names.services.orders,
          [
            endpoint({
              name: 'payable',
              subject: names.commands.ordersPayable,
              schema: PayableRequest,
              handler: (req) => orders.payable(req.orderId, req.userId),
            }),
          ],
          log,
        ),
      );
      if (overrides.consumePayments !== false) {
        running.push(
          await consumeDurable(nc, {
            stream: names.streams.payments,
            durable: names.consumers.ordersOnPayments,
            filterSubjects: [names.events.paymentsSucceeded, names.events.paymentsFailed],
            schema: PaymentEvent,
            deadLetterSubject: names.events.ordersDeadLetter,
            handler: async (event) => {
              await orders.applyPaymentEvent(event);
            },
            log,
          }),
        );
      }
      if (overrides.runRelay !== false) {
        // Polling finds rows of other instances and of crashed passes; rows committed by this
        // process wake the relay at once, and a full batch runs the next pass straight away.
        const loop = every(
          config.OUTBOX_POLL_MS,
          async () => {
            const { published } = await relay.relayOnce();
            if (published >= relay.batchSize) loop.wake();
          },
          log,
          'outbox relay',
        );
        const unsubscribe = repo.onOutboxCommit(() => loop.wake());
        running.push({
          async stop() {
            unsubscribe();
            await loop.stop();
          },
        });
      }
      if (overrides.runExpiry !== false)
        running.push(every(config.EXPIRY_INTERVAL_MS, () => orders.expireDue(), log, 'order expiry'));
      log.info({ url: address.url }, 'orders subgraph listening');
      return address;
    },
    async stop() {
      if (started) await server.close();
      for (const task of running.splice(0).reverse()) await task.stop();
      await nc.drain().catch(() => undefined);
      await db.close();
    },
  };
}
export type OrdersApp = Awaited<ReturnType<typeof createApp>>;
