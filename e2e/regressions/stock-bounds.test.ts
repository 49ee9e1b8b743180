/**
 * Finding 4 of issue 16, products' share: `adjustStock` past 2³¹−1 was written, and from then on
 * every catalogue page holding the product answered `data: null` (a GraphQL Int is 32-bit). Now
 * products has a maximum on hand (MAX_STOCK, default 1,000,000) and a maximum unit price
 * (MAX_PRICE_AMOUNT, default 1,000,000 minor units), checked before anything is written and
 * refused with StockLimitError / PriceLimitError. Through the gateway as the admin; what is stored
 * is read from MongoDB itself.
 */
import { randomUUID } from 'node:crypto';
import { gql } from '@shop/testing';
import mongoose from 'mongoose';
import { createTestEnvironment, type TestEnvironment } from '../environment';

const MAX_STOCK = 1_000_000;
const MAX_PRICE = 1_000_000;
const INT_MAX = 2 ** 31 - 1;

let env: TestEnvironment;
let mongo: mongoose.Connection;
let admin: Record<string, string>;

beforeAll(async () => {
  env = await createTestEnvironment();
  mongo = await mongoose.createConnection(env.stores.mongoUrl).asPromise();
  const login = await gql<{ login: { token?: string } }>(
    env.url,
    'mutation($i: LoginInput!) { login(input: $i) { ... on AuthPayload { token } } }',
    { i: env.admin },
  );
  if (!login.data?.login.token) throw new Error(`admin login failed: ${JSON.stringify(login)}`);
  admin = { authorization: `Bearer ${login.data.login.token}` };
}, 120_000);

afterAll(async () => {
  await mongo?.close();
  await env?.stop();
});

type Result = { __typename: string } & Record<string, unknown>;
const CREATE = `mutation($i: CreateProductInput!) {
  createProduct(input: $i) {
    __typename
    ... on Product { id stock }
    ... on StockLimitError { message max }
    ... on PriceLimitError { message max }
  }
}`;
const ADJUST = `mutation($id: ID!, $delta: Int!) {
  adjustStock(id: $id, delta: $delta) {
    __typename
    ... on Product { stock }
    ... on StockLimitError { message max }
    ... on StockBelowZeroError { onHand: stock delta }
  }
}`;
const UPDATE = `mutation($id: ID!, $price: MoneyInput!) {
  updateProduct(id: $id, input: { price: $price }) { __typename ... on PriceLimitError { max } }
}`;
const CATALOGUE = '{ products(first: 100, sort: NEWEST) { edges { node { id stock price { amount } } } } }';

const productInput = (over: { stock?: number; amount?: number } = {}) => ({
  sku: `BOUND-${randomUUID().slice(0, 8)}`,
  name: 'Bounded product',
  price: { amount: over.amount ?? 1_000, currency: 'EUR' },
  stock: over.stock ?? 10,
  category: 'bounds',
});
const storedProduct = (id: string) =>
  mongo.collection('products').findOne({ _id: new mongoose.Types.ObjectId(id) } as never);
const countBySku = (sku: string) => mongo.collection('products').countDocuments({ sku } as never);

