import { loadConfig } from '@shop/config';
import { createTokenVerifier, ROUTER_SECRET_HEADER, type Viewer } from '@shop/auth';
import { connectNats, natsNames, type NatsConnection } from '@shop/messaging';
import { createLogger } from '@shop/server';
import {
  createTestIssuer,
  gql,
  memoryLog,
  mongoDatabase,
  natsPrefix,
  endpoints,
  type GraphQLResponse,
  deleteStreams,
} from '@shop/testing';
import mongoose from 'mongoose';
import { configSchema, createApp, type AppOverrides, type ProductsApp } from '../src';
import type { ProductSort, ResolvedFilter } from '../src/models';
import { slugify } from '../src/slugs';

export const ROUTER_SECRET = 'test-router-secret-0123456789';
export const admin: Viewer = { id: 'u-admin', role: 'ADMIN', email: 'admin@example.com' };
export const customer: Viewer = { id: 'u-customer', role: 'CUSTOMER', email: 'customer@example.com' };

/**
 * Boots the real products app against its own Mongo database and NATS prefix, with a test token
 * issuer and an in-memory log. cleanup() stops it, drops the database and deletes the streams.
 */
export async function bootProducts(
  label: string,
  env: Record<string, string> = {},
  overrides: Pick<AppOverrides, 'recoveryEveryMs'> = {},
) {
  const db = mongoDatabase(label);
  const prefix = natsPrefix(label);
  const issuer = await createTestIssuer();
  const logs = memoryLog();
  const config = loadConfig(configSchema, {
    PORT: '0',
    MONGO_URL: db.url,
    NATS_URL: endpoints.nats,
    NATS_PREFIX: prefix,
    ROUTER_SECRET,
    SEED_IF_EMPTY: 'false',
    LOG_LEVEL: 'info',
    ...env,
  });
  const app: ProductsApp = await createApp(config, {
    log: createLogger({ name: 'products-test', level: 'info' }, logs.stream),
    verifyToken: createTokenVerifier({ jwks: issuer.jwks }),
    ...overrides,
  });
  const { url } = await app.start();
  const nc: NatsConnection = await connectNats(endpoints.nats, 'products-test');
  /** The test's own connection to the app's database, to read invariants from the store itself. */
  const store = await mongoose.createConnection(db.url).asPromise();
  const names = natsNames(prefix);

  const headersFor = async (viewer?: Viewer): Promise<Record<string, string>> => ({
    [ROUTER_SECRET_HEADER]: ROUTER_SECRET,
    ...(viewer ? { authorization: await issuer.bearer(viewer) } : {}),
  });

  return {
    app,
    url,
    nc,
    names,
    store,
    logs,
    issuer,
    /** A GraphQL request as the router sends it (secret header), optionally with a viewer's token. */
    query: async <T = Record<string, unknown>>(
      query: string,
      variables?: Record<string, unknown>,
      viewer?: Viewer,
    ): Promise<GraphQLResponse<T>> => gql<T>(url, query, variables, await headersFor(viewer)),
    async cleanup() {
      await app.stop();
      await deleteStreams(nc, names);
      await nc.close();
      await store.dropDatabase();
      await store.close();
    },
  };
}

export type Booted = Awaited<ReturnType<typeof bootProducts>>;

/** No condition: every product. */
export const anyProduct: ResolvedFilter = {
  search: null,
  categoryIds: null,
  inStock: null,
  minPrice: null,
  maxPrice: null,
};

/** The first `limit` products in a sort order, straight from the repository. */
export const listAll = (booted: Booted, sort: ProductSort, limit: number) =>
  booted.app.repository.list(
    anyProduct,
    sort,
    { direction: 'forward', cursor: null, inclusive: false },
    limit,
  );

/** The id of the category with this slug, created top-level when missing (through the service's rules). */
export async function categoryId(booted: Booted, slug: string): Promise<string> {
  // One read when it exists (no tree lock: concurrent inserts of a test do not queue on it).
  const id = (await booted.app.categories.loadTree()).bySlugOrNull(slug)?.id;
  if (id) return id;
  return booted.app.categories.withTree(
    async (tree) => (await booted.app.categories.ensureLegacy(tree, slug)).id,
  );
}

/** Inserts a product straight through the repository (the admin API is tested separately). */
export async function addProduct(
  booted: Booted,
  overrides: Partial<{ sku: string; name: string; stock: number; amount: number; category: string }> = {},
) {
  const n = Math.random().toString(36).slice(2, 10);
  const name = overrides.name ?? `Product ${n}`;
  return booted.app.repository.insert(
    {
      name,
      slug: slugify(name, 'product'),
      description: 'test product',
      categoryIds: [await categoryId(booted, overrides.category ?? 'test')],
      images: [],
      options: [],
      variants: [
        {
          sku: overrides.sku ?? `SKU-${n}`,
          selectedOptions: [],
          price: { amount: overrides.amount ?? 1000, currency: 'EUR' },
          stock: overrides.stock ?? 10,
          images: [],
        },
      ],
    },
    { base: slugify(name, 'product') },
  );
}
