/**
 * Finding 4 of issue 16, orders' share: an order of 100 units at 21,474,837 cents (2,147,483,700,
 * beyond 2³¹−1) was stored, reserved and charged while the API answered INTERNAL_SERVER_ERROR, and
 * `me { orders { total } }` was null from then on. Now orders checks the total against
 * MAX_ORDER_TOTAL (default 10,000,000 = 100,000.00) from the prices products answers, before it
 * stores anything: OrderTotalLimitError, the reservation given back. Through the gateway as a
 * customer (products created by the admin); MySQL and MongoDB are read back.
 */
import { randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import mysql from 'mysql2/promise';
import { gql, waitFor, type GraphQLResponse } from '@shop/testing';
import { createTestEnvironment, type TestEnvironment } from '../environment';

const MAX_ORDER_TOTAL = 10_000_000;

let env: TestEnvironment;
let db: mysql.Connection;
let mongo: mongoose.Connection;
let admin: Record<string, string>;
/** Every response of this file, checked at the end for internal errors and null data. */
const responses: GraphQLResponse<unknown>[] = [];

const REGISTER = `mutation($i: RegisterInput!) { register(input: $i) { __typename ... on AuthPayload { token user { id } } } }`;
const CREATE = `mutation($i: CreateProductInput!) { createProduct(input: $i) { __typename ... on Product { id } ... on Error { message } } }`;
const PLACE = `mutation($i: PlaceOrderInput!) {
  placeOrder(input: $i) {
    __typename
    ... on Order { id status total { amount currency } }
    ... on OrderTotalLimitError { message maxTotal { amount currency } }
    ... on InvalidInputError { field }
    ... on Error { message }
  }
}`;
const MY_TOTALS = '{ me { orders(first: 50) { edges { node { id total { amount currency } } } } } }';

async function send<T>(query: string, variables: Record<string, unknown>, headers?: Record<string, string>) {
  const res = await gql<T>(env.url, query, variables, headers);
  responses.push(res);
  return res;
}

async function customer() {
  const res = await send<{ register: { token?: string; user?: { id: string } } }>(REGISTER, {
    i: {
      email: `bounds-${randomUUID().slice(0, 8)}@example.com`,
      password: 'a-long-password-1',
      name: 'Bounds',
    },
  });
  const token = res.data?.register.token;
  if (!token) throw new Error(`register failed: ${JSON.stringify(res)}`);
  return { headers: { authorization: `Bearer ${token}` }, id: res.data!.register.user!.id };
}

async function product(amount: number, stock: number) {
  const res = await send<{ createProduct: { id?: string } }>(
    CREATE,
    {
      i: {
        sku: `OB-${randomUUID().slice(0, 8)}`,
        name: 'Bounded',
        price: { amount, currency: 'EUR' },
        stock,
        category: 'bounds',
      },
    },
    admin,
  );
  const id = res.data?.createProduct.id;
  if (!id) throw new Error(`createProduct failed: ${JSON.stringify(res)}`);
  return id;
}

const place = async (headers: Record<string, string>, items: { productId: string; quantity: number }[]) =>
  (
    await send<{ placeOrder: Record<string, unknown> }>(
      PLACE,
      { i: { items, idempotencyKey: randomUUID() } },
      headers,
    )
  ).data!.placeOrder;

const productDoc = async (id: string) =>
  (await mongo.collection('products').findOne({ _id: new mongoose.Types.ObjectId(id) } as never))!;
/** What MySQL holds of a user: orders and their items. */
async function storedFor(userId: string) {
  const [orders] = (await db.query('SELECT id, total_amount FROM orders WHERE user_id = ?', [
    userId,
  ])) as unknown as [{ id: string; total_amount: number }[]];
  const [items] = (await db.query(
    'SELECT i.order_id FROM order_items i JOIN orders o ON o.id = i.order_id WHERE o.user_id = ?',
    [userId],
  )) as unknown as [unknown[]];
  return { orders, items };
}

beforeAll(async () => {
  env = await createTestEnvironment();
  db = await mysql.createConnection(env.stores.mysqlUrl);
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
  await db?.end();
  await env?.stop();
});

describe('finding 4 (orders): the order total limit', () => {
  it('finding 4: an order at exactly the maximum total is placed; one minor unit more is OrderTotalLimitError and nothing is written', async () => {
    const big = await product(100_000, 1000);
    const one = await product(1, 1000);
    const user = await customer();
    expect(await place(user.headers, [{ productId: big, quantity: 100 }])).toMatchObject({
      __typename: 'Order',
      total: { amount: MAX_ORDER_TOTAL, currency: 'EUR' },
    });
    expect((await productDoc(big)).stock).toBe(900);

    const refused = await place(user.headers, [
      { productId: big, quantity: 100 },
      { productId: one, quantity: 1 },
    ]);
    expect(refused).toEqual({
      __typename: 'OrderTotalLimitError',
      message: expect.stringContaining(String(MAX_ORDER_TOTAL)),
      maxTotal: { amount: MAX_ORDER_TOTAL, currency: 'EUR' },
    });
    const stored = await storedFor(user.id);
    expect(stored.orders.map((o) => Number(o.total_amount))).toEqual([MAX_ORDER_TOTAL]);
    expect(stored.items).toHaveLength(1);
    await waitFor(
      async () => (await productDoc(big)).stock === 900 && (await productDoc(one)).stock === 1000,
    );
  });

  it("finding 4: an order total beyond the maximum is refused and nothing is written (the finding's 100 units at 21,474,837)", async () => {
    // A product priced before products had its own price limit: the price is written to MongoDB
    // (the variant's, which orders are priced at, and the product's derived one).
    const id = await product(1000, 150);
    await mongo.collection('products').updateOne({ _id: new mongoose.Types.ObjectId(id) } as never, {
      $set: { 'price.amount': 21_474_837, 'variants.0.price.amount': 21_474_837 },
    });
    const user = await customer();
    const res = await send<{ placeOrder: unknown }>(
      PLACE,
      { i: { items: [{ productId: id, quantity: 100 }], idempotencyKey: randomUUID() } },
      user.headers,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.placeOrder).toMatchObject({
      __typename: 'OrderTotalLimitError',
      maxTotal: { amount: MAX_ORDER_TOTAL, currency: 'EUR' },
    });
    expect(await storedFor(user.id)).toEqual({ orders: [], items: [] });
    // Every unit back, no hold left in products.
    await waitFor(async () => (await productDoc(id)).stock === 150);
    expect((await productDoc(id)).holds ?? []).toEqual([]);
    // The user's totals stay readable (they were null for good after the finding).
    const mine = await send<{ me: { orders: { edges: unknown[] } } }>(MY_TOTALS, {}, user.headers);
    expect(mine.errors).toBeUndefined();
    expect(mine.data!.me.orders.edges).toEqual([]);
  });

  it('finding 4: more than 100 units of one product is InvalidInputError before anything is reserved', async () => {
    const id = await product(10, 500);
    const user = await customer();
    expect(await place(user.headers, [{ productId: id, quantity: 101 }])).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'items.0.quantity',
    });
    expect((await productDoc(id)).stock).toBe(500);
    expect(await storedFor(user.id)).toEqual({ orders: [], items: [] });
  });

  it('finding 4: no response of this file is INTERNAL_SERVER_ERROR or data: null', () => {
    expect(responses.length).toBeGreaterThan(8);
    for (const res of responses) {
      expect(res.errors?.map((e) => e.extensions?.code) ?? []).not.toContain('INTERNAL_SERVER_ERROR');
      expect(res.data).not.toBeNull();
    }
  });
});
