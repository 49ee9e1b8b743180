/**
 * The charge audit (issue 16, "Reconciliation"): counts what disagrees between charges and
 * statuses after the grace period; every paid status (PAID, FULFILLED, DELIVERED, REFUNDED) without
 * a payment id counts. Real MariaDB; the service's clock is moved ahead.
 */
import { admin, bootWithFakeProducts, paymentEvent, pid, placeFor, type FakeHarness } from './helpers';
import { afterPayment, paidOrder } from './fulfilment.fixtures';

const PEN = pid('refund-pen');

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

  it('counts FULFILLED and DELIVERED orders without a payment as paid ones; shipped orders with their payment count nothing', async () => {
    const before = (await h.app.service.auditCharges()).paidWithoutPayment;
    const api = afterPayment(h);
    const shipped = await paidOrder(h, [{ productId: PEN, quantity: 1 }]);
    expect(await api.fulfil(shipped.order.id, 'DHL', 'AUDIT-0001')).toMatchObject({ status: 'FULFILLED' });
    const done = await paidOrder(h, [{ productId: PEN, quantity: 1 }]);
    await api.fulfil(done.order.id, 'DHL', 'AUDIT-0002');
    expect(await api.deliver(done.order.id)).toMatchObject({ status: 'DELIVERED' });
    expect((await h.app.service.auditCharges()).paidWithoutPayment).toBe(before);
    for (const status of ['FULFILLED', 'DELIVERED']) {
      const { order } = await placeFor(h, [{ productId: PEN, quantity: 1 }]);
      await h.app.db.run('UPDATE orders SET status = ?, paid_at = NOW(3) WHERE id = ?', [status, order.id]);
    }
    expect((await h.app.service.auditCharges()).paidWithoutPayment).toBe(before + 2);
  });
});
