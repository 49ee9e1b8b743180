import { randomUUID } from 'node:crypto';
import { loadConfig } from '@shop/config';
import { createTokenVerifier } from '@shop/auth';
import { createLogger } from '@shop/server';
import { endpoints, memoryLog, mongoDatabase, natsPrefix } from '@shop/testing';
import type { Viewer } from '@shop/auth';
import { createApp as createProducts, configSchema as productsConfig } from '@shop/products';
import mongoose, { type Model } from 'mongoose';
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
  const admin: Viewer = { id: randomUUID(), role: 'ADMIN', email: 'admin@example.test' };
  const sku = () => `SKU-${randomUUID().slice(0, 8)}`;
  /** Creates a product through products' own rules (createProduct, as an admin); fails on a refusal. */
  const create = async (input: Parameters<typeof productsApp.products.createProduct>[1]) => {
    const res = await productsApp.products.createProduct(admin, input);
    if (res.__typename !== 'Product') throw new Error(`createProduct refused: ${JSON.stringify(res)}`);
    return res;
  };
  /** A product without options: one variant, `<id>-1`, with this stock and price (EUR unless said). */
  const addProduct = async (name: string, stock: number, amount: number, currency = 'EUR') =>
    create({
      sku: sku(),
      name,
      description: 'test product',
      price: { amount, currency },
      stock,
      category: 'test',
    });
  /**
   * A product with one option (`Size` unless said) and a variant per value, each with its own
   * price (EUR) and stock; its variants in the order given (ids `<id>-1`, `<id>-2`, ...).
   */
  const addVariants = async (
    name: string,
    variants: { value: string; amount: number; stock: number }[],
    option = 'Size',
  ) => {
    // products takes the product's sku and price as its first variant's.
    const skus = variants.map(() => sku());
    return create({
      sku: skus[0]!,
      name,
      price: { amount: variants[0]!.amount, currency: 'EUR' },
      category: 'test',
      options: [{ name: option, values: variants.map((v) => v.value) }],
      variants: variants.map((v, i) => ({
        sku: skus[i]!,
        selectedOptions: [{ name: option, value: v.value }],
        price: { amount: v.amount, currency: 'EUR' },
        stock: v.stock,
      })),
    });
  };
  /** Takes a variant off sale (removeVariant, as an admin); fails on a refusal. */
  const removeVariant = async (variantId: string) => {
    const res = await productsApp.variants.removeVariant(admin, variantId);
    if (res.__typename !== 'Product') throw new Error(`removeVariant refused: ${JSON.stringify(res)}`);
  };
  /** Changes a product's name, or its only variant's price (updateProduct, as an admin). */
  const updateProduct = async (
    id: string,
    input: Parameters<typeof productsApp.products.updateProduct>[2],
  ) => {
    const res = await productsApp.products.updateProduct(admin, id, input);
    if (res.__typename !== 'Product') throw new Error(`updateProduct refused: ${JSON.stringify(res)}`);
  };
  /** Changes one variant's price (updateVariant, as an admin). */
  const setVariantPrice = async (variantId: string, amount: number) => {
    const res = await productsApp.variants.updateVariant(admin, variantId, {
      price: { amount, currency: 'EUR' },
    });
    if (res.__typename !== 'Product') throw new Error(`updateVariant refused: ${JSON.stringify(res)}`);
  };
  /** Adds delta to the stock of a variant, or of a product's only variant (adjustStock, as an admin). */
  const adjustStock = async (id: string, delta: number) => {
    const res = await productsApp.variants.adjustStock(admin, id, delta);
    if (res.__typename !== 'Product') throw new Error(`adjustStock refused: ${JSON.stringify(res)}`);
  };
  /**
   * Sets the price of a product without options straight in products' store (both the variant's and
   * the derived product price), past products' own checks: data written before they existed.
   */
  const priceInStore = async (productId: string, amount: number) => {
    const model = (productsApp.repository as unknown as { products: Model<unknown> }).products;
    await model.findOneAndUpdate(
      { _id: productId },
      { $set: { 'price.amount': amount, 'variants.0.price.amount': amount } },
    );
  };
  /** The units a product (all its variants) has in stock now. */
  const stockOf = async (id: string) => (await productsApp.repository.findById(id))!.stock;
  /** The units one variant has in stock now. */
  const variantStock = async (variantId: string) =>
    (await productsApp.repository.findById(variantId.slice(0, 24)))!.variants.find((v) => v.id === variantId)!
      .stock;
  return {
    h,
    productsApp,
    productsUrl,
    admin,
    addProduct,
    addVariants,
    removeVariant,
    updateProduct,
    setVariantPrice,
    adjustStock,
    priceInStore,
    stockOf,
    variantStock,
    async stop() {
      await productsApp.stop();
      await h.stop();
      const conn = await mongoose.createConnection(mongo.url).asPromise();
      await conn.dropDatabase();
      await conn.close();
    },
  };
}
