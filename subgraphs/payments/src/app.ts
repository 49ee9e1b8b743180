import { Redis } from 'ioredis';
import { createTokenVerifier, type TokenVerifier } from '@shop/auth';
import {
  connectNats,
  ensureStreams,
  jetstream,
  natsNames,
  PayableReply,
  request,
  ServiceUnavailableError,
} from '@shop/messaging';
import { createLogger, type Logger } from '@shop/server';
import type { Config } from './config';
import { PaymentRepository } from './payments.repository';
import { OrdersUnavailableError, PaymentService, type PayableLookup } from './payments.service';
import type { PaymentProvider } from './providers/provider';
import { TestPaymentProvider } from './providers/test-provider';
import { createOutboxRelay, type RelayOptions } from './relay';
import { createServer } from './server';

export interface AppOverrides {
  log?: Logger;
  verifyToken?: TokenVerifier;
  /** The card processor; the deterministic TestPaymentProvider by default. */
  provider?: PaymentProvider;
  /** false: do not run the outbox relay (tests drive it themselves). */
  relay?: boolean | Pick<RelayOptions, 'consumer' | 'claimIdleMs' | 'blockMs' | 'afterPublish'>;
}

/** Connections + NATS + relay + HTTP server. Nothing connects until this is awaited. */
export async function createApp(config: Config, overrides: AppOverrides = {}) {
  const log = overrides.log ?? createLogger({ name: 'payments', level: config.LOG_LEVEL });
  const names = natsNames(config.NATS_PREFIX);
  const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 3 });
  const blockingRedis = redis.duplicate();
  await redis.connect();
  await blockingRedis.connect();
  const nc = await connectNats(config.NATS_URL, 'payments');
  await ensureStreams(nc, names);
  const js = jetstream(nc);

  const repository = new PaymentRepository(redis, config.REDIS_PREFIX);
  const provider = overrides.provider ?? new TestPaymentProvider();
  const payable: PayableLookup = async (orderId, userId) => {
    try {
      return await request(
        nc,
        names.commands.ordersPayable,
        { orderId, userId },
        PayableReply,
        config.ORDERS_TIMEOUT_MS,
      );
    } catch (error) {
      if (error instanceof ServiceUnavailableError) throw new OrdersUnavailableError(error.message);
      throw error;
    }
  };
  const service = new PaymentService({
    repository,
    provider,
    payable,
    log,
    fingerprintSecret: config.CARD_FINGERPRINT_SECRET,
    idempotencyTtlSeconds: config.IDEMPOTENCY_TTL_SECONDS,
  });
  const relayOptions = typeof overrides.relay === 'object' ? overrides.relay : {};
  const relay =
    overrides.relay === false
      ? null
      : createOutboxRelay({ repository, blockingRedis, js, names, log, ...relayOptions });
  const server = await createServer({
    repository,
    service,
    verifyToken: overrides.verifyToken ?? createTokenVerifier({ jwksUrl: config.JWKS_URL }),
    routerSecret: config.ROUTER_SECRET,
    log,
    ready: async () => (await repository.ping()) && !nc.isClosed(),
  });

  let stopped = false;
  return {
    repository,
    provider,
    relay,
    names,
    async start() {
      await relay?.start();
      const address = await server.listen(config.PORT, config.HOST);
      log.info({ url: address.url }, 'payments subgraph listening');
      return address;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.close();
      await relay?.stop();
      await nc.drain();
      blockingRedis.disconnect();
      await redis.quit();
    },
  };
}
export type PaymentsApp = Awaited<ReturnType<typeof createApp>>;
