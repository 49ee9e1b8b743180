import { jetstream, publishEvent, type OrderPaidEvent } from '@shop/messaging';
import { waitFor } from '@shop/testing';
import {
  bootWithFakeProducts,
  paymentEvent,
  pid,
  placeFor,
  streamMessages,
  type FakeHarness,
} from './helpers';

describe('the outbox relay wakes up after a commit that wrote an outbox row', () => {
  let h: FakeHarness;

  beforeAll(async () => {
    // A poll interval far longer than the test: only the in-process signal can publish in time.
    h = await bootWithFakeProducts(
      { [pid('mug')]: { sku: 'MUG-1', name: 'A Mug', price: { amount: 900, currency: 'EUR' }, stock: 100 } },
      { runExpiry: false },
      { OUTBOX_POLL_MS: '60000' },
    );
  });
  afterAll(async () => {
    await h.stop();
  });

  it('publishes orders.paid within a second of applying the payment, with a 60 s poll', async () => {
    const { user, order: placed } = await placeFor(h, [{ productId: pid('mug'), quantity: 1 }]);
    const orderId = placed.id;
    const event = paymentEvent(placed, user.id);
    const paymentId = event.paymentId;
    await publishEvent(jetstream(h.nc), h.names.events.paymentsSucceeded, event.eventId, event);
    const paid = await waitFor(
      async () =>
        (await streamMessages<OrderPaidEvent>(h.nc, h.names.streams.orders, h.names.events.ordersPaid)).find(
          (m) => m.data.orderId === orderId,
        ),
      { timeoutMs: 5_000, intervalMs: 20 },
    );
    const order = await h.app.repository.findById(orderId);
    expect(order!.status).toBe('PAID');
    // paidAt is when the outbox row was committed; the event reached the stream well before a poll.
    expect(paid.data.paymentId).toBe(paymentId);
    const [row] = await h.app.db.rows<{ lag: number }>(
      `SELECT TIMESTAMPDIFF(MICROSECOND, created_at, sent_at) / 1000 AS lag FROM outbox WHERE event_id = ?`,
      [paid.data.eventId],
    );
    expect(Number(row!.lag)).toBeLessThan(2_000);
    expect(await h.app.repository.countUnsentOutbox()).toBe(0);
  });
});
