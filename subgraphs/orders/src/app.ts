import { createTokenVerifier, type TokenVerifier } from '@shop/auth';
import { connectNats, ensureStreams, jetstream, natsNames } from '@shop/messaging';
import { createLogger, every, stopAll, type Logger, type Stoppable } from '@shop/server';
import { maxOrderAgeSeconds, type Config } from './config';
import { CartsRepository } from './carts.repository';
import { CartsService } from './carts.service';
import { createDb } from './db';
import { DiscountsRepository } from './discounts.repository';
import { DiscountsService } from './discounts.service';
import { productsClient, startMessaging, usersClient } from './messaging';
import { migrate } from './migrations';
import { createOutboxRelay, relayLoop } from './outbox-relay';
import { OrdersRepository } from './orders.repository';
import { OrdersService } from './orders.service';
import { RefundsRepository } from './refunds.repository';
import { createServer } from './server';
import { ShippingMethods } from './shipping';

export interface AppOverrides {
  /** Tests pass a logger writing to memoryLog(). */
  log?: Logger;
  /** Tests verify against createTestIssuer().jwks. */
  verifyToken?: TokenVerifier;
  /** The clock of the service. */
  now?: () => Date;
  /** false: no outbox relay loop (tests drive `relay.relayOnce()` themselves). */
  runRelay?: boolean;
  /** false: no expiry loop (tests call `service.expireDue()`). */
  runExpiry?: boolean;
  /** false: do not consume payment events. */
  consumePayments?: boolean;
  /** false: no audit loop (tests call `service.auditCharges()`). */
  runAudit?: boolean;
  /** false: no cart expiry loop (tests call `service.carts.expireIdle()`). */
  runCartExpiry?: boolean;
}

/**
 * Connections and migrations, then the repository, the service, the relay and the server; nothing
 * is served, consumed or polled until start().
 */
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

  const repository = new OrdersRepository({ db });
  const refunds = new RefundsRepository({ db });
  const products = productsClient(nc, names, config.RESERVE_TIMEOUT_MS, config.LOOKUP_TIMEOUT_MS);
  const carts = new CartsService({
    repository: new CartsRepository({ db, now: overrides.now }),
    products,
    log,
    idleSeconds: config.CART_IDLE_SECONDS,
    maxCartLines: config.MAX_CART_LINES,
    maxLineQuantity: config.MAX_LINE_QUANTITY,
    maxOrderTotal: config.MAX_ORDER_TOTAL,
    now: overrides.now,
  });
  const shipping = new ShippingMethods(config.SHIPPING_METHODS);
  const discounts = new DiscountsService({
    repository: new DiscountsRepository({ db }),
    carts,
    log,
    currency: shipping.currency,
    maxOrderTotal: config.MAX_ORDER_TOTAL,
    now: overrides.now,
  });
  if (config.SEED_DEMO_DATA) {
    const seeded = await discounts.seedDemoCodes();
    if (seeded.length > 0) log.info({ codes: seeded }, 'demo discount codes seeded');
  }
  const service = new OrdersService({
    repository,
    refunds,
    carts,
    discounts,
    shipping,
    users: usersClient(nc, names, config.USERS_TIMEOUT_MS),
    products,
    log,
    ttlSeconds: config.ORDER_TTL_SECONDS,
    paymentLeaseSeconds: config.PAYMENT_LEASE_SECONDS,
    maxOrderAgeSeconds: maxOrderAgeSeconds(config),
    maxCartLines: config.MAX_CART_LINES,
    maxQuantity: config.MAX_LINE_QUANTITY,
    maxOrderTotal: config.MAX_ORDER_TOTAL,
    maxUnpaidOrders: config.MAX_UNPAID_ORDERS,
    refundGraceSeconds: config.REFUND_GRACE_SECONDS,
    now: overrides.now,
  });
  const relay = createOutboxRelay({ repository, js: jetstream(nc), names, log });
  const server = await createServer({
    service,
    verifyToken,
    routerSecret: config.ROUTER_SECRET,
    log,
    ready: async () => {
      if (nc.isClosed()) return false;
      await db.rows('SELECT 1');
      return true;
    },
  });

  const running: Stoppable[] = [];
  let stopped: Promise<void> | undefined;

  return {
    config,
    log,
    names,
    nc,
    db,
    repository,
    refunds,
    service,
    relay,
    /** orders.payable and the payment consumers, the relay, expiry and audit loops, then the server. */
    async start() {
      running.push(
        await startMessaging({
          nc,
          names,
          service,
          log,
          consumePayments: overrides.consumePayments,
        }),
      );
      if (overrides.runRelay !== false)
        running.push(relayLoop(relay, repository, config.OUTBOX_POLL_MS, log));
      if (overrides.runExpiry !== false)
        running.push(every(config.EXPIRY_INTERVAL_MS, () => service.expireDue(), log, 'order expiry'));
      if (overrides.runAudit !== false)
        running.push(every(config.AUDIT_INTERVAL_MS, () => service.auditCharges(), log, 'charge audit'));
      if (overrides.runCartExpiry !== false)
        running.push(
          every(
            config.CART_EXPIRY_INTERVAL_MS,
            () => carts.expireIdle(config.CART_EXPIRY_BATCH),
            log,
            'cart expiry',
          ),
        );
      const address = await server.listen(config.PORT, config.HOST);
      running.push({ stop: () => server.close() });
      log.info({ url: address.url }, 'orders subgraph listening');
      return address;
    },
    /** Last started, first stopped; then the connections. A second call waits for the first. */
    stop(): Promise<void> {
      stopped ??= (async () => {
        try {
          await stopAll(running);
        } finally {
          await nc.drain().catch(() => undefined);
          await db.close();
        }
      })();
      return stopped;
    },
  };
}
export type OrdersApp = Awaited<ReturnType<typeof createApp>>;
