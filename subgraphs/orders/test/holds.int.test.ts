/**
 * Finding 6 of issue 16: stock could be held forever. Every payOrder attempt (declined, or with the
 * processor down) pushed the order's expiry forward by the payment lease, and a user could keep any
 * number of unpaid orders. Now a lease never reaches past placement + MAX_ORDER_AGE_SECONDS (the
 * hard deadline), and MAX_UNPAID_ORDERS per user is enforced under a per-user lock.
 */
import { randomUUID } from 'node:crypto';
import { PayableReply, request } from '@shop/messaging';
import { waitFor } from '@shop/testing';
import {
  bootWithFakeProducts,
  CANCEL,
  customer,
  paymentEvent,
  pid,
  PLACE,
  placeFor,
  type FakeHarness,
  type Placed,
} from './helpers';

const CUP = pid('cup');

describe('finding 6: the hard deadline of an unpaid order', () => {
  let h: FakeHarness;
  let now = new Date();

  beforeAll(async () => {
    h = await bootWithFakeProducts(
      { [CUP]: { sku: 'CUP-1', name: 'Cup', price: { amount: 800, currency: 'EUR' }, stock: 1000 } },
      { runExpiry: false, now: () => now },
      { ORDER_TTL_SECONDS: '60', PAYMENT_LEASE_SECONDS: '20', MAX_ORDER_AGE_SECONDS: '100' },
    );
  });
  afterAll(async () => {
    await h.stop();
  });

  const payable = (orderId: string, userId: string) =>
    request(h.nc, h.names.commands.ordersPayable, { orderId, userId }, PayableReply, 2000);
  const stored = async (id: string) =>
    (
      await h.app.db.rows<{
        status: string;
        created_at: Date;
        expires_at: Date;
        payment_lease_until: Date | null;
      }>('SELECT status, created_at, expires_at, payment_lease_until FROM orders WHERE id = ?', [id])
    )[0]!;

  it('finding 6: payment attempts every second, all declined, never hold the order past placement + MAX_ORDER_AGE_SECONDS', async () => {
    const started = now;
    const { user, order } = await placeFor(h, [{ productId: CUP, quantity: 2 }]);
    const placedAt = (await stored(order.id)).created_at.getTime();
    const deadline = placedAt + 100_000;
    const stock = h.products.catalogue.get(CUP)!.stock;
    const granted: number[] = [];
    try {
      for (let second = 0; second <= 130; second += 1) {
        now = new Date(started.getTime() + second * 1000);
        await h.app.service.expireDue();
        const reply = await payable(order.id, user.id);
        if (reply.ok) {
          granted.push(second);
          // payments' attempt fails (declined, or the processor is down)
          await h.app.service.applyPaymentEvent(paymentEvent(order, user.id, 'FAILED'));
        }
        const row = await stored(order.id);
        expect(row.expires_at.getTime()).toBeLessThanOrEqual(deadline);
        if (row.payment_lease_until) expect(row.payment_lease_until.getTime()).toBeLessThanOrEqual(deadline);
      }
      // Leases were granted while one fitted before the deadline (80 s = 100 - 20), then no more.
      expect(granted[0]).toBe(0);
      expect(Math.max(...granted)).toBe(80);
      expect(await payable(order.id, user.id)).toMatchObject({ ok: false, code: 'NOT_PAYABLE' });
      // The order expired at the deadline and its stock went back.
      expect((await stored(order.id)).status).toBe('CANCELLED');
      await waitFor(() => h.products.catalogue.get(CUP)!.stock === stock + 2);
    } finally {
      now = new Date(started.getTime() + 200_000);
    }
  });

  it('finding 6: a lease that would end after the deadline is not granted; payable after the deadline answers not payable', async () => {
    const started = now;
    const { user, order } = await placeFor(h, [{ productId: CUP, quantity: 1 }]);
    try {
      now = new Date(started.getTime() + 50_000);
      expect(await payable(order.id, user.id)).toMatchObject({ ok: true }); // lease to 70 s, expiry 70 s
      now = new Date(started.getTime() + 69_000);
      expect(await payable(order.id, user.id)).toMatchObject({ ok: true }); // to 89 s
      now = new Date(started.getTime() + 80_000);
      expect(await payable(order.id, user.id)).toMatchObject({ ok: true }); // to exactly 100 s
      now = new Date(started.getTime() + 80_001);
      const refused = await payable(order.id, user.id);
      expect(refused).toMatchObject({ ok: false, code: 'NOT_PAYABLE', status: 'PENDING_PAYMENT' });
      expect(refused.ok ? '' : refused.message).toMatch(/too old to start a payment/);
      expect((await stored(order.id)).expires_at.getTime()).toBe(started.getTime() + 100_000);
      now = new Date(started.getTime() + 100_000);
      expect(await h.app.service.expireDue()).toContain(order.id);
      expect(await payable(order.id, user.id)).toMatchObject({ ok: false, code: 'NOT_PAYABLE' });
    } finally {
      now = new Date(started.getTime() + 200_000);
    }
  });
});

