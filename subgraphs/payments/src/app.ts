import { Redis } from 'ioredis';
import { createTokenVerifier, type TokenVerifier } from '@shop/auth';
import { connectNats, ensureStreams, jetstream, natsNames } from '@shop/messaging';
import { createLogger, every, stopAll, type Logger, type Stoppable } from '@shop/server';
import { ActionsRepository } from './actions.repository';
import type { Config } from './config';
import { ordersClient, startMessaging } from './messaging';
import { createOutboxRelay, type OutboxRelayOptions } from './outbox-relay';
import { PaymentsRepository } from './payments.repository';
import { PaymentsService } from './payments.service';
import type { PaymentProvider } from './providers/provider';
import { PspProvider } from './providers/psp-provider';
import { StripeProvider } from './providers/stripe-provider';
import { RefundsRepository } from './refunds.repository';
import { createServer } from './server';

export interface AppOverrides {
  log?: Logger;
  verifyToken?: TokenVerifier;
  /** The payment provider; by default the one PAYMENT_PROVIDER names (providerFor). */
  provider?: PaymentProvider;
  /** false: do not consume orders.refund_requested (tests call the service themselves). */
  messaging?: boolean;
  /** false: do not run the outbox relay (tests drive it themselves). */
  relay?: boolean | Pick<OutboxRelayOptions, 'consumer' | 'claimIdleMs' | 'blockMs' | 'afterPublish'>;
}

/**
 * Connections, service, relay and HTTP server; start() starts messaging (the refund-request
 * consumer), the relay and then the server.
 */
export async function createApp(config: Config, overrides: AppOverrides = {}) {
  const log = overrides.log ?? createLogger({ name: 'payments', level: config.LOG_LEVEL });
  const names = natsNames(config.NATS_PREFIX);
  const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 3 });
  const blockingRedis = redis.duplicate();
  await redis.connect();
  await blockingRedis.connect();
  const nc = await connectNats(config.NATS_URL, 'payments');
  await ensureStreams(nc, names);

  const repository = new PaymentsRepository({ redis, prefix: config.REDIS_PREFIX });
  const refunds = new RefundsRepository({ redis, prefix: config.REDIS_PREFIX });
  const actions = new ActionsRepository({ redis, prefix: config.REDIS_PREFIX });
  const provider = overrides.provider ?? (await providerFor(config));
  const service = new PaymentsService({
    repository,
    refunds,
    actions,
    provider,
    orders: ordersClient(nc, names, config.ORDERS_TIMEOUT_MS),
    log,
    idempotencyTtlSeconds: config.IDEMPOTENCY_TTL_SECONDS,
    ordersTimeoutMs: config.ORDERS_TIMEOUT_MS,
    providerTimeoutMs: config.PROVIDER_TIMEOUT_MS,
  });
  const relayOptions = typeof overrides.relay === 'object' ? overrides.relay : {};
  const relay =
    overrides.relay === false
      ? null
      : createOutboxRelay({ repository, blockingRedis, js: jetstream(nc), names, log, ...relayOptions });
  const server = await createServer({
    service,
    verifyToken: overrides.verifyToken ?? createTokenVerifier({ jwksUrl: config.JWKS_URL }),
    routerSecret: config.ROUTER_SECRET,
    log,
    ready: async () => (await repository.ping()) && !nc.isClosed(),
  });

  const running: Stoppable[] = [];
  let stopped = false;
  return {
    repository,
    refunds,
    actions,
    provider,
    relay,
    names,
    service,
    async start() {
      if (overrides.messaging !== false) {
        running.push(
          await startMessaging({
            nc,
            names,
            service,
            maxDeliver: config.REFUND_MAX_DELIVER,
            backoffMs: config.REFUND_BACKOFF_MS,
            log,
          }),
        );
      }
      // Refunds owed by payments itself that a previous process left unrecorded: at once, then periodically.
      const pendingRefunds = every(
        config.PENDING_REFUND_INTERVAL_MS,
        () => service.retryPendingRefunds(),
        log,
        'payments pending refunds',
      );
      pendingRefunds.wake();
      running.push(pendingRefunds);
      // Payments awaiting authentication whose webhook never came: looked up once their action
      // expired (at once, for those a previous process left, then periodically).
      const pendingActions = every(
        config.PENDING_ACTION_INTERVAL_MS,
        () => service.settleExpiredActions(),
        log,
        'payments pending actions',
      );
      pendingActions.wake();
      running.push(pendingActions);
      if (relay) {
        await relay.start();
        running.push(relay);
      }
      const address = await server.listen(config.PORT, config.HOST);
      running.push({ stop: () => server.close() });
      log.info({ url: address.url }, 'payments subgraph listening');
      return address;
    },
    /** Server, relay, messaging (last started, first stopped), then the connections. Safe twice. */
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await stopAll(running);
      } finally {
        await nc.drain();
        blockingRedis.disconnect();
        await redis.quit();
      }
    },
  };
}
export type PaymentsApp = Awaited<ReturnType<typeof createApp>>;

/** The provider PAYMENT_PROVIDER names: the test PSP over HTTP (default) or Stripe. */
export async function providerFor(config: Config): Promise<PaymentProvider> {
  if (config.PAYMENT_PROVIDER === 'stripe') {
    // the config refuses PAYMENT_PROVIDER=stripe without both secrets
    return new StripeProvider({
      secretKey: config.STRIPE_SECRET_KEY ?? '',
      webhookSecret: config.STRIPE_WEBHOOK_SECRET ?? '',
      ...(config.STRIPE_API_URL ? { apiUrl: config.STRIPE_API_URL } : {}),
      ...(config.STRIPE_RETURN_URL ? { returnUrl: config.STRIPE_RETURN_URL } : {}),
      toleranceSeconds: config.WEBHOOK_TOLERANCE_SECONDS,
    });
  }
  return new PspProvider({
    url: config.PSP_URL,
    secretKey: config.PSP_SECRET_KEY,
    webhookSecret: config.PSP_WEBHOOK_SECRET,
    toleranceSeconds: config.WEBHOOK_TOLERANCE_SECONDS,
  });
}
