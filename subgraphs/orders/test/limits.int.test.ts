/**
 * Finding 4 of issue 16 (orders' side): an order of 100 units at 21,474,837 cents (a total beyond
 * 2³¹−1) was stored, reserved and charged while the API answered INTERNAL_SERVER_ERROR, and the
 * user's `orders { total }` was null from then on. Now the total is checked against MAX_ORDER_TOTAL
 * from the prices products answers, before anything is stored: the reservation is given back and the
 * answer is OrderTotalLimitError. Nothing of the order stays in MySQL; the stock is back in products.
 */
import { randomUUID } from 'node:crypto';
import { waitFor } from '@shop/testing';
import {
  bootWithFakeProducts,
  customer,
  pid,
  PLACE,
  type FakeHarness,
  type Harness,
  type Placed,
} from './helpers';
import { bootWithProducts } from './with-products';

const MAX = 10_000_000;
const ORDERS_OF_USER = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on User {
  orders(first: 100) { edges { node { id total { amount currency } } } } } } }`;

/** What MySQL holds of a user's orders and of an order id: rows, items and outbox rows. */
async function storedFor(h: Harness, userId: string) {
  const orders = await h.app.db.rows<{ id: string }>('SELECT id FROM orders WHERE user_id = ?', [userId]);
  const items = await h.app.db.rows<{ order_id: string }>(
    'SELECT i.order_id FROM order_items i JOIN orders o ON o.id = i.order_id WHERE o.user_id = ?',
    [userId],
  );
  const outbox = await h.app.db.rows<{ kind: string; reason: string; sent: number }>(
    `SELECT kind, JSON_VALUE(payload, '$.reason') AS reason, sent_at IS NOT NULL AS sent FROM outbox
     WHERE JSON_VALUE(payload, '$.userId') = ?`,
    [userId],
  );
  return { orders, items, outbox };
}

describe('finding 4: the order total limit (fake products)', () => {
  let h: FakeHarness;
  const BIG = pid('big');
  const ONE = pid('one');
  const FINDING = pid('finding-4');

  beforeAll(async () => {
    h = await bootWithFakeProducts(
      {
        [BIG]: { sku: 'BIG', name: 'Big', price: { amount: 100_000, currency: 'EUR' }, stock: 1000 },
        [ONE]: { sku: 'ONE', name: 'One', price: { amount: 1, currency: 'EUR' }, stock: 1000 },
        [FINDING]: {
          sku: 'F4',
          name: 'Finding 4',
          price: { amount: 21_474_837, currency: 'EUR' },
          stock: 1000,
        },
      },
      { runExpiry: false },
      { MAX_ORDER_TOTAL: String(MAX), OUTBOX_POLL_MS: '50' },
    );
  });
  afterAll(async () => {
    await h.stop();
  });

  const place = async (user: ReturnType<typeof customer>, items: { productId: string; quantity: number }[]) =>
    (await (await h.as(user))<Placed>(PLACE, { input: { idempotencyKey: randomUUID(), items } })).data!
      .placeOrder;
  const stockOf = (id: string) => h.products.catalogue.get(id)!.stock;

  it('finding 4: an order at exactly the maximum total is placed', async () => {
    const user = customer();
    const before = stockOf(BIG);
    const order = await place(user, [{ productId: BIG, quantity: 100 }]);
    expect(order).toMatchObject({ __typename: 'Order', total: { amount: MAX, currency: 'EUR' } });
    expect(stockOf(BIG)).toBe(before - 100);
    expect((await storedFor(h, user.id)).orders).toHaveLength(1);
  });

  it('finding 4: one minor unit beyond the maximum is OrderTotalLimitError, nothing is kept in MySQL and the stock is back', async () => {
    const user = customer();
    const before = { big: stockOf(BIG), one: stockOf(ONE) };
    const refused = await place(user, [
      { productId: BIG, quantity: 100 },
      { productId: ONE, quantity: 1 },
    ]);
    expect(refused).toEqual({
      __typename: 'OrderTotalLimitError',
      message: expect.stringContaining(String(MAX)),
      maxTotal: { amount: MAX, currency: 'EUR' },
    });
    const stored = await storedFor(h, user.id);
    expect(stored.orders).toEqual([]);
    expect(stored.items).toEqual([]);
    // The only trace: the release of the reservation, already sent to products.
    await waitFor(async () => (await storedFor(h, user.id)).outbox.every((r) => Number(r.sent) === 1));
    expect((await storedFor(h, user.id)).outbox).toEqual([
      { kind: 'orders.cancelled', reason: 'NOT_PLACED', sent: 1 },
    ]);
    await waitFor(() => stockOf(BIG) === before.big && stockOf(ONE) === before.one);
    expect(h.products.reservations.size).toBe(1); // only the order of the test above holds stock
  });

  it("finding 4: the finding's order (100 units at 21,474,837) is OrderTotalLimitError, never INTERNAL_SERVER_ERROR, and the user's totals stay readable", async () => {
    const user = customer();
    const before = stockOf(FINDING);
    const run = await h.as(user);
    const res = await run<Placed>(PLACE, {
      input: { idempotencyKey: randomUUID(), items: [{ productId: FINDING, quantity: 100 }] },
    });
    expect(res.errors).toBeUndefined();
    expect(res.data!.placeOrder).toMatchObject({
      __typename: 'OrderTotalLimitError',
      maxTotal: { amount: MAX, currency: 'EUR' },
    });
    expect((await storedFor(h, user.id)).orders).toEqual([]);
    await waitFor(() => stockOf(FINDING) === before);
    // The same user then orders normally, and every total of theirs reads as a number.
    expect(await place(user, [{ productId: BIG, quantity: 3 }])).toMatchObject({ __typename: 'Order' });
    const list = await run<{ _entities: { orders: { edges: { node: { total: { amount: number } } }[] } }[] }>(
      ORDERS_OF_USER,
      { reps: [{ __typename: 'User', id: user.id }] },
    );
    expect(list.errors).toBeUndefined();
    expect(list.data!._entities[0]!.orders.edges.map((e) => e.node.total.amount)).toEqual([300_000]);
  });

  it('finding 4: a line above the quantity limit is refused before products is asked', async () => {
    const reserves = h.products.calls.reserve;
    const res = await place(customer(), [
      { productId: ONE, quantity: 60 },
      { productId: ONE, quantity: 41 },
    ]);
    expect(res).toMatchObject({ __typename: 'InvalidInputError', field: 'items.0.quantity' });
    expect(h.products.calls.reserve).toBe(reserves);
  });
});

describe('finding 4: the order total limit with the real products subgraph', () => {
  let env: Awaited<ReturnType<typeof bootWithProducts>>;

  beforeAll(async () => {
    env = await bootWithProducts({ OUTBOX_POLL_MS: '50' });
  }, 60_000);
  afterAll(async () => {
    await env.stop();
  });

  it("finding 4: the finding's order leaves nothing in MySQL and every unit back in MongoDB", async () => {
    // A product priced before products had its own price limit (written straight to the store).
    const product = await env.addProduct('Finding 4', 150, 1000);
    await env.priceInStore(product.id, 21_474_837);
    const user = customer();
    const res = await (
      await env.h.as(user)
    )<Placed>(PLACE, {
      input: { idempotencyKey: randomUUID(), items: [{ productId: product.id, quantity: 100 }] },
    });
    expect(res.errors).toBeUndefined();
    expect(res.data!.placeOrder).toMatchObject({
      __typename: 'OrderTotalLimitError',
      maxTotal: { amount: MAX, currency: 'EUR' },
    });
    const stored = await storedFor(env.h, user.id);
    expect(stored.orders).toEqual([]);
    expect(stored.items).toEqual([]);
    await waitFor(async () => (await env.stockOf(product.id)) === 150);
    // products holds nothing of it for any order.
    expect((await env.productsApp.repository.findById(product.id))!.stock).toBe(150);
    const held = await env.productsApp.reservationsRepository.productsWithHolds();
    expect(held.filter((p) => p.productId === product.id)).toEqual([]);
  });
});
