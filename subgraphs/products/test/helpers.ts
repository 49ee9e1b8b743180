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

/** Inserts a product straight through the repository (the admin API is tested separately). */
export async function addProduct(
  booted: Booted,
  overrides: Partial<{ sku: string; name: string; stock: number; amount: number; category: string }> = {},
) {
  const n = Math.random().toString(36).slice(2, 10);
  return booted.app.repository.insert({
    sku: overrides.sku ?? `SKU-${n}`,
    name: overrides.name ?? `Product ${n}`,
    description: 'test product',
    price: { amount: overrides.amount ?? 1000, currency: 'EUR' },
    stock: overrides.stock ?? 10,
    category: overrides.category ?? 'test',
  });
}
