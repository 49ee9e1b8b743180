/**
 * Finding 2 of issue 16: a product id in another letter case leaked stock for good. Mongo found the
 * product whatever the case while the per-product lock used the raw string, so concurrent case
 * variants ran the unlocked read-modify-write; orders then saw the lower-case id come back, answered
 * INTERNAL_SERVER_ERROR and released, leaving holds no reservation owned. Now only the id as issued
 * (24 lower-case hex digits) names a product, in orders and in products alike. Through the gateway,
 * as a customer and as the admin; the stock ledger is read from MongoDB itself.
 */
import { randomUUID } from 'node:crypto';
import { gql, type GraphQLResponse } from '@shop/testing';
import mongoose from 'mongoose';
import { createTestEnvironment, type TestEnvironment } from '../environment';
import { simpleProductsInStock } from '../catalogue';

let env: TestEnvironment;
let mongo: mongoose.Connection;
let admin: Record<string, string>;

const REGISTER = `mutation($i: RegisterInput!) { register(input: $i) { __typename ... on AuthPayload { token } } }`;
const LOGIN = `mutation($i: LoginInput!) { login(input: $i) { __typename ... on AuthPayload { token } } }`;
const PLACE = `mutation($i: PlaceOrderInput!) {
  placeOrder(input: $i) {
    __typename
    ... on Order { id status items { product { id } quantity } }
    ... on UnknownProductError { message productId }
    ... on Error { message }
  }
}`;

async function customer(): Promise<Record<string, string>> {
  const res = await gql<{ register: { __typename: string; token?: string } }>(env.url, REGISTER, {
    i: {
      email: `shopper-${randomUUID().slice(0, 8)}@example.com`,
      password: 'a-long-password-1',
      name: 'Shopper',
    },
  });
  const token = res.data?.register.token;
  if (!token) throw new Error(`register failed: ${JSON.stringify(res)}`);
  return { authorization: `Bearer ${token}` };
}

/** Straight from MongoDB: stock on hand, units held by orders, units sold (SOLD reservation lines). */
async function ledger(productId: string) {
  const doc = await mongo
    .collection('products')
    .findOne({ _id: new mongoose.Types.ObjectId(productId) } as never);
  const held = ((doc?.holds ?? []) as { quantity: number }[]).reduce((n, h) => n + h.quantity, 0);
  const soldLines = (
    await mongo
      .collection('reservations')
      .find({ status: 'SOLD' } as never)
      .toArray()
  )
    .flatMap((r) => (r.lines ?? []) as { productId: string; quantity: number }[])
    .filter((l) => l.productId === productId);
  return {
    stock: doc?.stock as number,
    held,
    sold: soldLines.reduce((n, l) => n + l.quantity, 0),
    holds: (doc?.holds ?? []) as { orderId: string; quantity: number }[],
  };
}

/** Spellings of one id that are not the issued one. */
const variantsOf = (id: string) =>
  [
    id.toUpperCase(),
    [...id].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join(''),
    id.replace(/[a-f]/, (c) => c.toUpperCase()),
  ].filter((v, i, all) => v !== id && all.indexOf(v) === i);

