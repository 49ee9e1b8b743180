import { randomUUID } from 'node:crypto';
import { CANCEL, customer } from './helpers';
import { addressIn, bootCheckout, type CheckoutWorld } from './checkout.harness';

/** Uses of discount codes given back by cancelled and expired orders, exactly once. */
describe('discount codes: uses given back', () => {
  let w: CheckoutWorld;

  beforeAll(async () => {
    // Expiry is driven by the tests (expireDue), with a short time to pay; a low MAX_ORDER_TOTAL.
    w = await bootCheckout({ ORDER_TTL_SECONDS: '1', MAX_ORDER_TOTAL: '100000' }, { runExpiry: false });
  }, 60_000);
  afterAll(async () => {
    await w?.stop();
  });

  const tag = () => randomUUID().slice(0, 8);

  describe('uses given back', () => {
    it('a refusal after the use was taken (the total above MAX_ORDER_TOTAL) rolls the use back with it', async () => {
      const code = await w.createCode({
        code: `roll-${tag()}`,
        kind: 'FIXED_AMOUNT',
        value: 1,
        usageLimit: 1,
      });
      const viewer = customer();
      const p = await w.product(10, 99_950);
      const cart = await w.cartWith(viewer, [{ productId: p, quantity: 1 }]);
      const before = await w.snapshot(viewer, cart.id, code);
      // 999.50 - 0.01 + 9.90 express is above 1,000.00: refused inside the transaction that used the code.
      const res = await w.checkout(viewer, {
        cartId: cart.id,
        shippingAddress: addressIn('DE'),
        shippingMethodId: 'express-eu',
        discountCode: code,
      });
      expect(res).toMatchObject({ __typename: 'OrderTotalLimitError' });
      await w.expectUnchanged(before, viewer, cart.id, code);
      expect(await w.uses(code)).toEqual({ timesUsed: 0, redemptions: 0 });
    });

    it('a cancelled order gives its use back, once, and another customer can take it', async () => {
      const code = await w.createCode({
        code: `back-${tag()}`,
        kind: 'PERCENTAGE',
        value: 10,
        usageLimit: 1,
      });
      const p = await w.product(100, 1000);
      const a = customer();
      const order = await w.checkout(a, {
        cartId: (await w.cartWith(a, [{ productId: p, quantity: 1 }])).id,
        shippingAddress: addressIn('DE'),
        shippingMethodId: 'standard-eu',
        discountCode: code,
      });
      expect(await w.uses(code)).toEqual({ timesUsed: 1, redemptions: 1 });
      const run = await w.h.as(a);
      const cancels = await Promise.all(
        [1, 2, 3].map(() => run<{ cancelOrder: { __typename: string } }>(CANCEL, { id: order.id })),
      );
      expect(cancels.map((c) => c.data?.cancelOrder.__typename).sort()).toEqual([
        'Order',
        'OrderNotCancellableError',
        'OrderNotCancellableError',
      ]);
      expect(await w.uses(code)).toEqual({ timesUsed: 0, redemptions: 0 });
      const b = customer();
      const next = await w.checkout(b, {
        cartId: (await w.cartWith(b, [{ productId: p, quantity: 1 }])).id,
        shippingAddress: addressIn('DE'),
        shippingMethodId: 'standard-eu',
        discountCode: code,
      });
      expect(next).toMatchObject({ __typename: 'Order', discountCode: code });
      expect(await w.uses(code)).toEqual({ timesUsed: 1, redemptions: 1 });
    });

    it('an expired order gives its use back; a cancel racing the expiry gives it back exactly once', async () => {
      const code = await w.createCode({
        code: `race-${tag()}`,
        kind: 'PERCENTAGE',
        value: 10,
        usageLimit: 3,
      });
      const p = await w.product(100, 1000);
      const users = [customer(), customer(), customer()];
      const orders = [];
      for (const u of users) {
        const o = await w.checkout(u, {
          cartId: (await w.cartWith(u, [{ productId: p, quantity: 1 }])).id,
          shippingAddress: addressIn('DE'),
          shippingMethodId: 'standard-eu',
          discountCode: code,
        });
        expect(o.__typename).toBe('Order');
        orders.push(o);
      }
      expect(await w.uses(code)).toEqual({ timesUsed: 3, redemptions: 3 });
      // Pay the third, so only two can go back.
      const paymentId = randomUUID();
      await w.service.applyPaymentEvent({
        eventId: paymentId,
        paymentId,
        orderId: orders[2]!.id!,
        userId: users[2]!.id,
        amount: orders[2]!.total!,
        status: 'SUCCEEDED',
        failureReason: null,
        occurredAt: new Date().toISOString(),
      });
      await new Promise((resolve) => setTimeout(resolve, 1100));
      // The first order: its customer cancels while the expiry runs (twice, as two instances would).
      const [cancelled] = await Promise.all([
        w.service.cancelOrder(users[0]!, orders[0]!.id!),
        w.service.expireDue(),
        w.service.expireDue(),
      ]);
      expect(['Order', 'OrderNotCancellableError']).toContain(cancelled.__typename);
      await w.service.expireDue();
      expect(await w.uses(code)).toEqual({ timesUsed: 1, redemptions: 1 });
      const [left] = await w.h.app.db.rows<{ order_id: string }>(
        'SELECT order_id FROM discount_redemptions WHERE code = ?',
        [code],
      );
      expect(left!.order_id).toBe(orders[2]!.id);
      // Nothing more goes back however often the expiry runs.
      await w.service.expireDue();
      expect(await w.uses(code)).toEqual({ timesUsed: 1, redemptions: 1 });
    });
  });
});
