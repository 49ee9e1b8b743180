/**
 * Refunds in orders (issue 16, "Refunds, as a capability" and "Reconciliation"): every unmatched
 * charge asks payments for its refund exactly once (outbox row in the same transaction), admins
 * refund PAID orders with refundOrder, payments.refunded is applied once, and the audit job counts
 * what disagrees. Real MariaDB and NATS; invariants read from the outbox table and the ORDERS stream.
 */
import { randomUUID } from 'node:crypto';
import { jetstream, publishEvent, type PaymentRefundedEvent, type RefundReason } from '@shop/messaging';
import { waitFor } from '@shop/testing';
import {
  admin,
  bootWithFakeProducts,
  customer,
  paymentEvent,
  pid,
  placeFor,
  streamMessages,
  type FakeHarness,
  type OrderView,
} from './helpers';

const PEN = pid('refund-pen');

const REFUND = `mutation Refund($id: ID!) {
  refundOrder(id: $id) {
    __typename
    ... on Order { id status refundedAt }
    ... on Error { message }
    ... on OrderNotFoundError { orderId }
    ... on OrderNotRefundableError { status }
  }
}`;

type Refunded = { refundOrder: Record<string, unknown> & { __typename: string } };

describe('refunds in orders', () => {
  let h: FakeHarness;

  beforeAll(async () => {
    h = await bootWithFakeProducts(
      { [PEN]: { sku: 'PEN-1', name: 'Pen', price: { amount: 250, currency: 'EUR' }, stock: 100_000 } },
      { runExpiry: false, runAudit: false },
    );
  });
  afterAll(async () => {
    await h.stop();
  });

  const js = () => jetstream(h.nc);
  const outboxRequests = async (paymentId: string) =>
    (
      await h.app.db.rows<{ payload: string; sent_at: Date | null }>(
        "SELECT payload, sent_at FROM outbox WHERE kind = 'orders.refund_requested'",
      )
    )
      .map(
        (r) =>
          ({ ...(JSON.parse(r.payload) as Record<string, unknown>), sent: r.sent_at !== null }) as Record<
            string,
            unknown
          > & { sent: boolean },
      )
      .filter((p) => p.paymentId === paymentId || p.orderId === paymentId);
  const streamRequests = async (paymentId: string) =>
    (await streamMessages(h.nc, h.names.streams.orders, h.names.events.ordersRefundRequested))
      .map((m) => m.data)
      .filter((d) => d.paymentId === paymentId);
  /** Exactly one request for the payment, in the outbox and (once relayed) in the stream. */
  const expectOneRequest = async (paymentId: string, reason: RefundReason, amount: number) => {
    await waitFor(async () => (await outboxRequests(paymentId)).every((r) => r.sent) || null);
    const rows = await outboxRequests(paymentId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ paymentId, reason, amount: { amount, currency: 'EUR' } });
    await waitFor(async () => (await streamRequests(paymentId)).length > 0 || null);
    expect(await streamRequests(paymentId)).toEqual([expect.objectContaining({ paymentId, reason })]);
  };
  const refund = async (id: string, viewer = admin()) =>
    (await (await h.as(viewer))<Refunded>(REFUND, { id })).data!.refundOrder;
  const orderRow = async (id: string) =>
    (
      await h.app.db.rows<{ status: string; refund_requested_at: Date | null; refunded_at: Date | null }>(
        'SELECT status, refund_requested_at, refunded_at FROM orders WHERE id = ?',
        [id],
      )
    )[0]!;
  const paid = async () => {
    const { user, order } = await placeFor(h, [{ productId: PEN, quantity: 2 }]);
    const event = paymentEvent(order, user.id);
    expect(await h.app.service.applyPaymentEvent(event)).toBe('PAID');
    return { user, order, event };
  };
  const refundedEvent = (
    charge: { orderId: string; userId: string; paymentId: string; amount: OrderView['total'] },
    reason: RefundReason,
  ): PaymentRefundedEvent => ({
    eventId: randomUUID(),
    refundId: randomUUID(),
    paymentId: charge.paymentId,
    orderId: charge.orderId,
    userId: charge.userId,
    amount: charge.amount,
    reason,
    refundedAt: new Date().toISOString(),
  });

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
    await expectOneRequest(event.paymentId, 'CANCELLED_ORDER', 250);
  });

  it('a second charge, a wrong amount and an unknown order each write one request with their reason', async () => {
    const { user, order, event: first } = await paid();
    const second = paymentEvent(order, user.id);
    const wrongOrder = (await placeFor(h, [{ productId: PEN, quantity: 1 }], user)).order;
    const wrong = { ...paymentEvent(wrongOrder, user.id), amount: { amount: 251, currency: 'EUR' } };
    const unknown = paymentEvent({ id: randomUUID(), total: { amount: 999, currency: 'EUR' } }, user.id);
    for (const e of [second, second, wrong, wrong, unknown, unknown, first])
      await h.app.service.applyPaymentEvent(e);
    await expectOneRequest(second.paymentId, 'DUPLICATE_CHARGE', 500);
    await expectOneRequest(wrong.paymentId, 'WRONG_AMOUNT', 251);
    await expectOneRequest(unknown.paymentId, 'UNKNOWN_ORDER', 999);
    // The charge that paid the order is not refunded.
    expect(await outboxRequests(first.paymentId)).toEqual([]);
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

  it('refundOrder by a customer, even the owner, is FORBIDDEN and changes nothing; anonymous is UNAUTHENTICATED', async () => {
    const { user, order } = await paid();
    for (const viewer of [user, customer()]) {
      const res = await (await h.as(viewer))<Refunded>(REFUND, { id: order.id });
      expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    const anonymous = await (await h.as(null))<Refunded>(REFUND, { id: order.id });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(await orderRow(order.id)).toMatchObject({ status: 'PAID', refund_requested_at: null });
    expect(await outboxRequests(order.id)).toEqual([]);
  });

  it('refundOrder of a PAID order: REFUNDED, one ADMIN_REFUND request with its payment and total; twice refunds once', async () => {
    const { order, event } = await paid();
    expect(await refund(order.id)).toMatchObject({
      __typename: 'Order',
      status: 'REFUNDED',
      refundedAt: null,
    });
    expect(await refund(order.id)).toMatchObject({ __typename: 'Order', status: 'REFUNDED' });
    expect(await orderRow(order.id)).toMatchObject({ status: 'REFUNDED', refunded_at: null });
    expect((await orderRow(order.id)).refund_requested_at).not.toBeNull();
    await expectOneRequest(event.paymentId, 'ADMIN_REFUND', 500);
    expect((await outboxRequests(event.paymentId))[0]).toMatchObject({ orderId: order.id });
  });

  it('refundOrder ×5 at once on one PAID order: one request', async () => {
    const { order, event } = await paid();
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => refund(order.id)));
    for (const r of results) expect(r).toMatchObject({ __typename: 'Order', status: 'REFUNDED' });
    await expectOneRequest(event.paymentId, 'ADMIN_REFUND', 500);
  });

  it('refundOrder of an order not PAID is OrderNotRefundableError; unknown ids and other forms are not found; nothing is written', async () => {
    const { user, order } = await placeFor(h, [{ productId: PEN, quantity: 1 }]);
    expect(await refund(order.id)).toEqual({
      __typename: 'OrderNotRefundableError',
      message: expect.stringContaining('PENDING_PAYMENT'),
      status: 'PENDING_PAYMENT',
    });
    await h.app.service.cancelOrder(user, order.id);
    expect(await refund(order.id)).toMatchObject({
      __typename: 'OrderNotRefundableError',
      status: 'CANCELLED',
    });
    const { order: paidOrder } = await paid();
    for (const id of [randomUUID(), paidOrder.id.toUpperCase(), ` ${paidOrder.id}`, `{${paidOrder.id}}`])
      expect(await refund(id)).toMatchObject({ __typename: 'OrderNotFoundError', orderId: id });
    expect(await orderRow(order.id)).toMatchObject({ status: 'CANCELLED', refund_requested_at: null });
    expect(await orderRow(paidOrder.id)).toMatchObject({ status: 'PAID', refund_requested_at: null });
    expect(await outboxRequests(paidOrder.id)).toEqual([]);
  });

  it('payments.refunded for an admin refund sets refundedAt and writes one orders.refunded, however often it arrives', async () => {
    const { user, order, event } = await paid();
    await refund(order.id);
    const refunded = refundedEvent({ ...event, amount: order.total }, 'ADMIN_REFUND');
    await publishEvent(js(), h.names.events.paymentsRefunded, refunded.eventId, refunded);
    await waitFor(async () => (await orderRow(order.id)).refunded_at);
    expect(await h.app.service.applyRefundedEvent(refunded)).toBe('DUPLICATE');
    expect(await h.app.service.applyRefundedEvent({ ...refunded, eventId: randomUUID() })).toBe(
      'NOTHING_TO_MARK',
    );
    const view = await refund(order.id);
    expect(view).toMatchObject({ status: 'REFUNDED', refundedAt: expect.any(String) });
    const notices = async () =>
      (await streamMessages(h.nc, h.names.streams.orders, h.names.events.ordersRefunded))
        .map((m) => m.data)
        .filter((d) => d.orderId === order.id);
    await waitFor(async () => (await notices()).length > 0 || null);
    expect(await notices()).toEqual([
      expect.objectContaining({
        orderId: order.id,
        orderNumber: order.number,
        userId: user.id,
        paymentId: event.paymentId,
        amount: order.total,
      }),
    ]);
    // A refund event of a payment that did not pay this order marks nothing.
    const { order: other } = await paid();
    const stray = refundedEvent({ ...event, orderId: other.id, amount: other.total }, 'ADMIN_REFUND');
    expect(await h.app.service.applyRefundedEvent(stray)).toBe('NOTHING_TO_MARK');
    expect(await orderRow(other.id)).toMatchObject({ status: 'PAID', refunded_at: null });
  });
});

