import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '@shop/testing';
import {
  bootOrders,
  bootWithFakeProducts,
  customer,
  pid,
  PLACE,
  type FakeHarness,
  type Harness,
  type Placed,
} from './helpers';

describe('placeOrder against MariaDB and a NATS products responder', () => {
  let h: FakeHarness;

  beforeAll(async () => {
    h = await bootWithFakeProducts({}, { runExpiry: false }, { ORDER_TTL_SECONDS: '600' });
  });
  afterAll(async () => {
    await h.stop();
  });

  const stock = (id: string, units: number, amount = 1250, currency = 'EUR', sku = `SKU-${id}`) =>
    h.products.catalogue.set(id, { sku, name: `Product ${id}`, price: { amount, currency }, stock: units });
  const countOrders = async () =>
    Number((await h.app.db.rows<{ n: number }>('SELECT COUNT(*) AS n FROM orders'))[0]?.n);
  const countItems = async () =>
    Number((await h.app.db.rows<{ n: number }>('SELECT COUNT(*) AS n FROM order_items'))[0]?.n);

  it('places an order: PENDING_PAYMENT, price snapshots, total, number and expiry', async () => {
    stock(pid('a1'), 10, 1250);
    stock(pid('a2'), 5, 300);
    const user = customer();
    const run = await h.as(user);
    const res = await run<Placed>(PLACE, {
      input: {
        idempotencyKey: 'k-place-1',
        items: [
          { productId: pid('a1'), quantity: 2 },
          { productId: pid('a2'), quantity: 3 },
        ],
      },
    });
    expect(res.errors).toBeUndefined();
    const order = res.data!.placeOrder;
    expect(order.__typename).toBe('Order');
    expect(order.status).toBe('PENDING_PAYMENT');
    expect(order.number).toMatch(/^SO-\d{6,}$/);
    expect(order.user).toEqual({ id: user.id });
    expect(order.total).toEqual({ amount: 2 * 1250 + 3 * 300, currency: 'EUR' });
    expect(order.items).toEqual([
      {
        product: { id: pid('a1') },
        variant: { id: `${pid('a1')}-1` },
        sku: `SKU-${pid('a1')}`,
        productName: `Product ${pid('a1')}`,
        variantTitle: '',
        quantity: 2,
        unitPrice: { amount: 1250, currency: 'EUR' },
        lineTotal: { amount: 2500, currency: 'EUR' },
      },
      {
        product: { id: pid('a2') },
        variant: { id: `${pid('a2')}-1` },
        sku: `SKU-${pid('a2')}`,
        productName: `Product ${pid('a2')}`,
        variantTitle: '',
        quantity: 3,
        unitPrice: { amount: 300, currency: 'EUR' },
        lineTotal: { amount: 900, currency: 'EUR' },
      },
    ]);
    expect(Date.parse(order.expiresAt!) - Date.parse(order.createdAt!)).toBe(600_000);
    expect(order.paidAt).toBeNull();
    expect(order.cancelledAt).toBeNull();
    expect(h.products.catalogue.get(pid('a1'))!.stock).toBe(8);

    // A later price change does not touch the snapshot.
    h.products.catalogue.get(pid('a1'))!.price = { amount: 9999, currency: 'EUR' };
    const again = await run<{ order: { items: { unitPrice: { amount: number } }[] } }>(
      'query($id: ID!) { order(id: $id) { items { unitPrice { amount } } } }',
      { id: order.id },
    );
    expect(again.data!.order.items[0]!.unitPrice.amount).toBe(1250);
  });

  it('merges lines of the same product into one', async () => {
    stock(pid('m1'), 10);
    const run = await h.as(customer());
    const res = await run<Placed>(PLACE, {
      input: {
        idempotencyKey: 'k-merge',
        items: [
          { productId: pid('m1'), quantity: 2 },
          { productId: pid('m1'), quantity: 1 },
        ],
      },
    });
    const order = res.data!.placeOrder;
    expect(order.items).toHaveLength(1);
    expect(order.items![0]!.quantity).toBe(3);
    expect(h.products.catalogue.get(pid('m1'))!.stock).toBe(7);
  });

  it('returns InsufficientStockError with what is available and leaves nothing behind', async () => {
    stock(pid('s1'), 10);
    stock(pid('s2'), 1);
    const before = { orders: await countOrders(), items: await countItems() };
    const run = await h.as(customer());
    const res = await run<Placed>(PLACE, {
      input: {
        idempotencyKey: 'k-short',
        items: [
          { productId: pid('s1'), quantity: 4 },
          { productId: pid('s2'), quantity: 2 },
        ],
      },
    });
    expect(res.data!.placeOrder).toMatchObject({
      __typename: 'InsufficientStockError',
      productId: pid('s2'),
      requested: 2,
      available: 1,
    });
    expect(await countOrders()).toBe(before.orders);
    expect(await countItems()).toBe(before.items);
    expect(h.products.catalogue.get(pid('s1'))!.stock).toBe(10);
  });

  it('returns UnknownProductError and leaves nothing behind', async () => {
    stock(pid('u1'), 10);
    const before = await countOrders();
    const run = await h.as(customer());
    const res = await run<Placed>(PLACE, {
      input: {
        idempotencyKey: 'k-unknown',
        items: [
          { productId: pid('u1'), quantity: 1 },
          { productId: pid('nope'), quantity: 1 },
        ],
      },
    });
    expect(res.data!.placeOrder).toMatchObject({ __typename: 'UnknownProductError', productId: pid('nope') });
    expect(await countOrders()).toBe(before);
    expect(h.products.catalogue.get(pid('u1'))!.stock).toBe(10);
  });

  it('returns the first order for the same key and items, in any line order', async () => {
    stock(pid('i1'), 10);
    stock(pid('i2'), 10);
    const run = await h.as(customer());
    const first = await run<Placed>(PLACE, {
      input: {
        idempotencyKey: 'k-idem',
        items: [
          { productId: pid('i1'), quantity: 1 },
          { productId: pid('i2'), quantity: 2 },
        ],
      },
    });
    const reservesBefore = h.products.calls.reserve;
    const second = await run<Placed>(PLACE, {
      input: {
        idempotencyKey: 'k-idem',
        items: [
          { productId: pid('i2'), quantity: 2 },
          { productId: pid('i1'), quantity: 1 },
        ],
      },
    });
    expect(second.data!.placeOrder.__typename).toBe('Order');
    expect(second.data!.placeOrder.id).toBe(first.data!.placeOrder.id);
    expect(h.products.calls.reserve).toBe(reservesBefore);
    expect(h.products.catalogue.get(pid('i1'))!.stock).toBe(9);
  });

  it('refuses the same key with other items, naming the first order', async () => {
    stock(pid('j1'), 10);
    const run = await h.as(customer());
    const first = await run<Placed>(PLACE, {
      input: { idempotencyKey: 'k-reuse', items: [{ productId: pid('j1'), quantity: 1 }] },
    });
    const second = await run<Placed>(PLACE, {
      input: { idempotencyKey: 'k-reuse', items: [{ productId: pid('j1'), quantity: 2 }] },
    });
    expect(second.data!.placeOrder).toMatchObject({
      __typename: 'IdempotencyKeyReusedError',
      orderId: first.data!.placeOrder.id,
    });
    expect(h.products.catalogue.get(pid('j1'))!.stock).toBe(9);
  });

  it('keeps idempotency keys per user', async () => {
    stock(pid('k1'), 10);
    const a = await (
      await h.as(customer())
    )<Placed>(PLACE, { input: { idempotencyKey: 'shared', items: [{ productId: pid('k1'), quantity: 1 }] } });
    const b = await (
      await h.as(customer())
    )<Placed>(PLACE, { input: { idempotencyKey: 'shared', items: [{ productId: pid('k1'), quantity: 1 }] } });
    expect(a.data!.placeOrder.__typename).toBe('Order');
    expect(b.data!.placeOrder.__typename).toBe('Order');
    expect(a.data!.placeOrder.id).not.toBe(b.data!.placeOrder.id);
  });

  it('places one order for concurrent requests with the same key, and gives the loser its stock back', async () => {
    stock(pid('cc'), 10);
    const run = await h.as(customer());
    const input = { idempotencyKey: 'k-race', items: [{ productId: pid('cc'), quantity: 1 }] };
    const results = await Promise.all([1, 2, 3, 4].map(() => run<Placed>(PLACE, { input })));
    const ids = new Set(results.map((r) => r.data!.placeOrder.id));
    expect(ids.size).toBe(1);
    // The losers' reservations go back through the outbox; the winner's stays taken.
    await waitFor(() => h.products.catalogue.get(pid('cc'))!.stock === 9);
    await sleep(300);
    expect(h.products.catalogue.get(pid('cc'))!.stock).toBe(9);
  });

  it('rejects an empty cart, too many lines, too many units and a bad key, without asking products', async () => {
    stock(pid('v1'), 1000);
    const run = await h.as(customer());
    const reserves = h.products.calls.reserve;
    const empty = await run<Placed>(PLACE, { input: { idempotencyKey: 'k-e', items: [] } });
    expect(empty.data!.placeOrder.__typename).toBe('EmptyCartError');
    const lines = Array.from({ length: 51 }, (_, i) => ({ productId: pid(`v${i}`), quantity: 1 }));
    const many = await run<Placed>(PLACE, { input: { idempotencyKey: 'k-m', items: lines } });
    expect(many.data!.placeOrder).toMatchObject({ __typename: 'InvalidInputError', field: 'items' });
    const units = await run<Placed>(PLACE, {
      input: { idempotencyKey: 'k-u', items: [{ productId: pid('v1'), quantity: 101 }] },
    });
    expect(units.data!.placeOrder).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'items.0.quantity',
    });
    const zero = await run<Placed>(PLACE, {
      input: { idempotencyKey: 'k-z', items: [{ productId: pid('v1'), quantity: 0 }] },
    });
    expect(zero.data!.placeOrder).toMatchObject({
      __typename: 'InvalidInputError',
      field: 'items.0.quantity',
    });
    const key = await run<Placed>(PLACE, {
      input: { idempotencyKey: 'bad key!', items: [{ productId: pid('v1'), quantity: 1 }] },
    });
    expect(key.data!.placeOrder).toMatchObject({ __typename: 'InvalidInputError', field: 'idempotencyKey' });
    expect(h.products.calls.reserve).toBe(reserves);
  });

  it('refuses mixed currencies and releases the reservation', async () => {
    stock(pid('eur'), 5, 100, 'EUR');
    stock(pid('usd'), 5, 100, 'USD');
    const before = await countOrders();
    const run = await h.as(customer());
    const res = await run<Placed>(PLACE, {
      input: {
        idempotencyKey: 'k-cur',
        items: [
          { productId: pid('eur'), quantity: 1 },
          { productId: pid('usd'), quantity: 1 },
        ],
      },
    });
    expect(res.data!.placeOrder).toMatchObject({ __typename: 'InvalidInputError', field: 'items' });
    expect(await countOrders()).toBe(before);
    // The release goes through the outbox (orders.cancelled, reason NOT_PLACED).
    await waitFor(
      () =>
        h.products.catalogue.get(pid('eur'))!.stock === 5 &&
        h.products.catalogue.get(pid('usd'))!.stock === 5,
    );
  });

  it('releases the reservation when storing the order fails', async () => {
    stock(pid('long'), 5, 100, 'EUR', 'S'.repeat(300)); // longer than the sku column: the insert fails
    const before = await countOrders();
    const run = await h.as(customer());
    const res = await run<Placed>(PLACE, {
      input: { idempotencyKey: 'k-dbfail', items: [{ productId: pid('long'), quantity: 2 }] },
    });
    expect(res.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(await countOrders()).toBe(before);
    await waitFor(() => h.products.catalogue.get(pid('long'))!.stock === 5);
    expect(h.logs.lines.some((l) => l.includes('unexpected error'))).toBe(true);
  });

  it('requires a signed-in user', async () => {
    const res = await (
      await h.as(null)
    )<Placed>(PLACE, { input: { idempotencyKey: 'k-anon', items: [{ productId: pid('a1'), quantity: 1 }] } });
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('placeOrder when products does not answer', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await bootOrders({ runExpiry: false }, { RESERVE_TIMEOUT_MS: '300' });
  });
  afterAll(async () => {
    await h.stop();
  });

  it('returns ProductsUnavailableError and stores nothing', async () => {
    const run = await h.as(customer());
    const res = await run<Placed>(PLACE, {
      input: { idempotencyKey: 'k-down', items: [{ productId: pid('x'), quantity: 1 }] },
    });
    expect(res.data!.placeOrder.__typename).toBe('ProductsUnavailableError');
    const [row] = await h.app.db.rows<{ n: number }>('SELECT COUNT(*) AS n FROM orders');
    expect(Number(row!.n)).toBe(0);
  });
});

