import mongoose from 'mongoose';
import { createTokenVerifier, type TokenVerifier } from '@shop/auth';
import { connectNats, ensureStreams, natsNames, type NatsConnection } from '@shop/messaging';
import { createLogger, every, stopAll, type Logger, type Stoppable } from '@shop/server';
import type { Config } from './config';
import { migrateCatalogue } from './catalogue.migrations';
import { CategoriesRepository } from './categories.repository';
import { CategoriesService } from './categories.service';
import { ImageStore } from './images';
import { Locks, type LockOptions } from './locks';
import { startMessaging } from './messaging';
import { ProductsRepository } from './products.repository';
import { ProductsService } from './products.service';
import { ReservationsRepository } from './reservations.repository';
import { ReservationsService } from './reservations.service';
import { seedCatalogue } from './seed-data';
import { createServer } from './server';
import { SlugRegistry } from './slugs.repository';
import { SkuRegistry } from './variants.skus';
import { VariantsRepository } from './variants.repository';
import { VariantsService } from './variants.service';

export interface AppOverrides {
  /** Tests pass a logger writing to memoryLog(). */
  log?: Logger;
  /** Tests verify against createTestIssuer().jwks. */
  verifyToken?: TokenVerifier;
  /** Lock timings (tests shorten them). */
  locks?: LockOptions;
  /** How often the recovery sweep runs (default RECOVERY_EVERY_MS; tests that count what it does set it). */
  recoveryEveryMs?: number;
  /** The images served at /images/ (default: the committed demo images). */
  images?: ImageStore;
}

/**
 * How often reservations left PENDING by a dead reserver, and holds without a live reservation, are
 * looked for (how long counts as dead is the reservation service's `staleMs`). The sweep is two
 * collection scans on FerretDB, hence not more often than every 10 s.
 */
const RECOVERY_EVERY_MS = 10_000;
/** How often pending search-index markers are looked at (one read of a collection that is normally empty). */
const SEARCH_REPAIR_EVERY_MS = 15_000;

/**
 * The one way to run the products subgraph: connects MongoDB and NATS, creates indexes (and runs the
 * reservations' re-keying migration and the catalogue's: categories and slugs of older products),
 * seeds an empty catalogue when SEED_IF_EMPTY; start() serves
 * the NATS endpoints and the orders.cancelled and orders.paid consumers (messaging.ts), the recovery
 * sweep (half-done reservations and holds without a live reservation) and HTTP; stop() stops them in reverse and closes the connections.
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
    const locks = new Locks({ connection, ...overrides.locks });
    const slugs = new SlugRegistry({ connection, locks });
    const skus = new SkuRegistry({ connection, locks });
    const repository = new ProductsRepository({ connection, locks, slugs, skus });
    const categoriesRepository = new CategoriesRepository({ connection, locks, slugs });
    const reservationsRepository = new ReservationsRepository({ connection, locks });
    const variantsRepository = new VariantsRepository({ connection, locks });
    const categories = new CategoriesService({
      repository: categoriesRepository,
      countProducts: (ids) => repository.countInCategories(ids),
    });
    const images = overrides.images ?? ImageStore.fromDirectory();
    await repository.init();
    await reservationsRepository.init();
    await migrateCatalogue({ products: repository, categories, log });
    if (config.SEED_IF_EMPTY && (await repository.count()) === 0) {
      const added = await seedCatalogue({ products: repository, categories });
      log.info({ added }, 'empty catalogue seeded');
    }
    // After the seed, so that its SKUs are registered too (variants.repository.ts init).
    const variantsReport = await variantsRepository.init();
    if (variantsReport.migrated > 0 || variantsReport.registered > 0)
      log.info(variantsReport, 'products migrated to variants, SKUs registered');
    if (variantsReport.conflicts.length > 0)
      log.warn({ skus: variantsReport.conflicts }, 'SKUs stored on two variants (before the SKU registry)');
    // Search index (search.repository.ts), after every migration and the seed: built once if it never
    // was (one scan of the products), then what crashed writers left unindexed is indexed.
    await repository.search.init(log);
    const variants = new VariantsService({
      repository: variantsRepository,
      maxStock: config.MAX_STOCK,
      maxPriceAmount: config.MAX_PRICE_AMOUNT,
      lowStockThreshold: config.LOW_STOCK_THRESHOLD,
      images,
    });
    const products = new ProductsService({
      repository,
      categories,
      variants,
      images,
      publicUrl: config.PUBLIC_URL,
      maxStock: config.MAX_STOCK,
      maxPriceAmount: config.MAX_PRICE_AMOUNT,
      lowStockThreshold: config.LOW_STOCK_THRESHOLD,
    });
    const reservations = new ReservationsService({
      repository: reservationsRepository,
      products: repository,
      locks,
      maxStock: config.MAX_STOCK,
      log,
    });
    nc = await connectNats(config.NATS_URL, 'products');
    await ensureStreams(nc, names);
    const natsConnection = nc;

    const server = createServer({
      service: products,
      verifyToken,
      routerSecret: config.ROUTER_SECRET,
      log,
      images,
      ready: async () => !natsConnection.isClosed() && (await repository.ping()),
    });

    const recover = async () => {
      const report = await reservations.recoverStale();
      if (report.released > 0)
        log.warn({ released: report.released }, 'released reservations left half-done by a dead process');
      if (report.orphanHolds > 0 || report.soldHolds > 0)
        log.warn(
          { orphanHolds: report.orphanHolds, orphanUnits: report.orphanUnits, soldHolds: report.soldHolds },
          'reconciled holds without a live reservation',
        );
    };

    const running: Stoppable[] = [];
    let closed = false;

    return {
      config,
      names,
      /** The catalogue (other subgraphs' tests add products through it). */
      repository,
      /** The category tree (tests add categories through it). */
      categories,
      categoriesRepository,
      slugs,
      reservationsRepository,
      /** Variants (tests insert products with variants through it) and the SKU registry. */
      variantsRepository,
      products,
      variants,
      reservations,
      nats: natsConnection,
      async start(): Promise<{ url: string; port: number }> {
        running.push(await startMessaging({ nc: natsConnection, names, reservations, log }));
        running.push(
          every(overrides.recoveryEveryMs ?? RECOVERY_EVERY_MS, recover, log, 'reservation recovery'),
        );
        // Search index: products whose writer died before indexing them (pending markers).
        running.push(
          every(SEARCH_REPAIR_EVERY_MS, () => repository.search.repair(), log, 'search index repair'),
        );
        const address = await server.listen(config.PORT, config.HOST);
        running.push({ stop: () => server.close() });
        log.info({ url: address.url }, 'products subgraph listening');
        return address;
      },
      /** Stops what start() started (last first), then closes the connections. Safe to call twice. */
      async stop(): Promise<void> {
        try {
          await stopAll(running);
        } finally {
          if (!closed) {
            closed = true;
            await natsConnection.drain().catch(() => undefined);
            await connection.close();
          }
        }
      },
    };
  } catch (error) {
    await nc?.close().catch(() => undefined);
    await connection.close().catch(() => undefined);
    throw error;
  }
}

export type ProductsApp = Awaited<ReturnType<typeof createApp>>;
