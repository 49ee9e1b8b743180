import { randomUUID } from 'node:crypto';
import { loadConfig } from '@shop/config';
import { createTokenVerifier } from '@shop/auth';
import { createLogger } from '@shop/server';
import { endpoints, memoryLog, mongoDatabase, natsPrefix } from '@shop/testing';
import { createApp as createProducts, configSchema as productsConfig } from '@shop/products';
import mongoose from 'mongoose';
import type { AppOverrides } from '../src/app';
import { bootOrders, ROUTER_SECRET } from './helpers';

/** The orders subgraph against the real products subgraph (MongoDB/FerretDB), over one NATS prefix. */
export async function bootWithProducts(env: Record<string, string> = {}, overrides: AppOverrides = {}) {
  const prefix = natsPrefix('op');
  const mongo = mongoDatabase('ordprod');
  const h = await bootOrders(overrides, env, { prefix });
  const productsApp = await createProducts(
    loadConfig(productsConfig, {
      PORT: '0',
      MONGO_URL: mongo.url,
      NATS_URL: endpoints.nats,
      NATS_PREFIX: prefix,
      ROUTER_SECRET,
      SEED_IF_EMPTY: 'false',
    }),
    {
      log: createLogger({ name: 'products-test' }, memoryLog().stream),
      verifyToken: createTokenVerifier({ jwks: h.issuer.jwks }),
    },
  );
  const { url: productsUrl } = await productsApp.start();
  const addProduct = async (name: string, stock: number, amount: number) =>
    productsApp.repository.insert({
      sku: `SKU-${randomUUID().slice(0, 8)}`,
      name,
      description: 'test product',
      price: { amount, currency: 'EUR' },
      stock,
      category: 'test',
    });
  const stockOf = async (id: string) => (await productsApp.repository.findById(id))!.stock;
  return {
    h,
    productsApp,
    productsUrl,
    addProduct,
    stockOf,
    async stop() {
      await productsApp.stop();
      await h.stop();
      const conn = await mongoose.createConnection(mongo.url).asPromise();
      await conn.dropDatabase();
      await conn.close();
    },
  };
}
