/**
 * The order's life after payment (issue 17): fulfillOrder (PAID -> FULFILLED with carrier and
 * tracking number) and markOrderDelivered (FULFILLED -> DELIVERED), admins only, idempotent on
 * replay, one event each on the ORDERS stream (orders.fulfilled / orders.delivered) written in the
 * transaction of the change, and Order.fulfilment / statusHistory. Real MariaDB and NATS.
 */
import { randomUUID } from 'node:crypto';
import { PayableReply, request } from '@shop/messaging';
import { admin, bootWithFakeProducts, customer, pid, placeFor, type FakeHarness } from './helpers';
import {
  afterPayment,
  DELIVER,
  FULFILL,
  orderEvents,
  orderRow,
  paidOrder,
  type AfterPayment,
} from './fulfilment.fixtures';

const MUG = pid('fulfil-mug');

describe('fulfilment', () => {
  let h: FakeHarness;
  let api: ReturnType<typeof afterPayment>;

  beforeAll(async () => {
    h = await bootWithFakeProducts(
      { [MUG]: { sku: 'MUG-1', name: 'Mug', price: { amount: 900, currency: 'EUR' }, stock: 100_000 } },
      { runExpiry: false, runAudit: false },
    );
    api = afterPayment(h);
  });
  afterAll(async () => {
    await h.stop();
  });

  const paid = () => paidOrder(h, [{ productId: MUG, quantity: 1 }]);
  const fulfilled = (orderId: string) => orderEvents(h, h.names.events.ordersFulfilled, orderId);
  const delivered = (orderId: string) => orderEvents(h, h.names.events.ordersDelivered, orderId);

  it('fulfils a PAID order: FULFILLED with carrier, number and tracking page, one orders.fulfilled; a replay answers the order', async () => {
    const { user, order } = await paid();
    const first = await api.fulfil(order.id, 'DHL', 'JD0146-0000-1234');
    expect(first).toMatchObject({
      __typename: 'Order',
      id: order.id,
      status: 'FULFILLED',
      fulfilledAt: expect.any(String),
      deliveredAt: null,
      fulfilment: {
        carrier: 'DHL',
        trackingNumber: 'JD0146-0000-1234',
        trackingUrl: 'https://www.dhl.com/de-en/home/tracking.html?tracking-id=JD0146-0000-1234',
      },
    });
    expect(await orderRow(h, order.id)).toMatchObject({
      status: 'FULFILLED',
      carrier: 'DHL',
      tracking_number: 'JD0146-0000-1234',
    });
    // The same call again (a client retrying): the order as it is, nothing written.
    const again = await api.fulfil(order.id, 'DHL', 'JD0146-0000-1234');
    expect(again).toEqual(first);
    const events = await fulfilled(order.id);
    expect(events).toEqual([
      {
        eventId: expect.any(String),
        orderId: order.id,
        orderNumber: order.number,
        userId: user.id,
        carrier: 'DHL',
        trackingNumber: 'JD0146-0000-1234',
        trackingUrl: 'https://www.dhl.com/de-en/home/tracking.html?tracking-id=JD0146-0000-1234',
        fulfilledAt: first.fulfilledAt,
      },
    ]);
    // Another number, another carrier, or the same number in another letter case: not a replay.
    for (const [carrier, number] of [
      ['DHL', 'JD0146-0000-9999'],
      ['UPS', 'JD0146-0000-1234'],
      ['DHL', 'jd0146-0000-1234'],
    ] as const)
      expect(await api.fulfil(order.id, carrier, number)).toEqual({
        __typename: 'OrderStatusError',
        message: expect.stringContaining('FULFILLED'),
        status: 'FULFILLED',
      });
    expect(await orderRow(h, order.id)).toMatchObject({
      carrier: 'DHL',
      tracking_number: 'JD0146-0000-1234',
    });
    expect(await fulfilled(order.id)).toHaveLength(1);
  });

  it('each carrier has its tracking page with the number in it; numbers of 4 and 40 characters pass', async () => {
    const pages: Record<string, string> = {
      DHL: 'https://www.dhl.com/de-en/home/tracking.html?tracking-id=',
      DPD: 'https://tracking.dpd.de/status/en_US/parcel/',
      UPS: 'https://www.ups.com/track?tracknum=',
      FEDEX: 'https://www.fedex.com/fedextrack/?trknbr=',
      USPS: 'https://tools.usps.com/go/TrackConfirmAction?tLabels=',
      ROYAL_MAIL: 'https://www.royalmail.com/track-your-item#/tracking-results/',
      POSTNL: 'https://jouw.postnl.nl/track-and-trace/',
    };
    const numbers = [
      'AB-1',
      'Z'.repeat(40),
      '1Z999AA10123456784',
      'a-b-c-d',
      '0000',
      '3SABCD1234567',
      'x9-Y8',
    ];
    for (const [i, [carrier, page]] of Object.entries(pages).entries()) {
      const { order } = await paid();
      const number = numbers[i]!;
      const result = await api.fulfil(order.id, carrier, number);
      expect(result.fulfilment).toEqual({ carrier, trackingNumber: number, trackingUrl: `${page}${number}` });
    }
  });

  it('refuses carriers and tracking numbers outside the rules with InvalidInputError, before reading the order', async () => {
    const { order } = await paid();
    for (const carrier of [
      'dhl',
      'Dhl',
      ' DHL',
      'DHL ',
      'DHLX',
      '',
      'ROYAL-MAIL',
      'POST NL',
      'toString',
      '__proto__',
    ])
      expect(await api.fulfil(order.id, carrier, 'ABCD1234')).toMatchObject({
        __typename: 'InvalidInputError',
        field: 'carrier',
      });
    for (const number of [
      'ABC',
      'A'.repeat(41),
      'AB CD',
      'ABCD/12',
      'ABCD?x=1',
      'ÄBCDE',
      'ABCD\n',
      '',
      '١٢٣٤٥',
    ])
      expect(await api.fulfil(order.id, 'UPS', number)).toMatchObject({
        __typename: 'InvalidInputError',
        field: 'trackingNumber',
      });
    // Checked before the id: an unknown order with a bad carrier is still the carrier's fault.
    expect(await api.fulfil(randomUUID(), 'dhl', 'ABCD1234')).toMatchObject({ field: 'carrier' });
    expect(await orderRow(h, order.id)).toMatchObject({ status: 'PAID', carrier: null, fulfilled_at: null });
    expect(await fulfilled(order.id)).toEqual([]);
  });

  it('customers (the owner too) are FORBIDDEN, anonymous callers UNAUTHENTICATED; nothing changes', async () => {
    const { user, order } = await paid();
    const fulfil = { input: { orderId: order.id, carrier: 'DHL', trackingNumber: 'ABCD1234' } };
    for (const viewer of [user, customer()]) {
      expect(await api.codeOf(FULFILL, fulfil, viewer)).toBe('FORBIDDEN');
      expect(await api.codeOf(DELIVER, { id: order.id }, viewer)).toBe('FORBIDDEN');
    }
    expect(await api.codeOf(FULFILL, fulfil, null)).toBe('UNAUTHENTICATED');
    expect(await api.codeOf(DELIVER, { id: order.id }, null)).toBe('UNAUTHENTICATED');
    expect(await orderRow(h, order.id)).toMatchObject({ status: 'PAID', carrier: null });
    // Once fulfilled by an admin, a customer still cannot mark it delivered.
    await api.fulfil(order.id, 'DHL', 'ABCD1234');
    expect(await api.codeOf(DELIVER, { id: order.id }, user)).toBe('FORBIDDEN');
    expect(await orderRow(h, order.id)).toMatchObject({ status: 'FULFILLED', delivered_at: null });
  });

  it('unknown ids and ids in another form (upper case, braces, spaces) are OrderNotFoundError, for both steps', async () => {
    const { order } = await paid();
    for (const id of [
      randomUUID(),
      order.id.toUpperCase(),
      `{${order.id}}`,
      ` ${order.id}`,
      `${order.id} `,
      order.id.replaceAll('-', ''),
      '',
    ]) {
      expect(await api.fulfil(id, 'DHL', 'ABCD1234')).toEqual({
        __typename: 'OrderNotFoundError',
        message: expect.any(String),
        orderId: id,
      });
      expect(await api.deliver(id)).toMatchObject({ __typename: 'OrderNotFoundError', orderId: id });
    }
    expect(await orderRow(h, order.id)).toMatchObject({ status: 'PAID', carrier: null });
  });

  it('only PAID can be fulfilled and only FULFILLED delivered; every other status is OrderStatusError with it', async () => {
    const pending = await placeFor(h, [{ productId: MUG, quantity: 1 }]);
    const cancelled = await placeFor(h, [{ productId: MUG, quantity: 1 }]);
    await h.app.service.cancelOrder(cancelled.user, cancelled.order.id);
    const refunded = await paid();
    await api.refund(refunded.order.id);
    const done = await paid();
    await api.fulfil(done.order.id, 'DPD', 'ABCD1234');
    await api.deliver(done.order.id);
    const cases: [string, string][] = [
      [pending.order.id, 'PENDING_PAYMENT'],
      [cancelled.order.id, 'CANCELLED'],
      [refunded.order.id, 'REFUNDED'],
      [done.order.id, 'DELIVERED'],
    ];
    for (const [id, status] of cases)
      expect(await api.fulfil(id, 'DPD', 'ABCD1234')).toEqual({
        __typename: 'OrderStatusError',
        message: expect.stringContaining(status),
        status,
      });
    const paidOnly = await paid();
    for (const [id, status] of [...cases.slice(0, 3), [paidOnly.order.id, 'PAID']])
      expect(await api.deliver(id!)).toMatchObject({ __typename: 'OrderStatusError', status });
    expect((await orderRow(h, pending.order.id)).status).toBe('PENDING_PAYMENT');
    expect((await orderRow(h, paidOnly.order.id)).status).toBe('PAID');
    for (const [id] of cases) expect(await fulfilled(id)).toHaveLength(id === done.order.id ? 1 : 0);
  });

  it('delivers a FULFILLED order once: DELIVERED, one orders.delivered; a replay answers the order', async () => {
    const { user, order } = await paid();
    await api.fulfil(order.id, 'POSTNL', '3SABCD1234567');
    const first = await api.deliver(order.id);
    expect(first).toMatchObject({
      __typename: 'Order',
      status: 'DELIVERED',
      deliveredAt: expect.any(String),
    });
    expect(first.fulfilment).toMatchObject({ carrier: 'POSTNL', trackingNumber: '3SABCD1234567' });
    expect(await api.deliver(order.id)).toEqual(first);
    expect(await delivered(order.id)).toEqual([
      {
        eventId: expect.any(String),
        orderId: order.id,
        orderNumber: order.number,
        userId: user.id,
        deliveredAt: first.deliveredAt,
      },
    ]);
    expect(await fulfilled(order.id)).toHaveLength(1);
  });

  it('5 fulfils at once with different numbers: one wins, the others are OrderStatusError, one event', async () => {
    const { order } = await paid();
    const numbers = ['RACE-0001', 'RACE-0002', 'RACE-0003', 'RACE-0004', 'RACE-0005'];
    const results = await Promise.all(numbers.map((n) => api.fulfil(order.id, 'UPS', n)));
    const winners = results.filter((r) => r.__typename === 'Order');
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.__typename === 'OrderStatusError')).toHaveLength(4);
    const stored = await orderRow(h, order.id);
    expect(stored.tracking_number).toBe(winners[0]!.fulfilment!.trackingNumber);
    const events = await fulfilled(order.id);
    expect(events).toEqual([expect.objectContaining({ trackingNumber: stored.tracking_number })]);
  });

  it('5 identical fulfils at once all answer the order, and 5 delivers at once too; one event each', async () => {
    const { order } = await paid();
    const fulfils = await Promise.all([1, 2, 3, 4, 5].map(() => api.fulfil(order.id, 'FEDEX', '7489-2233')));
    for (const r of fulfils) expect(r).toMatchObject({ __typename: 'Order', status: 'FULFILLED' });
    expect(new Set(fulfils.map((r) => r.fulfilledAt)).size).toBe(1);
    const delivers = await Promise.all([1, 2, 3, 4, 5].map(() => api.deliver(order.id)));
    for (const r of delivers) expect(r).toMatchObject({ __typename: 'Order', status: 'DELIVERED' });
    expect(await fulfilled(order.id)).toHaveLength(1);
    expect(await delivered(order.id)).toHaveLength(1);
  });

  it('statusHistory lists every status reached with its time, oldest first, refund included', async () => {
    const { order } = await paid();
    await api.fulfil(order.id, 'ROYAL_MAIL', 'AB123456789GB');
    await api.deliver(order.id);
    const refunded = await api.refund(order.id);
    expect(refunded.status).toBe('REFUNDED');
    const history = refunded.statusHistory!;
    expect(history.map((s) => s.status)).toEqual([
      'PENDING_PAYMENT',
      'PAID',
      'FULFILLED',
      'DELIVERED',
      'REFUNDED',
    ]);
    expect(history.map((s) => s.at).slice(0, 4)).toEqual([
      refunded.createdAt,
      refunded.paidAt,
      refunded.fulfilledAt,
      refunded.deliveredAt,
    ]);
    const times = history.map((s) => Date.parse(s.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(Date.parse(history[4]!.at)).toBe((await orderRow(h, order.id)).refund_requested_at!.getTime());
    // The fulfilment stays on the refunded order.
    expect(refunded.fulfilment).toMatchObject({ carrier: 'ROYAL_MAIL', trackingNumber: 'AB123456789GB' });

    const { user, order: other } = await placeFor(h, [{ productId: MUG, quantity: 1 }]);
    const read = async () =>
      (
        await (
          await h.as(user)
        )<{ order: AfterPayment }>(
          `query($id: ID!) { order(id: $id) { status fulfilment { carrier } statusHistory { status at } } }`,
          { id: other.id },
        )
      ).data!.order;
    expect(await read()).toEqual({
      status: 'PENDING_PAYMENT',
      fulfilment: null,
      statusHistory: [{ status: 'PENDING_PAYMENT', at: other.createdAt }],
    });
    await h.app.service.cancelOrder(user, other.id);
    expect((await read()).statusHistory!.map((s) => s.status)).toEqual(['PENDING_PAYMENT', 'CANCELLED']);
  });

  it('a FULFILLED or DELIVERED order is not payable (orders.payable) and never expires', async () => {
    const one = await paid();
    await api.fulfil(one.order.id, 'USPS', '9400-1000');
    const two = await paid();
    await api.fulfil(two.order.id, 'USPS', '9400-2000');
    await api.deliver(two.order.id);
    for (const { user, order } of [one, two]) {
      const reply = await request(
        h.nc,
        h.names.commands.ordersPayable,
        { orderId: order.id, userId: user.id },
        PayableReply,
        5000,
      );
      expect(reply).toMatchObject({ ok: false, code: 'NOT_PAYABLE' });
      await h.app.db.run('UPDATE orders SET expires_at = ? WHERE id = ?', [
        new Date(Date.now() - 60_000),
        order.id,
      ]);
    }
    expect(await h.app.service.expireDue()).toEqual([]);
    expect((await orderRow(h, one.order.id)).status).toBe('FULFILLED');
    expect((await orderRow(h, two.order.id)).status).toBe('DELIVERED');
  });

  it('the service refuses without an admin before any query (direct calls)', async () => {
    const { order } = await paid();
    const input = { orderId: order.id, carrier: 'DHL', trackingNumber: 'ABCD1234' };
    await expect(h.app.service.fulfillOrder(null, input)).rejects.toMatchObject({
      extensions: { code: 'UNAUTHENTICATED' },
    });
    await expect(h.app.service.markOrderDelivered(customer(), order.id)).rejects.toMatchObject({
      extensions: { code: 'FORBIDDEN' },
    });
    expect(await h.app.service.fulfillOrder(admin(), input)).toMatchObject({ __typename: 'Order' });
  });
});
