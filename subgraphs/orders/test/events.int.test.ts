import { jetstream, OrderPaidEvent, publishEvent, type PaymentEvent } from '@shop/messaging';
import { waitFor } from '@shop/testing';
import { createOutboxRelay } from '../src/outbox-relay';
import {
  bootWithFakeProducts,
  CANCEL,
  customer,
  paymentEvent,
  pid,
  placeFor,
  streamMessages,
  type FakeHarness,
} from './helpers';

describe('payment events and the outbox relay', () => {
  let h: FakeHarness;

  beforeAll(async () => {
    // No relay loop: each test drives the relay itself.
    h = await bootWithFakeProducts(
      {
        [pid('book')]: { sku: 'BK-1', name: 'A Book', price: { amount: 1500, currency: 'EUR' }, stock: 1000 },
      },
      { runRelay: false, runExpiry: false },
    );
  });
  afterAll(async () => {
    await h.stop();
  });

  const place = (user = customer()) => placeFor(h, [{ productId: pid('book'), quantity: 2 }], user);
  const subjectOf = (e: PaymentEvent) =>
    e.status === 'SUCCEEDED' ? h.names.events.paymentsSucceeded : h.names.events.paymentsFailed;
  // Every placed order also has its orders.placed row (unsent here: no relay loop); these tests are
  // about what the payment events add, so they leave it out (placed-event.int.test.ts covers it).
  const unsentFor = async (orderId: string) =>
    h.app.db.rows<{ event_id: string; kind: string }>(
      `SELECT event_id, kind FROM outbox
       WHERE sent_at IS NULL AND kind <> 'orders.placed' AND JSON_VALUE(payload, '$.orderId') = ? ORDER BY seq`,
      [orderId],
    );
  const paidEvents = async (orderId: string) =>
    (await streamMessages<OrderPaidEvent>(h.nc, h.names.streams.orders, h.names.events.ordersPaid)).filter(
      (m) => m.data.orderId === orderId,
    );

  it('moves the order to PAID from payments.succeeded, once, however often the event is delivered', async () => {
    const { user, order } = await place();
    const event = paymentEvent(order, user.id);
    const js = jetstream(h.nc);
    await publishEvent(js, subjectOf(event), event.eventId, event);
    await waitFor(async () => (await h.app.repository.findById(order.id))?.status === 'PAID');
    const paid = await h.app.repository.findById(order.id);

    // Redelivery (a new msg id, so JetStream's de-duplication does not hide it from the consumer).
    await publishEvent(js, subjectOf(event), `${event.eventId}-redelivered`, event);
    await waitFor(async () => {
      const info = await (
        await import('@shop/messaging')
      )
        .jetstreamManager(h.nc)
        .then((m) => m.consumers.info(h.names.streams.payments, h.names.consumers.ordersOnPayments));
      return info.num_pending === 0 && info.num_ack_pending === 0;
    });
    expect(await h.app.service.applyPaymentEvent(event)).toBe('DUPLICATE');
    const after = await h.app.repository.findById(order.id);
    expect(after!.paidAt).toEqual(paid!.paidAt);
    expect(after!.paymentId).toBe(event.paymentId);
    const [applied] = await h.app.db.rows<{ n: number; outcome: string }>(
      'SELECT COUNT(*) AS n, MAX(outcome) AS outcome FROM applied_events WHERE event_id = ?',
      [event.eventId],
    );
    expect(Number(applied!.n)).toBe(1);
    expect(applied!.outcome).toBe('PAID');
    const outbox = await unsentFor(order.id);
    expect(outbox.map((r) => r.kind)).toEqual(['orders.paid']);

    await h.app.relay.relayOnce();
    const events = await paidEvents(order.id);
    expect(events).toHaveLength(1);
    const published = OrderPaidEvent.parse(events[0]!.data);
    expect(published).toMatchObject({
      orderId: order.id,
      orderNumber: order.number,
      userId: user.id,
      paymentId: event.paymentId,
      total: { amount: 3000, currency: 'EUR' },
      items: [
        {
          productId: pid('book'),
          name: 'A Book',
          quantity: 2,
          unitPrice: { amount: 1500, currency: 'EUR' },
          lineTotal: { amount: 3000, currency: 'EUR' },
        },
      ],
    });
    expect(published.eventId).toBe(outbox[0]!.event_id);
  });

  it('records a failed payment and keeps the order payable, emitting nothing', async () => {
    const { user, order } = await place();
    expect(await h.app.service.applyPaymentEvent(paymentEvent(order, user.id, 'FAILED'))).toBe(
      'FAILURE_RECORDED',
    );
    expect((await h.app.repository.findById(order.id))!.status).toBe('PENDING_PAYMENT');
    const [row] = await h.app.db.rows<{ f: string }>(
      'SELECT last_payment_failure AS f FROM orders WHERE id = ?',
      [order.id],
    );
    expect(row!.f).toBe('card declined');
    expect(await unsentFor(order.id)).toEqual([]);
    expect(await h.app.service.payable(order.id, user.id)).toMatchObject({ ok: true });
  });

  it('records a payment for a cancelled order without reviving it or emitting orders.paid', async () => {
    const { user, order } = await place();
    await (
      await h.as(user)
    )(CANCEL, { id: order.id });
    expect(await h.app.service.applyPaymentEvent(paymentEvent(order, user.id))).toBe('PAID_AFTER_CANCEL');
    expect((await h.app.repository.findById(order.id))!.status).toBe('CANCELLED');
    // No orders.paid; the charge's refund is asked for instead (refunds.int.test.ts).
    expect((await unsentFor(order.id)).map((r) => r.kind)).toEqual([
      'orders.cancelled',
      'orders.refund_requested',
    ]);
    expect(h.logs.lines.some((l) => l.includes('PAID_AFTER_CANCEL'))).toBe(true);
  });

  it('refuses a payment whose amount is not the order total', async () => {
    const { user, order } = await place();
    const event = { ...paymentEvent(order, user.id), amount: { amount: 1, currency: 'EUR' } };
    expect(await h.app.service.applyPaymentEvent(event)).toBe('AMOUNT_MISMATCH');
    expect((await h.app.repository.findById(order.id))!.status).toBe('PENDING_PAYMENT');
  });

  it('publishes exactly once when a relay dies between publishing and marking sent', async () => {
    await h.app.relay.relayOnce(); // flush what earlier tests left
    const { user, order } = await place();
    await h.app.relay.relayOnce(); // its orders.placed, so that only orders.paid is left to relay
    expect(await h.app.service.applyPaymentEvent(paymentEvent(order, user.id))).toBe('PAID');
    const [row] = await unsentFor(order.id);
    expect(row).toBeDefined();

    const crashing = createOutboxRelay({
      repository: h.app.repository,
      js: jetstream(h.nc),
      names: h.names,
      log: h.app.log,
      afterPublish: () => {
        throw new Error('killed after publish');
      },
    });
    await expect(crashing.relayOnce()).rejects.toThrow('killed after publish');
    expect(await paidEvents(order.id)).toHaveLength(1); // it did reach the stream
    expect(await unsentFor(order.id)).toHaveLength(1); // but was never marked sent

    const restarted = await h.app.relay.relayOnce();
    expect(restarted).toEqual({ published: 1, duplicates: 1 });
    expect(await unsentFor(order.id)).toEqual([]);
    const events = await paidEvents(order.id);
    expect(events).toHaveLength(1);
    expect(events[0]!.data.eventId).toBe(row!.event_id);
    expect(await h.app.relay.relayOnce()).toEqual({ published: 0, duplicates: 0 });
  });
});