describe('the charge audit', () => {
  let h: FakeHarness;
  let offset = 0;
  const clock = () => new Date(Date.now() + offset);

  beforeAll(async () => {
    h = await bootWithFakeProducts(
      { [PEN]: { sku: 'PEN-1', name: 'Pen', price: { amount: 250, currency: 'EUR' }, stock: 1000 } },
      { runExpiry: false, runAudit: false, now: clock },
      { REFUND_GRACE_SECONDS: '600' },
    );
  });
  afterAll(async () => {
    await h.stop();
  });

  it('counts planted disagreements only after the grace period, logs them at error, and a clean state counts nothing', async () => {
    expect(await h.app.service.auditCharges()).toEqual({
      unrefundedCharges: 0,
      unconfirmedRefunds: 0,
      paidWithoutPayment: 0,
    });
    // An unmatched charge (never refunded), an admin refund never confirmed, a PAID order without payment.
    const { user, order } = await placeFor(h, [{ productId: PEN, quantity: 1 }]);
    await h.app.service.cancelOrder(user, order.id);
    await h.app.service.applyPaymentEvent(paymentEvent(order, user.id));
    const two = await placeFor(h, [{ productId: PEN, quantity: 1 }]);
    await h.app.service.applyPaymentEvent(paymentEvent(two.order, two.user.id));
    await h.app.service.refundOrder(admin(), two.order.id);
    const three = await placeFor(h, [{ productId: PEN, quantity: 1 }]);
    await h.app.db.run("UPDATE orders SET status = 'PAID', paid_at = NOW(3) WHERE id = ?", [three.order.id]);

    // Inside the grace period only the PAID order without a payment counts.
    expect(await h.app.service.auditCharges()).toEqual({
      unrefundedCharges: 0,
      unconfirmedRefunds: 0,
      paidWithoutPayment: 1,
    });
    offset = 601_000;
    expect(await h.app.service.auditCharges()).toEqual({
      unrefundedCharges: 1,
      unconfirmedRefunds: 1,
      paidWithoutPayment: 1,
    });
    expect(h.app.service.audit).toMatchObject({ runs: 3, failedRuns: 2 });
    const errors = h.logs.lines
      .map((l) => JSON.parse(l) as { level: number; msg: string; unrefundedCharges?: number })
      .filter((l) => l.msg === 'audit: charges and order statuses disagree');
    expect(errors.at(-1)).toMatchObject({ level: 50, unrefundedCharges: 1, unconfirmedRefunds: 1 });
  });
});
