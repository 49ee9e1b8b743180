/**
 * Finding 1 of issue 16: an order id in another letter case charged the card again. Payments keyed
 * its charge lock, its "already paid" guard and its payment index on the id as sent while orders
 * (MariaDB, case-insensitive) called every case variant payable: three concurrent payOrder calls
 * with variants charged one order up to three times, and a single upper-case payOrder charged and
 * marked the order PAID but answered `data: null`. Now only the id as issued (a lower-case UUID)
 * names an order, in payments and orders alike. Through the gateway as a customer; charges are
 * counted in payments' Redis and the order's status is read from MySQL.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import { dumpRedis, gql, waitFor, type GraphQLResponse } from '@shop/testing';
import { TEST_CARDS, testCard, tokenize } from '../psp';
import { createTestEnvironment, type TestEnvironment } from '../environment';
import { adminHeaders, simpleProductsInStock } from '../catalogue';

let env: TestEnvironment;
let redis: Redis;
let db: mysql.Connection;
/** Every response of this file, checked at the end for internal errors and null data. */
const responses: GraphQLResponse<unknown>[] = [];

const REGISTER = `mutation($i: RegisterInput!) { register(input: $i) { __typename ... on AuthPayload { token } } }`;
const PLACE = `mutation($i: PlaceOrderInput!) {
  placeOrder(input: $i) { __typename ... on Order { id status } ... on Error { message } }
}`;
const PAY = `mutation($i: PayOrderInput!) {
  payOrder(input: $i) {
    __typename
    ... on PaymentSucceeded { payment { id status order { id status } } }
    ... on PaymentOrderNotFoundError { orderId }
    ... on OrderNotPayableError { status }
    ... on Error { message }
  }
}`;
const ORDER = `query($id: ID!) { order(id: $id) { id status payment { id status } } }`;

/** Tokenised at the PSP for each payOrder (the graph never sees the card). */
const CARD = testCard(TEST_CARDS.visa);

type PayResult = {
  __typename: string;
  payment?: { id: string; status: string; order: { id: string; status: string } };
  status?: string;
};

async function send<T>(query: string, variables: Record<string, unknown>, headers?: Record<string, string>) {
  const res = await gql<T>(env.url, query, variables, headers);
  responses.push(res);
  return res;
}

const pay = async (headers: Record<string, string>, orderId: string, idempotencyKey = randomUUID()) => {
  const res = await send<{ payOrder: PayResult }>(
    PAY,
    { i: { orderId, paymentMethodToken: await tokenize(env.pspUrl, CARD), idempotencyKey } },
    headers,
  );
  expect(res.errors).toBeUndefined();
  return res.data!.payOrder;
};

/** Spellings of an issued id that are not it: letter case, and a few lenient-parser forms. */
const variantsOf = (id: string) =>
  [
    id.toUpperCase(),
    [...id].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join(''),
    id.replace(/[a-f]/, (c) => c.toUpperCase()),
    `{${id}}`,
    ` ${id}`,
    `urn:uuid:${id}`,
  ].filter((v, i, all) => v !== id && all.indexOf(v) === i);

async function customer(): Promise<Record<string, string>> {
  const res = await send<{ register: { token?: string } }>(REGISTER, {
    i: {
      email: `payer-${randomUUID().slice(0, 8)}@example.com`,
      password: 'a-long-password-1',
      name: 'Payer',
    },
  });
  const token = res.data?.register.token;
  if (!token) throw new Error(`register failed: ${JSON.stringify(res)}`);
  return { authorization: `Bearer ${token}` };
}

let productId: string;

/** A fresh order of one unit whose id has letters (so that it has case variants). */
async function anOrder(headers: Record<string, string>): Promise<string> {
  for (;;) {
    const res = await send<{ placeOrder: { __typename: string; id?: string } }>(
      PLACE,
      { i: { items: [{ productId, quantity: 1 }], idempotencyKey: randomUUID() } },
      headers,
    );
    const id = res.data?.placeOrder.id;
    if (!id) throw new Error(`placeOrder failed: ${JSON.stringify(res)}`);
    if (/[a-f]/.test(id)) return id;
  }
}

/** SUCCEEDED payments in payments' Redis whose order id is this order's in any letter case. */
async function chargesInRedis(orderId: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(
      cursor,
      'MATCH',
      `${env.stores.redisPrefix}payment:*`,
      'COUNT',
      500,
    );
    cursor = next;
    for (const key of keys) {
      const p = await redis.hgetall(key);
      if (p.status === 'SUCCEEDED' && p.orderId?.toLowerCase() === orderId.toLowerCase()) ids.push(p.id!);
    }
  } while (cursor !== '0');
  return ids;
}

async function orderRow(orderId: string) {
  const [rows] = (await db.query('SELECT id, status, payment_id FROM orders WHERE id = ?', [
    orderId,
  ])) as unknown as [{ id: string; status: string; payment_id: string | null }[]];
  return rows[0];
}

