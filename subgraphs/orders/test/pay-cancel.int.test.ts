/**
 * Finding 3 of issue 16 (orders' side): payOrder and cancelOrder at the same time ended CANCELLED
 * with a successful charge. Now orders.payable grants payments a lease, and a cancel while it runs
 * is refused (OrderPaymentInProgressError); a success that still lands on a cancelled order (or
 * pays an order twice) is kept in unmatched_charges, for payments to refund.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { PayableReply, request } from '@shop/messaging';
import {
  admin,
  bootWithFakeProducts,
  CANCEL,
  paymentEvent,
  pid,
  placeFor,
  type FakeHarness,
  type OrderView,
} from './helpers';

const PEN = pid('pen');

describe('finding 3: paying and cancelling one order', () => {
  let h: FakeHarness;
  /** The service's clock runs with real time, plus what a test adds to jump ahead. */
  let offset = 0;
  const clock = () => new Date(Date.now() + offset);

  beforeAll(async () => {
    h = await bootWithFakeProducts(
      { [PEN]: { sku: 'PEN-1', name: 'Pen', price: { amount: 250, currency: 'EUR' }, stock: 100_000 } },
      { runExpiry: false, now: clock },
      { PAYMENT_LEASE_SECONDS: '120', ORDER_TTL_SECONDS: '900' },
    );
  });
  afterAll(async () => {
    await h.stop();
  });

  const payable = (orderId: string, userId: string) =>
    request(h.nc, h.names.commands.ordersPayable, { orderId, userId }, PayableReply, 5000);
  const cancel = async (orderId: string, user: Parameters<FakeHarness['as']>[0]) =>
    (await (await h.as(user))<{ cancelOrder: Record<string, unknown> }>(CANCEL, { id: orderId })).data!
      .cancelOrder;
  const row = async (orderId: string) =>
    (
      await h.app.db.rows<{
        status: string;
        payment_lease_until: Date | null;
        cancelled_at: Date | null;
        expires_at: Date;
      }>('SELECT status, payment_lease_until, cancelled_at, expires_at FROM orders WHERE id = ?', [orderId])
    )[0]!;
  const unmatched = (orderId: string) => h.app.refunds.unmatchedCharges(orderId);

  it('finding 3: a cancel while the payment lease runs is refused with OrderPaymentInProgressError, and works once it is over', async () => {
    const { user, order } = await placeFor(h, [{ productId: PEN, quantity: 1 }]);
    expect(await payable(order.id, user.id)).toMatchObject({ ok: true });
    const lease = (await row(order.id)).payment_lease_until!;
    expect(lease.getTime()).toBeGreaterThan(clock().getTime() + 110_000);

    const refused = await cancel(order.id, user);
    expect(refused).toEqual({
      __typename: 'OrderPaymentInProgressError',
      message: expect.stringContaining('in progress'),
      retryAfter: lease.toISOString(),
    });
    expect(await row(order.id)).toMatchObject({ status: 'PENDING_PAYMENT', cancelled_at: null });
    // An admin is refused the same way: the charge may be landing right now.
    expect(await cancel(order.id, admin())).toMatchObject({ __typename: 'OrderPaymentInProgressError' });

    offset += 121_000;
    try {
      expect(await cancel(order.id, user)).toMatchObject({ __typename: 'Order', status: 'CANCELLED' });
      expect(await payable(order.id, user.id)).toMatchObject({ ok: false, code: 'NOT_PAYABLE' });
    } finally {
      offset = 0;
    }
  });

  it('finding 3: cancelOrder and orders.payable at once, for 40 orders: never CANCELLED while a lease is valid', async () => {
    const placed = await Promise.all(
      Array.from({ length: 40 }, () => placeFor(h, [{ productId: PEN, quantity: 1 }])),
    );
    // Straight into the service (no transport in between), each after a random few milliseconds, so
    // either may take the row lock first.
    const jitter = () => sleep(Math.random() * 4);
    const outcomes = await Promise.all(
      placed.map(async ({ user, order }) => {
        const [pay, cancelled] = await Promise.all([
          jitter().then(() => h.app.service.payable(order.id, user.id)),
          jitter().then(() => h.app.service.cancelOrder(user, order.id)),
        ]);
        return { user, order, pay, cancelled };
      }),
    );
    const now = clock().getTime();
    let leased = 0;
    for (const { order, pay, cancelled } of outcomes) {
      const stored = await row(order.id);
      // Exactly one of the two won, and the store agrees with what each was told.
      if (pay.ok) {
        leased += 1;
        expect(cancelled).toMatchObject({ __typename: 'OrderPaymentInProgressError' });
        expect(stored.status).toBe('PENDING_PAYMENT');
        expect(stored.payment_lease_until!.getTime()).toBeGreaterThan(now);
      } else {
        expect(pay).toMatchObject({ ok: false, code: 'NOT_PAYABLE', status: 'CANCELLED' });
        expect(cancelled).toMatchObject({ __typename: 'Order', status: 'CANCELLED' });
        expect(stored.status).toBe('CANCELLED');
        expect(stored.payment_lease_until).toBeNull();
      }
    }
    // The invariant, read from the store for every order of the run.
    const [{ n }] = (await h.app.db.rows<{ n: number }>(
      `SELECT COUNT(*) AS n FROM orders WHERE status = 'CANCELLED' AND payment_lease_until IS NOT NULL
         AND payment_lease_until > cancelled_at`,
    )) as [{ n: number }];
    expect(Number(n)).toBe(0);

    // The charges that were allowed to start now succeed: each pays its order, none paid nothing.
    for (const { user, order, pay } of outcomes) {
      if (!pay.ok) continue;
      expect(await h.app.service.applyPaymentEvent(paymentEvent(order, user.id))).toBe('PAID');
    }
    const paid = await h.app.db.rows<{ id: string }>(
      `SELECT id FROM orders WHERE status = 'PAID' AND id IN (?)`,
      [outcomes.map((o) => o.order.id)],
    );
    expect(paid).toHaveLength(leased);
    // Both orders of events happened in this run (otherwise it proved only one of them).
    expect(leased).toBeGreaterThan(0);
    expect(leased).toBeLessThan(outcomes.length);
    expect(
      await h.app.db.rows('SELECT payment_id FROM unmatched_charges WHERE order_id IN (?)', [
        outcomes.map((o) => o.order.id),
      ]),
    ).toEqual([]);
  }, 60_000);

  it('finding 3: a charge that lands on a cancelled order is kept as an unmatched charge, once, and logged', async () => {
    const { user, order } = await placeFor(h, [{ productId: PEN, quantity: 2 }]);
    expect(await payable(order.id, user.id)).toMatchObject({ ok: true });
    // The charge outlives its lease (a processor far slower than PAYMENT_LEASE_SECONDS).
    offset += 121_000;
    try {
      expect(await cancel(order.id, user)).toMatchObject({ __typename: 'Order', status: 'CANCELLED' });
      const event = paymentEvent(order, user.id);
      expect(await h.app.service.applyPaymentEvent(event)).toBe('PAID_AFTER_CANCEL');
      expect(await h.app.service.applyPaymentEvent(event)).toBe('DUPLICATE');
      expect(await unmatched(order.id)).toEqual([
        {
          paymentId: event.paymentId,
          orderId: order.id,
          userId: user.id,
          reason: 'PAID_AFTER_CANCEL',
          amount: { amount: 500, currency: 'EUR' },
          orderStatus: 'CANCELLED',
          recordedAt: expect.any(Date),
          refundedAt: null,
        },
      ]);
      expect((await row(order.id)).status).toBe('CANCELLED');
      const paidRows = await h.app.db.rows(
        `SELECT seq FROM outbox WHERE kind = 'orders.paid' AND JSON_VALUE(payload, '$.orderId') = ?`,
        [order.id],
      );
      expect(paidRows).toEqual([]);
      expect(
        h.logs.lines.some(
          (l) => l.includes('charge paid nothing') && l.includes(event.paymentId) && l.includes('"level":50'),
        ),
      ).toBe(true);
      expect(await h.app.refunds.countUnrefundedCharges()).toBeGreaterThanOrEqual(1);
    } finally {
      offset = 0;
    }
  });

  it('finding 3: a second successful charge of a paid order, and one of another amount, are kept too; the paying one is not', async () => {
    const { user, order } = await placeFor(h, [{ productId: PEN, quantity: 1 }]);
    const first = paymentEvent(order, user.id);
    expect(await h.app.service.applyPaymentEvent(first)).toBe('PAID');
    const second = paymentEvent(order, user.id);
    expect(await h.app.service.applyPaymentEvent(second)).toBe('ALREADY_PAID');

    const other = await placeFor(h, [{ productId: PEN, quantity: 1 }], user);
    const wrong = paymentEvent(
      { ...other.order, total: { amount: 1, currency: 'EUR' } } as OrderView,
      user.id,
    );
    expect(await h.app.service.applyPaymentEvent(wrong)).toBe('AMOUNT_MISMATCH');

    expect((await unmatched(order.id)).map((c) => [c.paymentId, c.reason, c.orderStatus])).toEqual([
      [second.paymentId, 'SECOND_CHARGE', 'PAID'],
    ]);
    expect((await unmatched(other.order.id)).map((c) => [c.reason, c.amount.amount])).toEqual([
      ['AMOUNT_MISMATCH', 1],
    ]);
    // A failed charge is no money taken: nothing kept.
    const failed = await placeFor(h, [{ productId: PEN, quantity: 1 }]);
    expect(await h.app.service.applyPaymentEvent(paymentEvent(failed.order, failed.user.id, 'FAILED'))).toBe(
      'FAILURE_RECORDED',
    );
    expect(await unmatched(failed.order.id)).toEqual([]);
  });
});
