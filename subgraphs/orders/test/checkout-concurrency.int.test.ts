import { randomUUID } from 'node:crypto';
import { waitFor } from '@shop/testing';
import { customer, PLACE, type Placed } from './helpers';
import { addressIn, bootCheckout, type CheckoutView, type CheckoutWorld } from './checkout.harness';

/**
 * checkout under concurrency and replays: the last use of a code, the per-customer limit, a cart
 * changed while it is checked out, the same key at once and again (other letter case included).
 * The stores must agree afterwards: MySQL (orders, times_used, redemptions) and products' holds.
 */
describe('checkout under concurrency', () => {
  let w: CheckoutWorld;

  beforeAll(async () => {
    w = await bootCheckout();
  }, 60_000);
  afterAll(async () => {
    await w?.stop();
  });

  const at = { shippingAddress: addressIn('DE'), shippingMethodId: 'standard-eu' };
  const typenames = (results: CheckoutView[]) => results.map((r) => r.__typename).sort();

  it('10 customers at once on a code with 1 use left: exactly one order uses it, 9 are DiscountCodeUsedUpError', async () => {
    const code = await w.createCode({
      code: `last-${randomUUID().slice(0, 8)}`,
      kind: 'PERCENTAGE',
      value: 20,
      usageLimit: 2,
    });
    // One of the two uses is taken already.
    const early = customer();
    const p = await w.product(100, 2000);
    const first = await w.checkout(early, {
      ...at,
      cartId: (await w.cartWith(early, [{ productId: p, quantity: 1 }])).id,
      discountCode: code,
    });
    expect(first).toMatchObject({ __typename: 'Order', discount: { amount: 400 } });

    const q = await w.product(100, 3000);
    const customers = Array.from({ length: 10 }, () => customer());
    const carts = await Promise.all(customers.map((c) => w.cartWith(c, [{ productId: q, quantity: 2 }])));
    const results = await Promise.all(
      customers.map((c, i) =>
        w.checkout(c, { ...at, cartId: carts[i]!.id, discountCode: code.toLowerCase() }),
      ),
    );
    expect(typenames(results)).toEqual([...Array<string>(9).fill('DiscountCodeUsedUpError'), 'Order']);
    const winner = results.find((r) => r.__typename === 'Order')!;
    // 60.00 - 12.00 is below the free-shipping threshold: 4.90 shipping.
    expect(winner).toMatchObject({ discountCode: code, discount: { amount: 1200 }, total: { amount: 5290 } });
    for (const r of results.filter((x) => x.__typename !== 'Order')) expect(r).toMatchObject({ code });

    // The stores agree: two uses, two redemptions, one order per use, holds only for placed orders.
    expect(await w.uses(code)).toEqual({ timesUsed: 2, redemptions: 2 });
    const [row] = await w.h.app.db.rows<{ n: number }>(
      'SELECT COUNT(*) AS n FROM orders WHERE discount_code = ?',
      [code],
    );
    expect(Number(row!.n)).toBe(2);
    await waitFor(async () => (await w.holds([q])).length === 1);
    expect(await w.holds([q])).toEqual([winner.id]);
    expect(await w.stockOf(q)).toBe(98);
    // The nine carts are as they were; the winner's is empty.
    for (const [i, c] of customers.entries()) {
      const cart = await w.service.carts.repository.findById(carts[i]!.id);
      const placed = (await w.ordersOf(c.id)).length === 1;
      expect(cart!.lines).toHaveLength(placed ? 0 : 1);
    }
  });

  it('the per-customer limit holds when one customer checks out five carts at once', async () => {
    const code = await w.createCode({
      code: `once-${randomUUID().slice(0, 8)}`,
      kind: 'FIXED_AMOUNT',
      value: 500,
      usageLimitPerCustomer: 1,
    });
    const viewer = customer();
    const p = await w.product(100, 2000);
    const carts = [
      await w.cartWith(viewer, [{ productId: p, quantity: 1 }]),
      ...(await Promise.all([1, 2, 3, 4].map(() => w.cartWith(null, [{ productId: p, quantity: 1 }])))),
    ];
    const results = await Promise.all(
      carts.map((c) => w.checkout(viewer, { ...at, cartId: c.id, discountCode: code })),
    );
    expect(typenames(results)).toEqual([
      'DiscountCodeAlreadyUsedError',
      'DiscountCodeAlreadyUsedError',
      'DiscountCodeAlreadyUsedError',
      'DiscountCodeAlreadyUsedError',
      'Order',
    ]);
    expect(await w.uses(code)).toEqual({ timesUsed: 1, redemptions: 1 });
    expect(await w.ordersOf(viewer.id)).toHaveLength(1);
    await waitFor(async () => (await w.holds([p])).length === 1);
    // Another customer may still use it.
    const other = customer();
    const more = await w.checkout(other, {
      ...at,
      cartId: (await w.cartWith(other, [{ productId: p, quantity: 1 }])).id,
      discountCode: code,
    });
    expect(more).toMatchObject({ __typename: 'Order', discount: { amount: 500 } });
  });

  it('a line changed while the cart is checked out: CartChangedError, no hold, the change kept', async () => {
    const viewer = customer();
    const p = await w.product(100, 1000);
    const cart = await w.cartWith(viewer, [{ productId: p, quantity: 2 }]);
    // Hold the cart's row lock, so the checkout (after its reserve) and the edit queue behind it.
    const conn = await w.h.app.db.pool.getConnection();
    try {
      await conn.beginTransaction();
      await conn.query('SELECT id FROM carts WHERE id = ? FOR UPDATE', [cart.id]);
      const edit = w.service.carts.updateCartLine(viewer, { cartId: cart.id, productId: p, quantity: 3 });
      // The edit asks for the lock first (it waits on it), the checkout after its reserve.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const checkout = w.checkout(viewer, { ...at, cartId: cart.id });
      await waitFor(async () => (await w.stockOf(p)) === 98);
      await conn.commit();
      const [edited, result] = await Promise.all([edit, checkout]);
      expect(edited.__typename).toBe('Cart');
      expect(result).toMatchObject({ __typename: 'CartChangedError' });
    } finally {
      conn.release();
    }
    const after = await w.service.carts.repository.findById(cart.id);
    expect(after!.lines).toMatchObject([{ productId: p, quantity: 3 }]);
    expect(await w.ordersOf(viewer.id)).toEqual([]);
    await waitFor(async () => (await w.stockOf(p)) === 100);
    expect(await w.holds([p])).toEqual([]);
    // Checking out again orders the new lines.
    const again = await w.checkout(viewer, { ...at, cartId: cart.id });
    expect(again).toMatchObject({ __typename: 'Order', items: [{ quantity: 3 }] });
  });

  it('racing an edit: the order holds exactly the old or the new lines, and the cart agrees', async () => {
    for (let round = 0; round < 6; round += 1) {
      const viewer = customer();
      const p = await w.product(100, 1000);
      const cart = await w.cartWith(viewer, [{ productId: p, quantity: 2 }]);
      const [result, edited] = await Promise.all([
        w.checkout(viewer, { ...at, cartId: cart.id }),
        w.service.carts.updateCartLine(viewer, { cartId: cart.id, productId: p, quantity: 5 }),
      ]);
      const after = await w.service.carts.repository.findById(cart.id);
      const orders = await w.ordersOf(viewer.id);
      if (result.__typename === 'Order') {
        // Placed with the lines it reserved: the old ones, or the new ones when the edit came first.
        const quantity = result.items![0]!.quantity;
        expect([2, 5]).toContain(quantity);
        expect(orders).toEqual([result.id]);
        expect(await w.stockOf(p)).toBe(100 - quantity);
        // An edit after the checkout found the line gone (or put it into the emptied cart).
        if (quantity === 5) expect(after!.lines).toEqual([]);
        else if (edited.__typename === 'Cart') expect(after!.lines.map((l) => l.quantity)).toEqual([5]);
      } else {
        expect(result.__typename).toBe('CartChangedError');
        expect(orders).toEqual([]);
        expect(after!.lines.map((l) => l.quantity)).toEqual([5]);
        await waitFor(async () => (await w.stockOf(p)) === 100);
      }
    }
  });

  it('the same key at once and again answers one order; another letter case is another key', async () => {
    const viewer = customer();
    const p = await w.product(100, 1000);
    const cart = await w.cartWith(viewer, [{ productId: p, quantity: 2 }]);
    const key = `Key-${randomUUID()}`;
    const results = await Promise.all(
      Array.from({ length: 5 }, () => w.checkout(viewer, { ...at, cartId: cart.id, idempotencyKey: key })),
    );
    const ids = new Set(results.map((r) => r.id));
    expect(results.map((r) => r.__typename)).toEqual(Array<string>(5).fill('Order'));
    expect(ids.size).toBe(1);
    const [orderId] = [...ids];
    // Again later: the first order (the cart is empty now).
    expect(await w.checkout(viewer, { ...at, cartId: cart.id, idempotencyKey: key })).toMatchObject({
      id: orderId,
    });
    await waitFor(async () => (await w.holds([p])).length === 1);
    expect(await w.holds([p])).toEqual([orderId]);
    expect(await w.stockOf(p)).toBe(98);
    // The key in another letter case is a new checkout: of an empty cart.
    expect(
      await w.checkout(viewer, { ...at, cartId: cart.id, idempotencyKey: key.toUpperCase() }),
    ).toMatchObject({
      __typename: 'EmptyCartError',
    });
    // The same request after the cart was refilled (with other lines): still the first order, the
    // cart keeps what was put in since.
    await w.cartWith(viewer, [{ productId: p, quantity: 1 }]);
    expect(await w.checkout(viewer, { ...at, cartId: cart.id, idempotencyKey: key })).toMatchObject({
      id: orderId,
    });
    expect((await w.service.carts.repository.findById(cart.id))!.lines).toMatchObject([{ quantity: 1 }]);
    // The key with another address, method or code: reused.
    for (const other of [
      { shippingAddress: { ...addressIn('DE'), line1: 'Allee 3' } },
      { shippingAddress: addressIn('AT') },
      { shippingMethodId: 'express-eu' },
      { discountCode: 'SOME-CODE' },
    ])
      expect(
        await w.checkout(viewer, { ...at, cartId: cart.id, idempotencyKey: key, ...other }),
      ).toMatchObject({
        __typename: 'IdempotencyKeyReusedError',
        orderId,
      });
    // The same inline address written differently is the same request (validated, then compared).
    expect(
      await w.checkout(viewer, {
        ...at,
        shippingAddress: { ...addressIn('DE'), name: ' D ', postalCode: ' 10115' },
        cartId: cart.id,
        idempotencyKey: key,
      }),
    ).toMatchObject({ id: orderId });
    // Another cart with the key, and a placeOrder's key: reused.
    const other = await w.cartWith(null, [{ productId: p, quantity: 2 }]);
    expect(await w.checkout(viewer, { ...at, cartId: other.id, idempotencyKey: key })).toMatchObject({
      __typename: 'IdempotencyKeyReusedError',
      orderId,
    });
    const placeKey = randomUUID();
    const placed = await (
      await w.h.as(viewer)
    )<Placed>(PLACE, {
      input: { idempotencyKey: placeKey, items: [{ productId: p, quantity: 1 }] },
    });
    expect(placed.data?.placeOrder.__typename).toBe('Order');
    expect(await w.checkout(viewer, { ...at, cartId: cart.id, idempotencyKey: placeKey })).toMatchObject({
      __typename: 'IdempotencyKeyReusedError',
      orderId: placed.data!.placeOrder.id,
    });
    // The cart still holds its line: none of the refusals emptied it.
    expect((await w.service.carts.repository.findById(cart.id))!.lines).toHaveLength(1);
    expect(await w.ordersOf(viewer.id)).toHaveLength(2);
  });
});