/** payments' keys only (the router's rate-limit keys share the prefix). */
const paymentKeys = async () =>
  (await dumpRedis(env.stores.redisPrefix))
    .filter((l) => !l.startsWith(`${env.stores.redisPrefix}ratelimit:`))
    .sort();

beforeAll(async () => {
  env = await createTestEnvironment();
  redis = new Redis(env.stores.redisUrl);
  db = await mysql.createConnection(env.stores.mysqlUrl);
  const node = (await simpleProductsInStock(env.url, await adminHeaders(env))).find((p) => p.stock >= 10);
  if (!node) throw new Error('no seeded product with stock');
  productId = node.id;
}, 120_000);

afterAll(async () => {
  await db?.end();
  await redis?.quit();
  await env?.stop();
});

describe('finding 1: an order id in another letter case charges the card again', () => {
  it('finding 1: payOrder with the upper-case order id is PaymentOrderNotFoundError: nothing charged, no Redis key written, the order still unpaid', async () => {
    const headers = await customer();
    const orderId = await anOrder(headers);
    const before = await paymentKeys();
    const upper = await pay(headers, orderId.toUpperCase());
    expect(upper).toMatchObject({ __typename: 'PaymentOrderNotFoundError' });
    expect(await chargesInRedis(orderId)).toEqual([]);
    expect(await paymentKeys()).toEqual(before);
    expect(await orderRow(orderId)).toMatchObject({ status: 'PENDING_PAYMENT', payment_id: null });
    // The issued id then pays, once.
    expect((await pay(headers, orderId)).__typename).toBe('PaymentSucceeded');
    expect(await chargesInRedis(orderId)).toHaveLength(1);
  });

  it('finding 1: variants and the issued id of 3 orders concurrently, each with its own key: exactly one successful charge per order, every order PAID', async () => {
    const headers = await customer();
    const orders = [await anOrder(headers), await anOrder(headers), await anOrder(headers)];
    const calls = orders.flatMap((orderId) =>
      [orderId, orderId, ...variantsOf(orderId), ...variantsOf(orderId)].map((sent) => ({ orderId, sent })),
    );
    const results = await Promise.all(calls.map(async (c) => ({ ...c, result: await pay(headers, c.sent) })));

    for (const orderId of orders) {
      const mine = results.filter((r) => r.orderId === orderId);
      const issued = mine.filter((r) => r.sent === orderId).map((r) => r.result);
      const variants = mine.filter((r) => r.sent !== orderId).map((r) => r.result.__typename);
      expect(issued.map((r) => r.__typename).sort()).toEqual(['OrderNotPayableError', 'PaymentSucceeded']);
      expect(issued.find((r) => r.__typename === 'OrderNotPayableError')?.status).toBe('PAID');
      expect(new Set(variants)).toEqual(new Set(['PaymentOrderNotFoundError']));
      const succeeded = issued.find((r) => r.__typename === 'PaymentSucceeded')!;
      expect(succeeded.payment!.order.id).toBe(orderId);

      // Exactly one successful charge in Redis, and no key under any variant.
      expect(await chargesInRedis(orderId)).toEqual([succeeded.payment!.id]);
      const keys = await paymentKeys();
      const cased = variantsOf(orderId).filter((v) => v !== v.toLowerCase());
      expect(keys.filter((k) => cased.some((v) => k.includes(v)))).toEqual([]);
      // The order is PAID with that payment, in MySQL and through the gateway.
      await waitFor(async () => (await orderRow(orderId))?.status === 'PAID');
      expect(await orderRow(orderId)).toMatchObject({ status: 'PAID', payment_id: succeeded.payment!.id });
      const shown = await send<{ order: unknown }>(ORDER, { id: orderId }, headers);
      expect(shown.data?.order).toEqual({
        id: orderId,
        status: 'PAID',
        payment: { id: succeeded.payment!.id, status: 'SUCCEEDED' },
      });
    }
  });

  it('finding 1: a variant of a paid order is still not found (not a second charge), and order(id:) with a variant is null without errors', async () => {
    const headers = await customer();
    const orderId = await anOrder(headers);
    expect((await pay(headers, orderId)).__typename).toBe('PaymentSucceeded');
    for (const variant of variantsOf(orderId)) {
      expect((await pay(headers, variant)).__typename).toBe('PaymentOrderNotFoundError');
      const res = await send<{ order: unknown }>(ORDER, { id: variant }, headers);
      expect(res.errors).toBeUndefined();
      expect(res.data).toEqual({ order: null });
    }
    expect(await chargesInRedis(orderId)).toHaveLength(1);
  });

  it('finding 1: no response of this file was INTERNAL_SERVER_ERROR or data: null', () => {
    expect(responses.length).toBeGreaterThan(40);
    const internal = responses
      .flatMap((r) => r.errors ?? [])
      .filter((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR');
    expect(internal).toEqual([]);
    expect(responses.filter((r) => r.data === null || r.data === undefined)).toEqual([]);
  });
});
