/**
 * refundOrder (issues 16 and 17): admins refund a PAID, FULFILLED or DELIVERED order; it becomes
 * REFUNDED with one ADMIN_REFUND request (outbox row in the same transaction), however often or
 * concurrently it is asked, and payments.refunded confirms it once (orders.refunded). Real MariaDB
 * and NATS; invariants read from the outbox table and the ORDERS stream.
 */
import { randomUUID } from 'node:crypto';
import { jetstream, publishEvent } from '@shop/messaging';
import { waitFor } from '@shop/testing';
import {
  admin,
  bootWithFakeProducts,
  customer,
  pid,
  placeFor,
  streamMessages,
  type FakeHarness,
} from './helpers';
import { afterPayment, orderEvents, paidOrder } from './fulfilment.fixtures';
import { refundedEvent, refundRequests } from './refunds.fixtures';

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

describe('refundOrder', () => {
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
  const refund = async (id: string, viewer = admin()) =>
    (await (await h.as(viewer))<Refunded>(REFUND, { id })).data!.refundOrder;
  const orderRow = async (id: string) =>
    (
      await h.app.db.rows<{ status: string; refund_requested_at: Date | null; refunded_at: Date | null }>(
        'SELECT status, refund_requested_at, refunded_at FROM orders WHERE id = ?',
        [id],
      )
    )[0]!;
  const paid = () => paidOrder(h, [{ productId: PEN, quantity: 2 }]);

  it('refundOrder by a customer, even the owner, is FORBIDDEN and changes nothing; anonymous is UNAUTHENTICATED', async () => {
    const { user, order } = await paid();
    for (const viewer of [user, customer()]) {
      const res = await (await h.as(viewer))<Refunded>(REFUND, { id: order.id });
      expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    const anonymous = await (await h.as(null))<Refunded>(REFUND, { id: order.id });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(await orderRow(order.id)).toMatchObject({ status: 'PAID', refund_requested_at: null });
    expect(await req.outbox(order.id)).toEqual([]);
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
    await req.expectOne(event.paymentId, 'ADMIN_REFUND', 500);
    expect((await req.outbox(event.paymentId))[0]).toMatchObject({ orderId: order.id });
  });

  it('refundOrder ×5 at once on one PAID order: one request', async () => {
    const { order, event } = await paid();
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => refund(order.id)));
    for (const r of results) expect(r).toMatchObject({ __typename: 'Order', status: 'REFUNDED' });
    await req.expectOne(event.paymentId, 'ADMIN_REFUND', 500);
  });

  it('refundOrder of an order never paid is OrderNotRefundableError; unknown ids and other forms are not found; nothing is written', async () => {
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
    expect(await req.outbox(paidOrder.id)).toEqual([]);
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
  it('refunds a FULFILLED and a DELIVERED order: REFUNDED, one ADMIN_REFUND request each, the fulfilment kept', async () => {
    const api = afterPayment(h);
    const shipped = await paid();
    await api.fulfil(shipped.order.id, 'UPS', '1Z-REFUND-1');
    const delivered = await paid();
    await api.fulfil(delivered.order.id, 'UPS', '1Z-REFUND-2');
    await api.deliver(delivered.order.id);
    for (const { order, event } of [shipped, delivered]) {
      const results = await Promise.all([1, 2, 3].map(() => api.refund(order.id)));
      for (const r of results) expect(r).toMatchObject({ __typename: 'Order', status: 'REFUNDED' });
      expect(results[0]!.fulfilment).toMatchObject({ carrier: 'UPS' });
      await req.expectOne(event.paymentId, 'ADMIN_REFUND', 500);
      // Nothing moves a REFUNDED order on.
      expect(await api.fulfil(order.id, 'UPS', '1Z-REFUND-3')).toMatchObject({
        __typename: 'OrderStatusError',
        status: 'REFUNDED',
      });
      expect(await api.deliver(order.id)).toMatchObject({
        __typename: 'OrderStatusError',
        status: 'REFUNDED',
      });
    }
    expect((await orderRow(shipped.order.id)).status).toBe('REFUNDED');
    expect(await orderEvents(h, h.names.events.ordersDelivered, shipped.order.id)).toEqual([]);
  });

  it('refundOrder and fulfillOrder at once on a PAID order: REFUNDED, one request, fulfilled only if it came first', async () => {
    const api = afterPayment(h);
    for (let i = 0; i < 3; i += 1) {
      const { order, event } = await paid();
      const [fulfil, refunded] = await Promise.all([
        api.fulfil(order.id, 'DPD', `RACE-REFUND-${i}`),
        api.refund(order.id),
      ]);
      expect(refunded).toMatchObject({ __typename: 'Order', status: 'REFUNDED' });
      const events = await orderEvents(h, h.names.events.ordersFulfilled, order.id);
      if (fulfil.__typename === 'Order') expect(events).toHaveLength(1);
      else {
        expect(fulfil).toMatchObject({ __typename: 'OrderStatusError', status: 'REFUNDED' });
        expect(events).toEqual([]);
      }
      await req.expectOne(event.paymentId, 'ADMIN_REFUND', 500);
    }
  });
});
