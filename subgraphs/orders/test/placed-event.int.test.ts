import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Viewer } from '@shop/auth';
import { jetstreamManager, OrderPlacedEvent } from '@shop/messaging';
import { waitFor } from '@shop/testing';
import { addressIn, bootCheckout, CHECKOUT, type CheckoutView, type CheckoutWorld } from './checkout.harness';
import { customer, PLACE, streamMessages, type Placed } from './helpers';

/**
 * orders.placed: one outbox row in the transaction that inserts the order (placeOrder and checkout
 * share placeLines), relayed to the ORDERS stream with Nats-Msg-Id = its event id. A replayed
 * idempotency key (in turn or at once) and a refusal inside the placing transaction write none.
 */
describe('orders.placed', () => {
  let w: CheckoutWorld;
  const MAX_TOTAL = 10_000;

  beforeAll(async () => {
    w = await bootCheckout({ MAX_ORDER_TOTAL: String(MAX_TOTAL), OUTBOX_POLL_MS: '50' });
  }, 60_000);
  afterAll(async () => {
    await w?.stop();
  });

  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

  /** The user's orders.placed outbox rows, with whether they were sent. */
  const outboxOf = async (userId: string) =>
    w.h.app.db.rows<{ event_id: string; sent: number }>(
      `SELECT event_id, sent_at IS NOT NULL AS sent FROM outbox
       WHERE kind = 'orders.placed' AND JSON_VALUE(payload, '$.userId') = ? ORDER BY seq`,
      [userId],
    );
  /** The user's orders.placed events on the ORDERS stream, with their Nats-Msg-Id. */
  const eventsOf = async (userId: string) => {
    const jsm = await jetstreamManager(w.h.nc);
    const all = await streamMessages<OrderPlacedEvent>(
      w.h.nc,
      w.h.names.streams.orders,
      w.h.names.events.ordersPlaced,
    );
    const mine = all.filter((m) => m.data.userId === userId);
    return Promise.all(
      mine.map(async (m) => {
        const raw = await jsm.streams.getMessage(w.h.names.streams.orders, { seq: m.seq });
        return { data: m.data, msgId: raw?.header.get('Nats-Msg-Id') };
      }),
    );
  };
  /** Waits until every orders.placed row of the user was relayed, then a little longer (a late second one would show). */
  const settled = async (userId: string) => {
    await waitFor(async () => (await outboxOf(userId)).every((r) => Number(r.sent) === 1) || null);
    await w.h.app.relay.relayOnce();
    await sleep(150);
  };
  const place = async (viewer: Viewer, key: string, items: { productId: string; quantity: number }[]) =>
    (await (await w.h.as(viewer))<Placed>(PLACE, { input: { idempotencyKey: key, items } })).data!.placeOrder;
  const orderRow = async (id: string) =>
    (
      await w.h.app.db.rows<{ seq: number; created_at: Date }>(
        'SELECT seq, created_at FROM orders WHERE id = ?',
        [id],
      )
    )[0]!;

  it('placeOrder: exactly one event with the order number, owner, total and placing time; a replay of the key adds none', async () => {
    const viewer = customer();
    const p = await w.product(50, 1250);
    const key = randomUUID();
    const order = await place(viewer, key, [{ productId: p, quantity: 3 }]);
    expect(order.__typename).toBe('Order');
    await settled(viewer.id);

    const rows = await outboxOf(viewer.id);
    expect(rows).toHaveLength(1);
    const events = await eventsOf(viewer.id);
    expect(events).toHaveLength(1);
    const event = OrderPlacedEvent.parse(events[0]!.data);
    const stored = await orderRow(order.id!);
    expect(event).toEqual({
      eventId: rows[0]!.event_id,
      orderId: order.id,
      orderNumber: order.number,
      userId: viewer.id,
      total: { amount: 3750, currency: 'EUR' },
      placedAt: stored.created_at.toISOString(),
    });
    expect(order.number).toBe(`SO-${String(stored.seq).padStart(6, '0')}`);
    expect(event.eventId).toMatch(UUID);
    expect(event.eventId).not.toBe(order.id);
    expect(events[0]!.msgId).toBe(event.eventId);

    // The same key again, in turn and then five at once: the first order, and no second event.
    const again = await place(viewer, key, [{ productId: p, quantity: 3 }]);
    expect(again.id).toBe(order.id);
    const burst = await Promise.all(
      Array.from({ length: 5 }, () => place(viewer, key, [{ productId: p, quantity: 3 }])),
    );
    expect(new Set(burst.map((b) => b.id))).toEqual(new Set([order.id]));
    await settled(viewer.id);
    expect(await outboxOf(viewer.id)).toHaveLength(1);
    expect(await eventsOf(viewer.id)).toHaveLength(1);
  });

  it('placeOrder: concurrent first placings of one key store one order and one event', async () => {
    const viewer = customer();
    const p = await w.product(50, 100);
    const key = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 6 }, () => place(viewer, key, [{ productId: p, quantity: 1 }])),
    );
    const ids = new Set(results.map((r) => r.id));
    expect(ids.size).toBe(1);
    await settled(viewer.id);
    expect(await w.ordersOf(viewer.id)).toEqual([...ids]);
    const events = await eventsOf(viewer.id);
    expect(events.map((e) => e.data.orderId)).toEqual([...ids]);
  });

  it('two orders of one customer: one event each, with distinct event ids and numbers', async () => {
    const viewer = customer();
    const p = await w.product(50, 100);
    const a = await place(viewer, randomUUID(), [{ productId: p, quantity: 1 }]);
    const b = await place(viewer, randomUUID(), [{ productId: p, quantity: 2 }]);
    await settled(viewer.id);
    const events = await eventsOf(viewer.id);
    expect(events.map((e) => e.data.orderId).sort()).toEqual([a.id, b.id].sort());
    expect(new Set(events.map((e) => e.data.eventId)).size).toBe(2);
    expect(events.map((e) => e.data.orderNumber).sort()).toEqual([a.number, b.number].sort());
    expect(events.find((e) => e.data.orderId === b.id)!.data.total).toEqual({ amount: 200, currency: 'EUR' });
  });

  it('checkout: exactly one event whose total includes shipping; a replay of the key adds none', async () => {
    const viewer = customer();
    const p = await w.product(20, 1500);
    const cart = await w.cartWith(viewer, [{ productId: p, quantity: 2 }]);
    const input = {
      cartId: cart.id,
      shippingAddress: addressIn('DE'),
      shippingMethodId: 'standard-eu',
      idempotencyKey: randomUUID(),
    };
    const order = await w.checkout(viewer, input);
    expect(order).toMatchObject({ __typename: 'Order', total: { amount: 3490, currency: 'EUR' } });
    await settled(viewer.id);
    const events = await eventsOf(viewer.id);
    expect(events).toHaveLength(1);
    const stored = await orderRow(order.id!);
    expect(OrderPlacedEvent.parse(events[0]!.data)).toEqual({
      eventId: events[0]!.msgId,
      orderId: order.id,
      orderNumber: `SO-${String(stored.seq).padStart(6, '0')}`,
      userId: viewer.id,
      total: { amount: 3490, currency: 'EUR' },
      placedAt: stored.created_at.toISOString(),
    });

    // The same request again (the cart is empty now): the first order, no second event.
    const replay = await (await w.h.as(viewer))<{ checkout: CheckoutView }>(CHECKOUT, { input });
    expect(replay.data!.checkout).toMatchObject({ __typename: 'Order', id: order.id });
    await settled(viewer.id);
    expect(await outboxOf(viewer.id)).toHaveLength(1);
    expect(await eventsOf(viewer.id)).toHaveLength(1);
  });

  it('a checkout refused inside the placing transaction (total with shipping above the maximum) writes no event', async () => {
    const viewer = customer();
    const p = await w.product(20, 9_500);
    const cart = await w.cartWith(viewer, [{ productId: p, quantity: 1 }]);
    // 95.00 + express 9.90 = 104.90 > 100.00: refused after the insert's checks began, all rolled back.
    const refused = await w.checkout(viewer, {
      cartId: cart.id,
      shippingAddress: addressIn('DE'),
      shippingMethodId: 'express-eu',
    });
    expect(refused).toMatchObject({ __typename: 'OrderTotalLimitError', maxTotal: { amount: MAX_TOTAL } });
    await w.h.app.relay.relayOnce();
    await sleep(150);
    expect(await w.ordersOf(viewer.id)).toEqual([]);
    expect(await outboxOf(viewer.id)).toEqual([]);
    expect(await eventsOf(viewer.id)).toEqual([]);

    // The same cart with standard shipping (free above 50.00) is placed: then exactly one event.
    const placed = await w.checkout(viewer, {
      cartId: cart.id,
      shippingAddress: addressIn('DE'),
      shippingMethodId: 'standard-eu',
    });
    expect(placed).toMatchObject({ __typename: 'Order', total: { amount: 9_500 } });
    await settled(viewer.id);
    expect((await eventsOf(viewer.id)).map((e) => e.data.orderId)).toEqual([placed.id]);
  });

  it('a placing refused before the transaction (out of stock) writes no event', async () => {
    const viewer = customer();
    const p = await w.product(1, 100);
    const refused = await place(viewer, randomUUID(), [{ productId: p, quantity: 2 }]);
    expect(refused.__typename).toBe('InsufficientStockError');
    await w.h.app.relay.relayOnce();
    expect(await outboxOf(viewer.id)).toEqual([]);
    expect(await eventsOf(viewer.id)).toEqual([]);
  });
});
