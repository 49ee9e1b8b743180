import { randomUUID } from 'node:crypto';
import { waitFor } from '@shop/testing';
import { CANCEL, customer, PLACE, type Harness, type Placed } from './helpers';
import { bootWithProducts } from './with-products';

describe('orders with the real products subgraph', () => {
  let env: Awaited<ReturnType<typeof bootWithProducts>>;
  let h: Harness;

  beforeAll(async () => {
    env = await bootWithProducts({
      ORDER_TTL_SECONDS: '2',
      EXPIRY_INTERVAL_MS: '250',
      OUTBOX_POLL_MS: '100',
    });
    h = env.h;
  }, 60_000);
  afterAll(async () => {
    await env.stop();
  });

  const countOrders = async () =>
    Number((await h.app.db.rows<{ n: number }>('SELECT COUNT(*) AS n FROM orders'))[0]?.n);

  it('places an order with price snapshots and takes the stock', async () => {
    const lamp = await env.addProduct('Desk lamp', 10, 4999);
    const run = await h.as(customer());
    const res = await run<Placed>(PLACE, {
      input: { idempotencyKey: randomUUID(), items: [{ productId: lamp.id, quantity: 2 }] },
    });
    const order = res.data!.placeOrder;
    expect(order.__typename).toBe('Order');
    expect(order.status).toBe('PENDING_PAYMENT');
    expect(order.items).toEqual([
      {
        product: { id: lamp.id },
        variant: { id: `${lamp.id}-1` },
        sku: lamp.variants[0]!.sku,
        productName: 'Desk lamp',
        variantTitle: '',
        quantity: 2,
        unitPrice: { amount: 4999, currency: 'EUR' },
        lineTotal: { amount: 9998, currency: 'EUR' },
      },
    ]);
    expect(order.total).toEqual({ amount: 9998, currency: 'EUR' });
    expect(await env.stockOf(lamp.id)).toBe(8);
  });

  it('gives typed errors for short stock and unknown products, and leaves nothing behind', async () => {
    const a = await env.addProduct('Mug', 10, 900);
    const b = await env.addProduct('Plate', 1, 1200);
    const before = await countOrders();
    const run = await h.as(customer());
    const short = await run<Placed>(PLACE, {
      input: {
        idempotencyKey: randomUUID(),
        items: [
          { productId: a.id, quantity: 3 },
          { productId: b.id, quantity: 2 },
        ],
      },
    });
    expect(short.data!.placeOrder).toMatchObject({
      __typename: 'InsufficientStockError',
      productId: b.id,
      requested: 2,
      available: 1,
    });
    const unknownId = '0123456789abcdef01234567';
    const unknown = await run<Placed>(PLACE, {
      input: {
        idempotencyKey: randomUUID(),
        items: [
          { productId: a.id, quantity: 1 },
          { productId: unknownId, quantity: 1 },
        ],
      },
    });
    expect(unknown.data!.placeOrder).toMatchObject({
      __typename: 'UnknownProductError',
      productId: unknownId,
    });
    expect(await countOrders()).toBe(before);
    expect(await env.stockOf(a.id)).toBe(10);
    expect(await env.stockOf(b.id)).toBe(1);
  });

  it('honours the idempotency key both ways', async () => {
    const p = await env.addProduct('Chair', 10, 15000);
    const run = await h.as(customer());
    const key = randomUUID();
    const first = await run<Placed>(PLACE, {
      input: { idempotencyKey: key, items: [{ productId: p.id, quantity: 1 }] },
    });
    const same = await run<Placed>(PLACE, {
      input: { idempotencyKey: key, items: [{ productId: p.id, quantity: 1 }] },
    });
    const other = await run<Placed>(PLACE, {
      input: { idempotencyKey: key, items: [{ productId: p.id, quantity: 2 }] },
    });
    expect(same.data!.placeOrder.id).toBe(first.data!.placeOrder.id);
    expect(other.data!.placeOrder).toMatchObject({
      __typename: 'IdempotencyKeyReusedError',
      orderId: first.data!.placeOrder.id,
    });
    expect(await env.stockOf(p.id)).toBe(9);
  });

  it('gives the stock back when the customer cancels', async () => {
    const p = await env.addProduct('Table', 4, 30000);
    const user = customer();
    const run = await h.as(user);
    const placed = await run<Placed>(PLACE, {
      input: { idempotencyKey: randomUUID(), items: [{ productId: p.id, quantity: 3 }] },
    });
    expect(await env.stockOf(p.id)).toBe(1);
    const cancelled = await run<{ cancelOrder: { __typename: string } }>(CANCEL, {
      id: placed.data!.placeOrder.id,
    });
    expect(cancelled.data!.cancelOrder.__typename).toBe('Order');
    await waitFor(async () => (await env.stockOf(p.id)) === 4, { timeoutMs: 15_000 });
  });

  it('expires an unpaid order: CANCELLED, and its stock is back in products', async () => {
    const p = await env.addProduct('Shelf', 5, 2500);
    const run = await h.as(customer());
    const placed = await run<Placed>(PLACE, {
      input: { idempotencyKey: randomUUID(), items: [{ productId: p.id, quantity: 5 }] },
    });
    const id = placed.data!.placeOrder.id!;
    expect(await env.stockOf(p.id)).toBe(0);
    await waitFor(async () => (await h.app.repository.findById(id))?.status === 'CANCELLED', {
      timeoutMs: 15_000,
    });
    await waitFor(async () => (await env.stockOf(p.id)) === 5, { timeoutMs: 15_000 });
    const res = await run<{ order: { status: string; cancelledAt: string } }>(
      'query($id: ID!) { order(id: $id) { status cancelledAt } }',
      { id },
    );
    expect(res.data!.order.status).toBe('CANCELLED');
    expect(res.data!.order.cancelledAt).toEqual(expect.any(String));
  }, 40_000);
});
