/**
 * Finding 1 of issue 16, orders' share: orders found its rows through MariaDB's case-insensitive
 * collation, so an order id in another letter case named the same order (orders.payable said
 * "payable" for every variant). Now every id column of orders compares exactly (utf8mb4_bin) and
 * only the issued form (a lower-case UUID, a 24-hex product id) names anything: `order(id:)` with a
 * variant is null, `cancelOrder` with one is OrderNotFoundError and changes nothing, a variant
 * product id is UnknownProductError and reserves nothing. Through the gateway as a customer; the
 * order is read back from MySQL, the stock from MongoDB. (payOrder with variants: pay-ids.test.ts.)
 */
import { randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import mysql from 'mysql2/promise';
import { gql, waitFor, type GraphQLResponse } from '@shop/testing';
import { createTestEnvironment, type TestEnvironment } from '../environment';
import { adminHeaders, simpleProductsInStock } from '../catalogue';

let env: TestEnvironment;
let db: mysql.Connection;
let mongo: mongoose.Connection;
/** Every response of this file, checked at the end for internal errors and null data. */
const responses: GraphQLResponse<unknown>[] = [];

const REGISTER = `mutation($i: RegisterInput!) { register(input: $i) { __typename ... on AuthPayload { token } } }`;
const PLACE = `mutation($i: PlaceOrderInput!) {
  placeOrder(input: $i) {
    __typename
    ... on Order { id status }
    ... on UnknownProductError { productId }
    ... on Error { message }
  }
}`;
const ORDER = `query($id: ID!) { order(id: $id) { id status } }`;
const CANCEL = `mutation($id: ID!) {
  cancelOrder(id: $id) {
    __typename
    ... on Order { id status }
    ... on OrderNotFoundError { orderId }
    ... on Error { message }
  }
}`;

async function send<T>(query: string, variables: Record<string, unknown>, headers?: Record<string, string>) {
  const res = await gql<T>(env.url, query, variables, headers);
  responses.push(res);
  return res;
}

async function customer(): Promise<Record<string, string>> {
  const res = await send<{ register: { token?: string } }>(REGISTER, {
    i: { email: `ids-${randomUUID().slice(0, 8)}@example.com`, password: 'a-long-password-1', name: 'Ids' },
  });
  const token = res.data?.register.token;
  if (!token) throw new Error(`register failed: ${JSON.stringify(res)}`);
  return { authorization: `Bearer ${token}` };
}

/** Forms of an id other than the issued (lower-case) one. */
const variants = (id: string) => {
  const letter = id.search(/[a-f]/);
  return [
    id.toUpperCase(),
    `${id.slice(0, letter)}${id.charAt(letter).toUpperCase()}${id.slice(letter + 1)}`,
    ` ${id}`,
    `{${id}}`,
  ].filter((form) => form !== id);
};

const orderRow = async (id: string) => {
  const [rows] = (await db.query('SELECT id, status, cancelled_at FROM orders WHERE id = ?', [
    id,
  ])) as unknown as [{ id: string; status: string; cancelled_at: Date | null }[]];
  return rows;
};
const stockOf = async (id: string) =>
  (await mongo.collection('products').findOne({ _id: new mongoose.Types.ObjectId(id) } as never))!
    .stock as number;

beforeAll(async () => {
  env = await createTestEnvironment();
  db = await mysql.createConnection(env.stores.mysqlUrl);
  mongo = await mongoose.createConnection(env.stores.mongoUrl).asPromise();
}, 120_000);

afterAll(async () => {
  await mongo?.close();
  await db?.end();
  await env?.stop();
});

describe('finding 1 (orders): only the issued form of an id names an order or a product', () => {
  let headers: Record<string, string>;
  let productId: string;
  let orderId: string;
  let initialStock: number;

  beforeAll(async () => {
    headers = await customer();
    const product = (await simpleProductsInStock(env.url, await adminHeaders(env))).find(
      (p) => /[a-f]/.test(p.id) && p.stock > 5,
    );
    if (!product) throw new Error('no seeded product with a letter in its id');
    productId = product.id;
    initialStock = await stockOf(productId);
    const placed = await send<{ placeOrder: { id?: string } }>(
      PLACE,
      { i: { items: [{ productId, quantity: 1 }], idempotencyKey: randomUUID() } },
      headers,
    );
    orderId = placed.data!.placeOrder.id!;
    expect(orderId).toMatch(/[a-f]/);
  });

  it('finding 1: order(id:) with an upper-case (or any other) form of the order id is null', async () => {
    for (const id of variants(orderId)) {
      const res = await send<{ order: unknown }>(ORDER, { id }, headers);
      expect(res.errors).toBeUndefined();
      expect(res.data).toEqual({ order: null });
    }
    const own = await send<{ order: { id: string } }>(ORDER, { id: orderId }, headers);
    expect(own.data!.order).toEqual({ id: orderId, status: 'PENDING_PAYMENT' });
  });

  it('finding 1: cancelOrder with an upper-case form of the order id is OrderNotFoundError and the order stays as it was', async () => {
    for (const id of variants(orderId)) {
      const res = await send<{ cancelOrder: unknown }>(CANCEL, { id }, headers);
      expect(res.errors).toBeUndefined();
      expect(res.data!.cancelOrder).toEqual({
        __typename: 'OrderNotFoundError',
        orderId: id,
        message: `No order ${id}.`,
      });
    }
    expect(await orderRow(orderId)).toEqual([{ id: orderId, status: 'PENDING_PAYMENT', cancelled_at: null }]);
    // MySQL itself no longer matches a variant.
    expect(await orderRow(orderId.toUpperCase())).toEqual([]);
    // The issued form still cancels it.
    const res = await send<{ cancelOrder: unknown }>(CANCEL, { id: orderId }, headers);
    expect(res.data!.cancelOrder).toEqual({ __typename: 'Order', id: orderId, status: 'CANCELLED' });
    await waitFor(async () => (await stockOf(productId)) === initialStock);
  });

  it('finding 1: placeOrder with an upper-case product id is UnknownProductError, reserves nothing and stores nothing', async () => {
    const before = await stockOf(productId);
    expect(before).toBe(initialStock);
    const [counted] = (await db.query('SELECT COUNT(*) AS n FROM orders')) as unknown as [{ n: number }[]];
    for (const id of variants(productId)) {
      const res = await send<{ placeOrder: unknown }>(
        PLACE,
        { i: { items: [{ productId: id, quantity: 1 }], idempotencyKey: randomUUID() } },
        headers,
      );
      expect(res.data!.placeOrder).toEqual({
        __typename: 'UnknownProductError',
        productId: id,
        message: `No product with id ${id}.`,
      });
    }
    const [after] = (await db.query('SELECT COUNT(*) AS n FROM orders')) as unknown as [{ n: number }[]];
    expect(Number(after[0]!.n)).toBe(Number(counted[0]!.n));
    expect(await stockOf(productId)).toBe(before);
  });

  it('finding 1: no response of this file is INTERNAL_SERVER_ERROR or data: null', () => {
    expect(responses.length).toBeGreaterThan(10);
    for (const res of responses) {
      expect(res.errors?.map((e) => e.extensions?.code) ?? []).not.toContain('INTERNAL_SERVER_ERROR');
      expect(res.data).not.toBeNull();
    }
  });
});