const noInternalErrors = (responses: GraphQLResponse<unknown>[]) =>
  responses.flatMap((r) => r.errors ?? []).filter((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR');

beforeAll(async () => {
  env = await createTestEnvironment();
  mongo = await mongoose.createConnection(env.stores.mongoUrl).asPromise();
  const login = await gql<{ login: { token?: string } }>(env.url, LOGIN, { i: env.admin });
  if (!login.data?.login.token) throw new Error(`admin login failed: ${JSON.stringify(login)}`);
  admin = { authorization: `Bearer ${login.data.login.token}` };
}, 120_000);

afterAll(async () => {
  await mongo?.close();
  await env?.stop();
});

/** A seeded product with stock whose id has letters (so that it has case variants). */
async function aProduct(minStock: number) {
  // Without options: the product id alone names its one variant.
  const node = (await simpleProductsInStock(env.url, admin)).find(
    (p) => /[a-f]/.test(p.id) && p.stock >= minStock,
  );
  if (!node) throw new Error('no seeded product fits');
  return node;
}

describe('finding 2: product ids in another letter case', () => {
  it('finding 2: orders with an upper-case product id reserve nothing and get a clear not-found answer', async () => {
    const product = await aProduct(3);
    const before = await ledger(product.id);
    const reservationsBefore = await mongo.collection('reservations').countDocuments({});
    const headers = await customer();
    const placed = await Promise.all(
      variantsOf(product.id).flatMap((variant) =>
        Array.from({ length: 4 }, () =>
          gql<{ placeOrder: Record<string, unknown> }>(
            env.url,
            PLACE,
            { i: { items: [{ productId: variant, quantity: 2 }], idempotencyKey: randomUUID() } },
            headers,
          ).then((res) => ({ variant, res })),
        ),
      ),
    );
    expect(noInternalErrors(placed.map((p) => p.res))).toEqual([]);
    for (const { variant, res } of placed) {
      expect(res.errors).toBeUndefined();
      expect(res.data!.placeOrder).toEqual({
        __typename: 'UnknownProductError',
        message: expect.stringContaining(variant),
        productId: variant,
      });
    }
    expect(await ledger(product.id)).toEqual(before);
    expect(await mongo.collection('reservations').countDocuments({})).toBe(reservationsBefore);
  }, 60_000);

  it('finding 2: a burst of case variants and canonical orders at once: available + reserved + sold = start', async () => {
    const product = await aProduct(4);
    const start = await ledger(product.id);
    const total = start.stock + start.held + start.sold;
    const buyers = [await customer(), await customer()];
    const variants = variantsOf(product.id);
    const requests = Array.from({ length: 24 }, (_, i) => ({
      productId: i % 8 === 0 ? product.id : variants[i % variants.length]!,
      headers: buyers[i % 2]!,
    }));
    const replies = await Promise.all(
      requests.map((r) =>
        gql<{ placeOrder: { __typename: string; id?: string } }>(
          env.url,
          PLACE,
          { i: { items: [{ productId: r.productId, quantity: 1 }], idempotencyKey: randomUUID() } },
          r.headers,
        ),
      ),
    );
    expect(noInternalErrors(replies)).toEqual([]);
    const placed = replies.filter((_r, i) => requests[i]!.productId === product.id);
    const refused = replies.filter((_r, i) => requests[i]!.productId !== product.id);
    expect(refused.every((r) => r.data?.placeOrder.__typename === 'UnknownProductError')).toBe(true);
    const orders = placed.filter((r) => r.data?.placeOrder.__typename === 'Order');
    expect(orders).toHaveLength(placed.length);

    const after = await ledger(product.id);
    expect(after.stock + after.held + after.sold).toBe(total);
    expect(after.held - start.held).toBe(orders.length);
    // Every hold belongs to a reservation that is live (no hold without its order).
    for (const hold of after.holds) {
      const reservation = await mongo.collection('reservations').findOne({ _id: hold.orderId } as never);
      expect(reservation?.status).toMatch(/^(PENDING|RESERVED)$/);
    }
  }, 60_000);

  it('finding 2: product(id:) and the admin mutations name nothing with a variant id, and change nothing', async () => {
    const product = await aProduct(1);
    const before = await mongo
      .collection('products')
      .findOne({ _id: new mongoose.Types.ObjectId(product.id) } as never);
    for (const variant of variantsOf(product.id)) {
      const one = await gql<{ product: unknown }>(env.url, 'query($id: ID!) { product(id: $id) { id } }', {
        id: variant,
      });
      expect(one.errors).toBeUndefined();
      expect(one.data).toEqual({ product: null });
      const adjusted = await gql<{ adjustStock: unknown }>(
        env.url,
        'mutation($id: ID!) { adjustStock(id: $id, delta: 5) { __typename ... on ProductNotFoundError { productId } } }',
        { id: variant },
        admin,
      );
      expect(adjusted.errors).toBeUndefined();
      expect(adjusted.data).toEqual({
        adjustStock: { __typename: 'ProductNotFoundError', productId: variant },
      });
      const updated = await gql<{ updateProduct: unknown }>(
        env.url,
        'mutation($id: ID!) { updateProduct(id: $id, input: { name: "Renamed" }) { __typename } }',
        { id: variant },
        admin,
      );
      expect(updated.errors).toBeUndefined();
      expect(updated.data).toEqual({ updateProduct: { __typename: 'ProductNotFoundError' } });
    }
    expect(
      await mongo.collection('products').findOne({ _id: new mongoose.Types.ObjectId(product.id) } as never),
    ).toEqual(before);
  }, 60_000);
});
