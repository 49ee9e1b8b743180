/**
 * Refunds in orders of charges that paid nothing (issue 16, "Refunds, as a capability"): every
 * unmatched charge asks payments for its refund exactly once (outbox row in the same transaction),
 * and payments.refunded marks it once. Real MariaDB and NATS; invariants read from the outbox table
 * and the ORDERS stream. refundOrder: refunds.admin.int.test.ts; the audit: refunds.audit.int.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { jetstream, publishEvent } from '@shop/messaging';
import { waitFor } from '@shop/testing';
import { bootWithFakeProducts, paymentEvent, pid, placeFor, type FakeHarness } from './helpers';
import { afterPayment, paidOrder } from './fulfilment.fixtures';
import { refundedEvent, refundRequests } from './refunds.fixtures';

const PEN = pid('refund-pen');

describe('refunds of unmatched charges', () => {
  let h: FakeHarness;
  let req: ReturnType<typeof refundRequests>;

  beforeAll(async () => {
    h = await bootWithFakeProducts(
      { [PEN]: { sku: 'PEN-1', name: 'Pen', price: { amount: 250, currency: 'EUR' }, stock: 100_000 } },
      { runExpiry: false, runAudit: false },
    );
    req = refundRequests(h);
  });
  afterAll(async () => {
    await h.stop();
  });

  const js = () => jetstream(h.nc);
  const paid = () => paidOrder(h, [{ productId: PEN, quantity: 2 }]);

  it('a charge on a cancelled order writes exactly one CANCELLED_ORDER refund request, whatever the redeliveries', async () => {
    const { user, order } = await placeFor(h, [{ productId: PEN, quantity: 1 }]);
    await h.app.service.cancelOrder(user, order.id);
    const event = paymentEvent(order, user.id);
    // Through the stream twice (JetStream drops the copy), then applied again and again as a late
    // redelivery would be, and once more under another event id for the same payment.
    await publishEvent(js(), h.names.events.paymentsSucceeded, event.eventId, event);
    await publishEvent(js(), h.names.events.paymentsSucceeded, event.eventId, event);
    await waitFor(async () => (await h.app.refunds.unmatchedCharges(order.id)).length > 0 || null);
    await Promise.all([1, 2, 3].map(() => h.app.service.applyPaymentEvent(event)));
    await h.app.service.applyPaymentEvent({ ...event, eventId: randomUUID() });
    expect(await h.app.refunds.unmatchedCharges(order.id)).toEqual([
      expect.objectContaining({ paymentId: event.paymentId, reason: 'PAID_AFTER_CANCEL', refundedAt: null }),
    ]);
    await req.expectOne(event.paymentId, 'CANCELLED_ORDER', 250);
  });

  it('a second charge, a wrong amount and an unknown order each write one request with their reason', async () => {
    const { user, order, event: first } = await paid();
    const second = paymentEvent(order, user.id);
    const wrongOrder = (await placeFor(h, [{ productId: PEN, quantity: 1 }], user)).order;
    const wrong = { ...paymentEvent(wrongOrder, user.id), amount: { amount: 251, currency: 'EUR' } };
    const unknown = paymentEvent({ id: randomUUID(), total: { amount: 999, currency: 'EUR' } }, user.id);
    for (const e of [second, second, wrong, wrong, unknown, unknown, first])
      await h.app.service.applyPaymentEvent(e);
    await req.expectOne(second.paymentId, 'DUPLICATE_CHARGE', 500);
    await req.expectOne(wrong.paymentId, 'WRONG_AMOUNT', 251);
    await req.expectOne(unknown.paymentId, 'UNKNOWN_ORDER', 999);
    // The charge that paid the order is not refunded.
    expect(await req.outbox(first.paymentId)).toEqual([]);
  });

  it('payments.refunded marks an unmatched charge refunded once, redelivered or repeated', async () => {
    const { user, order } = await placeFor(h, [{ productId: PEN, quantity: 1 }]);
    await h.app.service.cancelOrder(user, order.id);
    const charge = paymentEvent(order, user.id);
    await h.app.service.applyPaymentEvent(charge);
    const refunded = refundedEvent({ ...charge, amount: charge.amount }, 'CANCELLED_ORDER');
    await publishEvent(js(), h.names.events.paymentsRefunded, refunded.eventId, refunded);
    const [first] = await waitFor(async () => {
      const rows = await h.app.refunds.unmatchedCharges(order.id);
      return rows[0]?.refundedAt ? rows : null;
    });
    await h.app.service.applyRefundedEvent(refunded);
    expect(await h.app.service.applyRefundedEvent(refunded)).toBe('DUPLICATE');
    expect(await h.app.service.applyRefundedEvent({ ...refunded, eventId: randomUUID() })).toBe(
      'NOTHING_TO_MARK',
    );
    const [after] = await h.app.refunds.unmatchedCharges(order.id);
    expect(after!.refundedAt).toEqual(first!.refundedAt);
    // An id in another form never reaches MySQL.
    const upper = { ...refunded, eventId: randomUUID(), paymentId: refunded.paymentId.toUpperCase() };
    expect(await h.app.service.applyRefundedEvent(upper)).toBe('IGNORED');
    expect(await h.app.db.rows('SELECT 1 FROM applied_events WHERE event_id = ?', [upper.eventId])).toEqual(
      [],
    );
  });

  it('a second charge of a FULFILLED, DELIVERED or REFUNDED order is refunded once as DUPLICATE_CHARGE; its first charge again is nothing', async () => {
    const api = afterPayment(h);
    const shipped = await paid();
    await api.fulfil(shipped.order.id, 'DHL', 'DUP-0001');
    const delivered = await paid();
    await api.fulfil(delivered.order.id, 'DHL', 'DUP-0002');
    await api.deliver(delivered.order.id);
    const refunded = await paid();
    await api.refund(refunded.order.id);
    for (const { user, order, event } of [shipped, delivered, refunded]) {
      const second = paymentEvent(order, user.id);
      expect(await h.app.service.applyPaymentEvent(second)).toBe('ALREADY_PAID');
      expect(await h.app.service.applyPaymentEvent(second)).toBe('DUPLICATE');
      expect(await h.app.service.applyPaymentEvent({ ...event, eventId: randomUUID() })).toBe('ALREADY_PAID');
      await req.expectOne(second.paymentId, 'DUPLICATE_CHARGE', 500);
      expect(await h.app.refunds.unmatchedCharges(order.id)).toEqual([
        expect.objectContaining({ paymentId: second.paymentId, reason: 'SECOND_CHARGE' }),
      ]);
    }
    expect((await h.app.service.orderFor(shipped.user, shipped.order.id))!.status).toBe('FULFILLED');
    expect((await h.app.service.orderFor(delivered.user, delivered.order.id))!.status).toBe('DELIVERED');
  });
});