describe('finding 6: at most MAX_UNPAID_ORDERS unpaid orders per user', () => {
  let h: FakeHarness;

  beforeAll(async () => {
    h = await bootWithFakeProducts(
      { [CUP]: { sku: 'CUP-1', name: 'Cup', price: { amount: 800, currency: 'EUR' }, stock: 100_000 } },
      { runExpiry: false },
      { MAX_UNPAID_ORDERS: '5', OUTBOX_POLL_MS: '50' },
    );
  });
  afterAll(async () => {
    await h.stop();
  });

  const unpaidOf = async (userId: string) =>
    Number(
      (
        await h.app.db.rows<{ n: number }>(
          "SELECT COUNT(*) AS n FROM orders WHERE user_id = ? AND status = 'PENDING_PAYMENT'",
          [userId],
        )
      )[0]?.n,
    );
  const placeMany = async (user: ReturnType<typeof customer>, n: number) => {
    const run = await h.as(user);
    return Promise.all(
      Array.from({ length: n }, () =>
        run<Placed>(PLACE, {
          input: { idempotencyKey: randomUUID(), items: [{ productId: CUP, quantity: 1 }] },
        }).then((r) => r.data!.placeOrder),
      ),
    );
  };
  const stock = () => h.products.catalogue.get(CUP)!.stock;

  it('finding 6: 10 concurrent placeOrders of a user with 4 unpaid: exactly 1 more is placed, 9 are TooManyUnpaidOrdersError, their stock back', async () => {
    const user = customer();
    for (let i = 0; i < 4; i += 1) await placeFor(h, [{ productId: CUP, quantity: 1 }], user);
    const before = stock();
    const results = await placeMany(user, 10);
    const kinds = results.map((r) => r.__typename);
    expect(kinds.filter((k) => k === 'Order')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'TooManyUnpaidOrdersError')).toHaveLength(9);
    expect(results.find((r) => r.__typename === 'TooManyUnpaidOrdersError')).toMatchObject({ max: 5 });
    expect(await unpaidOf(user.id)).toBe(5);
    await waitFor(() => stock() === before - 1);
  });

  it('finding 6: 20 concurrent placeOrders of a fresh user: exactly 5 are placed', async () => {
    const user = customer();
    const before = stock();
    const results = await placeMany(user, 20);
    expect(results.filter((r) => r.__typename === 'Order')).toHaveLength(5);
    expect(await unpaidOf(user.id)).toBe(5);
    await waitFor(() => stock() === before - 5);
  });

  it('finding 6: at the cap, a replay of a placed order still answers it; a paid or cancelled order frees a place; others are not affected', async () => {
    const user = customer();
    const run = await h.as(user);
    const keys = Array.from({ length: 5 }, () => randomUUID());
    const orders = [];
    for (const key of keys) {
      const res = await run<Placed>(PLACE, {
        input: { idempotencyKey: key, items: [{ productId: CUP, quantity: 1 }] },
      });
      orders.push(res.data!.placeOrder);
    }
    const replay = await run<Placed>(PLACE, {
      input: { idempotencyKey: keys[0], items: [{ productId: CUP, quantity: 1 }] },
    });
    expect(replay.data!.placeOrder).toMatchObject({ __typename: 'Order', id: orders[0]!.id });
    const reserves = h.products.calls.reserve;
    expect((await placeMany(user, 1))[0]).toMatchObject({ __typename: 'TooManyUnpaidOrdersError' });
    expect(h.products.calls.reserve).toBe(reserves); // refused before reserving anything

    // Another customer is not limited by this one.
    expect((await placeMany(customer(), 1))[0]!.__typename).toBe('Order');

    const paid = orders[1]! as { id: string; total: { amount: number; currency: string } };
    expect(await h.app.service.applyPaymentEvent(paymentEvent(paid, user.id))).toBe('PAID');
    expect((await placeMany(user, 1))[0]!.__typename).toBe('Order');
    expect((await placeMany(user, 1))[0]!.__typename).toBe('TooManyUnpaidOrdersError');
    const cancelled = await run<{ cancelOrder: { __typename: string } }>(CANCEL, { id: orders[2]!.id });
    expect(cancelled.data!.cancelOrder.__typename).toBe('Order');
    expect((await placeMany(user, 1))[0]!.__typename).toBe('Order');
    expect(await unpaidOf(user.id)).toBe(5);
  });
});
