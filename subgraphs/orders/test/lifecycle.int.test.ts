import { randomUUID } from 'node:crypto';
import { OrderCancelledEvent, PayableReply, request } from '@shop/messaging';
import { waitFor } from '@shop/testing';
import {
  admin,
  bootWithFakeProducts,
  CANCEL,
  customer,
  pid,
  placeFor,
  streamMessages,
  type FakeHarness,
} from './helpers';

describe('cancelling, expiry and orders.payable', () => {
  let h: FakeHarness;
  let now = new Date();

  beforeAll(async () => {
    // The test owns the clock and drives expiry itself; the relay runs as in production.
    h = await bootWithFakeProducts(
      { [pid('p1')]: { sku: 'P1', name: 'Pen', price: { amount: 200, currency: 'EUR' }, stock: 1000 } },
      { runExpiry: false, now: () => now },
      { ORDER_TTL_SECONDS: '60' },
    );
  });
  afterAll(async () => {
    await h.stop();
  });

  const place = (user = customer(), quantity = 1) => placeFor(h, [{ productId: pid('p1'), quantity }], user);
  const statusOf = async (id: string) => (await h.app.repository.findById(id))!.status;

  it('lets the owner cancel a pending order once, and publishes orders.cancelled', async () => {
    const { user, order } = await place(customer(), 3);
    const run = await h.as(user);
    const res = await run<{ cancelOrder: Record<string, unknown> }>(CANCEL, { id: order.id });
    expect(res.data!.cancelOrder).toMatchObject({ __typename: 'Order', id: order.id, status: 'CANCELLED' });
    expect(res.data!.cancelOrder.cancelledAt).toEqual(expect.any(String));

    const again = await run<{ cancelOrder: Record<string, unknown> }>(CANCEL, { id: order.id });
    expect(again.data!.cancelOrder).toMatchObject({
      __typename: 'OrderNotCancellableError',
      status: 'CANCELLED',
    });

    const events = await waitFor(async () => {
      const all = await streamMessages<OrderCancelledEvent>(
        h.nc,
        h.names.streams.orders,
        h.names.events.ordersCancelled,
      );
      const mine = all.filter((m) => m.data.orderId === order.id);
      return mine.length ? mine : null;
    });
    expect(events).toHaveLength(1);
    const event = OrderCancelledEvent.parse(events[0]!.data);
    expect(event).toMatchObject({
      userId: user.id,
      reason: 'CANCELLED_BY_USER',
      items: [{ productId: pid('p1'), quantity: 3 }],
    });
  });

  it("treats someone else's order as not found, and lets an admin cancel it", async () => {
    const { order } = await place();
    const other = await (
      await h.as(customer())
    )<{ cancelOrder: Record<string, unknown> }>(CANCEL, { id: order.id });
    expect(other.data!.cancelOrder).toMatchObject({ __typename: 'OrderNotFoundError', orderId: order.id });
    expect(await statusOf(order.id)).toBe('PENDING_PAYMENT');
    const missing = await (
      await h.as(customer())
    )<{ cancelOrder: Record<string, unknown> }>(CANCEL, { id: randomUUID() });
    expect(missing.data!.cancelOrder.__typename).toBe('OrderNotFoundError');
    const byAdmin = await (
      await h.as(admin())
    )<{ cancelOrder: Record<string, unknown> }>(CANCEL, { id: order.id });
    expect(byAdmin.data!.cancelOrder).toMatchObject({ __typename: 'Order', status: 'CANCELLED' });
  });

  it('expires unpaid orders after the TTL, with an outbox row each, and not before', async () => {
    const { order } = await place();
    expect(await h.app.service.expireDue()).not.toContain(order.id);
    now = new Date(now.getTime() + 61_000);
    try {
      const expired = await h.app.service.expireDue();
      expect(expired).toContain(order.id);
      expect(await statusOf(order.id)).toBe('CANCELLED');
      expect(await h.app.service.expireDue()).toEqual([]);
      const event = await waitFor(async () => {
        const all = await streamMessages<OrderCancelledEvent>(
          h.nc,
          h.names.streams.orders,
          h.names.events.ordersCancelled,
        );
        return all.find((m) => m.data.orderId === order.id);
      });
      expect(event.data.reason).toBe('EXPIRED');
    } finally {
      now = new Date();
    }
  });

  it('skips orders another instance has locked (SKIP LOCKED) and cancels each order exactly once', async () => {
    const placed = await Promise.all(Array.from({ length: 12 }, () => place()));
    const ids = placed.map((p) => p.order.id);
    now = new Date(now.getTime() + 61_000);
    const conn = await h.app.db.pool.getConnection();
    try {
      // Another "instance" holds a lock on the first order.
      await conn.beginTransaction();
      await conn.query('SELECT id FROM orders WHERE id = ? FOR UPDATE', [ids[0]]);
      const [a, b] = await Promise.all([h.app.service.expireDue(5), h.app.service.expireDue(5)]);
      const rest = await h.app.service.expireDue();
      const all = [...a!, ...b!, ...rest];
      expect(all).not.toContain(ids[0]);
      expect(new Set(all).size).toBe(all.length);
      for (const id of ids.slice(1)) expect(all).toContain(id);
      await conn.rollback();
      expect(await h.app.service.expireDue()).toEqual([ids[0]]);
      const [row] = await h.app.db.rows<{ n: number }>(
        `SELECT COUNT(*) AS n FROM outbox WHERE kind = 'orders.cancelled' AND JSON_VALUE(payload, '$.orderId') IN (?)`,
        [ids],
      );
      expect(Number(row!.n)).toBe(ids.length);
    } finally {
      conn.release();
      now = new Date();
    }
  });

  it('does not expire an order while a payment for it is in progress (orders.payable leases it)', async () => {
    const { user, order } = await place();
    const started = now;
    try {
      // 50 s into a 60 s TTL, payments asks whether the order is payable: the lease (120 s) starts.
      now = new Date(started.getTime() + 50_000);
      expect(await h.app.service.payable(order.id, user.id)).toMatchObject({ ok: true });
      now = new Date(started.getTime() + 61_000);
      expect(await h.app.service.expireDue()).not.toContain(order.id);
      expect(await statusOf(order.id)).toBe('PENDING_PAYMENT');
      now = new Date(started.getTime() + 50_000 + 121_000);
      expect(await h.app.service.expireDue()).toContain(order.id);
    } finally {
      now = new Date(started.getTime() + 50_000 + 121_000);
    }
  });

  it('answers orders.payable with the amount, or a typed refusal', async () => {
    const { user, order } = await place(customer(), 2);
    const ask = (orderId: string, userId: string) =>
      request(h.nc, h.names.commands.ordersPayable, { orderId, userId }, PayableReply, 2000);

    expect(await ask(order.id, user.id)).toEqual({
      ok: true,
      orderId: order.id,
      userId: user.id,
      amount: { amount: 400, currency: 'EUR' },
      status: 'PENDING_PAYMENT',
    });
    expect(await ask(order.id, randomUUID())).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(await ask(randomUUID(), user.id)).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(await ask('', user.id)).toMatchObject({ ok: false, code: 'INVALID_REQUEST' });
    // The lease just granted keeps the customer from cancelling; once it is over they may.
    const cancel = async () =>
      (await (await h.as(user))<{ cancelOrder: Record<string, unknown> }>(CANCEL, { id: order.id })).data!
        .cancelOrder;
    expect(await cancel()).toMatchObject({ __typename: 'OrderPaymentInProgressError' });
    now = new Date(now.getTime() + 121_000);
    expect(await cancel()).toMatchObject({ __typename: 'Order', status: 'CANCELLED' });
    expect(await ask(order.id, user.id)).toMatchObject({
      ok: false,
      code: 'NOT_PAYABLE',
      status: 'CANCELLED',
    });
  });
});