describe('placeOrder when products answers too late', () => {
  let h: FakeHarness;
  beforeAll(async () => {
    h = await bootWithFakeProducts(
      {},
      { runExpiry: false },
      { RESERVE_TIMEOUT_MS: '300', OUTBOX_POLL_MS: '50' },
      { reserveDelayMs: 900 },
    );
  });
  afterAll(async () => {
    await h.stop();
  });

  it('gives back a reservation made after the timeout (orders.cancelled NOT_PLACED through the outbox)', async () => {
    h.products.catalogue.set(pid('slow'), {
      sku: 'SLOW-1',
      name: 'Slow',
      price: { amount: 100, currency: 'EUR' },
      stock: 4,
    });
    const run = await h.as(customer());
    const res = await run<Placed>(PLACE, {
      input: { idempotencyKey: 'k-late', items: [{ productId: pid('slow'), quantity: 3 }] },
    });
    expect(res.data!.placeOrder.__typename).toBe('ProductsUnavailableError');
    // The reserve lands after the answer; whichever comes first, the stock ends where it began.
    await waitFor(() => h.products.calls.reserve === 1 && h.products.calls.release >= 1);
    await sleep(1000);
    expect(h.products.catalogue.get(pid('slow'))!.stock).toBe(4);
    expect(h.products.reservations.size).toBe(0);
    const [row] = await h.app.db.rows<{ n: number }>('SELECT COUNT(*) AS n FROM orders');
    expect(Number(row!.n)).toBe(0);
  });
});