describe('finding 4 (products): stock and price bounds', () => {
  it('finding 4: adjustStock past the maximum or 2³¹−1 is refused, nothing is written, the catalogue still answers', async () => {
    const created = await gql<{ createProduct: Result }>(env.url, CREATE, { i: productInput() }, admin);
    const id = created.data!.createProduct.id as string;
    const adjust = (delta: number) => gql<{ adjustStock: Result }>(env.url, ADJUST, { id, delta }, admin);

    expect((await adjust(MAX_STOCK - 10)).data!.adjustStock).toEqual({
      __typename: 'Product',
      stock: MAX_STOCK,
    });
    const before = await storedProduct(id);
    for (const delta of [1, INT_MAX, INT_MAX - MAX_STOCK + 1, -(MAX_STOCK + 1), -INT_MAX - 1]) {
      const res = await adjust(delta);
      expect(res.errors).toBeUndefined();
      expect(res.data!.adjustStock).toMatchObject({ __typename: 'StockLimitError', max: MAX_STOCK });
    }
    // Beyond a 32-bit Int the gateway refuses the variable: BAD_USER_INPUT, never INTERNAL_SERVER_ERROR.
    for (const delta of [2 ** 31, 2 ** 32, -(2 ** 31) - 1]) {
      const res = await adjust(delta);
      expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    }
    expect(await storedProduct(id)).toEqual(before);
    expect((await adjust(-MAX_STOCK - 1)).data!.adjustStock).toMatchObject({ __typename: 'StockLimitError' });
    expect((await adjust(-MAX_STOCK)).data!.adjustStock).toEqual({ __typename: 'Product', stock: 0 });
    expect((await adjust(-1)).data!.adjustStock).toEqual({
      __typename: 'StockBelowZeroError',
      onHand: 0, // aliased: Product.stock is Int (admins only), StockBelowZeroError.stock Int!
      delta: -1,
    });
    expect((await storedProduct(id))?.stock).toBe(0);

    // The catalogue page holding the product answers with data.
    const page = await gql<{ products: { edges: { node: { id: string } }[] } }>(env.url, CATALOGUE);
    expect(page.errors).toBeUndefined();
    expect(page.data!.products.edges.some((e) => e.node.id === id)).toBe(true);
  }, 60_000);

  it('finding 4: createProduct beyond the stock or price maximum is refused and stores nothing', async () => {
    for (const [over, typename, max] of [
      [{ stock: MAX_STOCK + 1 }, 'StockLimitError', MAX_STOCK],
      [{ stock: INT_MAX }, 'StockLimitError', MAX_STOCK],
      [{ amount: MAX_PRICE + 1 }, 'PriceLimitError', MAX_PRICE],
      // The order: 100 units at 21,474,837 cents is over 2³¹−1; such a price is not accepted.
      [{ amount: 21_474_837 }, 'PriceLimitError', MAX_PRICE],
      [{ amount: INT_MAX }, 'PriceLimitError', MAX_PRICE],
    ] as const) {
      const input = productInput(over);
      const res = await gql<{ createProduct: Result }>(env.url, CREATE, { i: input }, admin);
      expect(res.errors).toBeUndefined();
      expect(res.data!.createProduct).toMatchObject({ __typename: typename, max });
      expect(await countBySku(input.sku)).toBe(0);
    }
    for (const over of [{ stock: 2 ** 31 }, { amount: 2 ** 31 }]) {
      const input = productInput(over);
      const res = await gql(env.url, CREATE, { i: input }, admin);
      expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      expect(await countBySku(input.sku)).toBe(0);
    }
    const atBounds = productInput({ stock: MAX_STOCK, amount: MAX_PRICE });
    const ok = await gql<{ createProduct: Result }>(env.url, CREATE, { i: atBounds }, admin);
    expect(ok.data!.createProduct).toMatchObject({ __typename: 'Product', stock: MAX_STOCK });
    expect(await countBySku(atBounds.sku)).toBe(1);
  }, 60_000);

  it('finding 4: updateProduct to a price beyond the maximum is refused and leaves the product unchanged', async () => {
    const created = await gql<{ createProduct: Result }>(env.url, CREATE, { i: productInput() }, admin);
    const id = created.data!.createProduct.id as string;
    const before = await storedProduct(id);
    for (const amount of [MAX_PRICE + 1, 21_474_837, INT_MAX]) {
      const res = await gql<{ updateProduct: Result }>(
        env.url,
        UPDATE,
        { id, price: { amount, currency: 'EUR' } },
        admin,
      );
      expect(res.errors).toBeUndefined();
      expect(res.data!.updateProduct).toEqual({ __typename: 'PriceLimitError', max: MAX_PRICE });
    }
    expect(await storedProduct(id)).toEqual(before);
  }, 60_000);
});
