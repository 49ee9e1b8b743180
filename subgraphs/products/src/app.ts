import mongoose from 'mongoose';
import { createTokenVerifier, type TokenVerifier } from '@shop/auth';
import { connectNats, ensureStreams, natsNames, type NatsConnection } from '@shop/messaging';
import { createLogger, type Logger } from '@shop/server';
import type { Config } from './config';
import { consumeOrderEvents, serveReservationEndpoints } from './messaging';
import { createProductRepository, type LockOptions } from './product.repository';
import { createProductService } from './product.service';
import { createReservationService } from './reservation.service';
import { seedCatalogue } from './seed-data';
import { createServer } from './server';

export interface AppOverrides {
  /** Tests pass a logger writing to memoryLog(). */
  log?: Logger;
  /** Tests verify against createTestIssuer().jwks. */
  verifyToken?: TokenVerifier;
  /** Lock timings (tests shorten them). */
  locks?: LockOptions;
}

/**
 * How often reservations left PENDING by a dead reserver are looked for (how long counts as dead is
 * the reservation service's `staleMs`). The sweep is a collection scan on FerretDB, hence not more
 * often than every 10 s.
 */
const RECOVERY_EVERY_MS = 10_000;

/**
 * The one way to run the products subgraph: connects MongoDB and NATS, creates indexes, seeds an
 * empty catalogue when SEED_IF_EMPTY; start() serves HTTP, the NATS endpoints, the orders.cancelled
 * and orders.paid consumers and the recovery of half-done reservations; stop() drains everything.
 */
export async function createApp(config: Config, overrides: AppOverrides = {}) {
  const log = overrides.log ?? createLogger({ name: 'products', level: config.LOG_LEVEL });
  const verifyToken = overrides.verifyToken ?? createTokenVerifier({ jwksUrl: config.JWKS_URL });
  const names = natsNames(config.NATS_PREFIX);

  const connection = await mongoose
    .createConnection(config.MONGO_URL, { serverSelectionTimeoutMS: 5000 })
    .asPromise();
  let nc: NatsConnection | undefined;
  try {
    const repository = createProductRepository(connection, overrides.locks);
    await repository.init();
    if (config.SEED_IF_EMPTY && (await repository.count()) === 0) {
      const added = await seedCatalogue(repository);
      log.info({ added }, 'empty catalogue seeded');
    }
    const products = createProductService(repository);
    const reservations = createReservationService(repository);
    nc = await connectNats(config.NATS_URL, 'products');
    await ensureStreams(nc, names);
    const natsConnection = nc;

    const server = createServer({
      products,
      verifyToken,
      routerSecret: config.ROUTER_SECRET,
      log,
      ready: async () => !natsConnection.isClosed() && (await repository.ping()),
    });

    let stopEndpoints: (() => Promise<void>) | undefined;
    let stopConsumers: (() => Promise<void>) | undefined;
    let recoveryTimer: NodeJS.Timeout | undefined;
    const recover = () =>
      reservations
        .recoverStale()
        .then((released) => {
          if (released > 0) log.warn({ released }, 'released reservations left half-done by a dead process');
        })
        .catch((error: unknown) => log.error({ err: error }, 'reservation recovery failed'));

    return {
      config,
      names,
      repository,
      products,
      reservations,
      server,
      nats: natsConnection,
      async start(): Promise<{ url: string; port: number }> {
        stopEndpoints = serveReservationEndpoints(natsConnection, names, reservations, log).stop;
        stopConsumers = (await consumeOrderEvents(natsConnection, names, reservations, log)).stop;
        recoveryTimer = setInterval(() => void recover(), RECOVERY_EVERY_MS);
        recoveryTimer.unref();
        await server.listen({ port: config.PORT, host: config.HOST });
        const address = server.server.address();
        const port = typeof address === 'object' && address ? address.port : config.PORT;
        const url = `http://${config.HOST}:${port}/graphql`;
        log.info({ url }, 'products subgraph listening');
        return { url, port };
      },
      async stop(): Promise<void> {
        await stopEndpoints?.();
        clearInterval(recoveryTimer);
        await stopConsumers?.();
        await server.close();
        await natsConnection.drain().catch(() => undefined);
        await connection.close();
      },
    };
  } catch (error) {
    await nc?.close().catch(() => undefined);
    await connection.close().catch(() => undefined);
    throw error;
  }
}

export type ProductsApp = Awaited<ReturnType<typeof createApp>>;
