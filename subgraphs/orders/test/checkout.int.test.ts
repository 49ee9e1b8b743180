import { randomUUID } from 'node:crypto';
import { vatIncluded } from '@shop/config';
import { OrderPaidEvent } from '@shop/messaging';
import { customer, ORDER_FIELDS, PLACE, type Placed } from './helpers';
import { addressIn, BERLIN, bootCheckout, ORDER_VIEW, type CheckoutWorld } from './checkout.harness';

/**
 * checkout against the real products subgraph and a users.address responder: the parts of the
 * total (shipping flat / free above / never free, discounts, VAT per country), the address
 * snapshot, placeOrder's orders unchanged, payable and orders.paid with the new total.
 */
describe('checkout: totals, VAT, the address snapshot', () => {
  let w: CheckoutWorld;

  beforeAll(async () => {
    w = await bootCheckout();
  }, 60_000);
  afterAll(async () => {
    await w?.stop();
  });

  it('Query.shippingMethods: cheapest first per country; unknown and lower-case countries have none', async () => {
    const run = await w.h.as(null);
    const methods = async (country: string) =>
      (
        await run<{ shippingMethods: Record<string, unknown>[] }>(
          `query S($c: String!) { shippingMethods(country: $c) { id name price { amount currency } freeAbove { amount currency } countries estimatedDays } }`,
          { c: country },
        )
      ).data!.shippingMethods;
    expect(await methods('DE')).toEqual([
      {
        id: 'standard-eu',
        name: 'Standard',
        price: { amount: 490, currency: 'EUR' },
        freeAbove: { amount: 5000, currency: 'EUR' },
        countries: ['AT', 'DE', 'FR', 'NL'],
        estimatedDays: 3,
      },
      expect.objectContaining({ id: 'express-eu', price: { amount: 990, currency: 'EUR' }, freeAbove: null }),
    ]);
    expect((await methods('GB')).map((m) => m.id)).toEqual(['standard-gb']);
    for (const country of ['de', 'XX', '', 'DEU']) expect(await methods(country)).toEqual([]);
  });

  it('prices flat shipping and includes VAT at the destination rate (DE 19 %)', async () => {
    const viewer = customer();
    const p = await w.product(10, 1500);
    const cart = await w.cartWith(viewer, [{ productId: p, quantity: 2 }]);
    const order = await w.checkout(viewer, {
      cartId: cart.id,
      shippingAddress: addressIn('DE'),
      shippingMethodId: 'standard-eu',
    });
    expect(order).toMatchObject({
      __typename: 'Order',
      status: 'PENDING_PAYMENT',
      subtotal: { amount: 3000, currency: 'EUR' },
      shipping: { amount: 490, currency: 'EUR' },
      discount: { amount: 0, currency: 'EUR' },
      total: { amount: 3490, currency: 'EUR' },
      vat: { amount: vatIncluded(3490, 1900), currency: 'EUR' },
      vatRateBasisPoints: 1900,
      discountCode: null,
      shippingMethod: { id: 'standard-eu', name: 'Standard' },
      shippingAddress: {
        name: 'D',
        company: null,
        line1: 'Allee 2',
        line2: null,
        postalCode: '10115',
        city: 'Berlin',
        region: null,
        country: 'DE',
        phone: null,
      },
      items: [{ product: { id: p }, quantity: 2, unitPrice: { amount: 1500 } }],
    });
    expect(vatIncluded(3490, 1900)).toBe(557);
    // The cart is empty now, its stock held for the order.
    const after = await w.service.carts.usableCart(viewer, cart.id);
    expect(after?.lines).toEqual([]);
    expect(await w.stockOf(p)).toBe(8);
    expect(await w.holds()).toContain(order.id);
  });

  it('ships free from the threshold exactly, not one cent below; express is never free', async () => {
    const at = await w.product(10, 5000);
    const below = await w.product(10, 4999);
    const viewerA = customer();
    const viewerB = customer();
    const viewerC = customer();
    const free = await w.checkout(viewerA, {
      cartId: (await w.cartWith(viewerA, [{ productId: at, quantity: 1 }])).id,
      shippingAddress: addressIn('AT'),
      shippingMethodId: 'standard-eu',
    });
    expect(free).toMatchObject({
      subtotal: { amount: 5000 },
      shipping: { amount: 0 },
      total: { amount: 5000 },
    });
    expect(free.vat).toEqual({ amount: vatIncluded(5000, 2000), currency: 'EUR' });
    const paid = await w.checkout(viewerB, {
      cartId: (await w.cartWith(viewerB, [{ productId: below, quantity: 1 }])).id,
      shippingAddress: addressIn('AT'),
      shippingMethodId: 'standard-eu',
    });
    expect(paid).toMatchObject({
      subtotal: { amount: 4999 },
      shipping: { amount: 490 },
      total: { amount: 5489 },
    });
    const express = await w.checkout(viewerC, {
      cartId: (await w.cartWith(viewerC, [{ productId: at, quantity: 2 }])).id,
      shippingAddress: addressIn('NL'),
      shippingMethodId: 'express-eu',
    });
    expect(express).toMatchObject({
      subtotal: { amount: 10000 },
      shipping: { amount: 990 },
      total: { amount: 10990 },
      vatRateBasisPoints: 2100,
      vat: { amount: vatIncluded(10990, 2100) },
    });
  });

  it('charges VAT per country: FR 20 %, GB 20 %, NL 21 %, US none', async () => {
    const p = await w.product(50, 2000);
    const cases = [
      ['FR', 'standard-eu', 2000, 490],
      ['GB', 'standard-gb', 2000, 790],
      ['NL', 'standard-eu', 2100, 490],
      ['US', 'standard-us', 0, 1490],
    ] as const;
    for (const [country, method, rate, shipping] of cases) {
      const viewer = customer();
      const order = await w.checkout(viewer, {
        cartId: (await w.cartWith(viewer, [{ productId: p, quantity: 1 }])).id,
        shippingAddress: addressIn(country),
        shippingMethodId: method,
      });
      const total = 2000 + shipping;
      expect(order).toMatchObject({
        __typename: 'Order',
        total: { amount: total },
        vatRateBasisPoints: rate,
        vat: { amount: vatIncluded(total, rate) },
        shippingAddress: { country },
      });
    }
  });

  it('takes percentages off rounded down and fixed amounts at most the subtotal; shipping follows the discounted subtotal', async () => {
    const pct = await w.createCode({
      code: `pct-${randomUUID().slice(0, 8)}`,
      kind: 'PERCENTAGE',
      value: 15,
    });
    const big = await w.createCode({
      code: `big-${randomUUID().slice(0, 8)}`,
      kind: 'FIXED_AMOUNT',
      value: 10000,
    });
    const freeEdge = await w.createCode({
      code: `edge-${randomUUID().slice(0, 8)}`,
      kind: 'FIXED_AMOUNT',
      value: 1,
    });
    const p = await w.product(50, 3333);
    const q = await w.product(50, 5000);

    const a = customer();
    const rounded = await w.checkout(a, {
      cartId: (await w.cartWith(a, [{ productId: p, quantity: 1 }])).id,
      shippingAddress: addressIn('DE'),
      shippingMethodId: 'standard-eu',
      discountCode: pct.toLowerCase(),
    });
    // 15 % of 33.33 is 4.9995: 4.99 off.
    expect(rounded).toMatchObject({
      subtotal: { amount: 3333 },
      discount: { amount: 499 },
      shipping: { amount: 490 },
      total: { amount: 3333 - 499 + 490 },
      discountCode: pct,
    });

    const b = customer();
    const capped = await w.checkout(b, {
      cartId: (await w.cartWith(b, [{ productId: p, quantity: 1 }])).id,
      shippingAddress: addressIn('DE'),
      shippingMethodId: 'standard-eu',
      discountCode: `  ${big}  `,
    });
    expect(capped).toMatchObject({
      subtotal: { amount: 3333 },
      discount: { amount: 3333 },
      shipping: { amount: 490 },
      total: { amount: 490 },
      vat: { amount: vatIncluded(490, 1900) },
    });

    // 50.00 - 0.01 is below the free-shipping threshold: shipping is charged again.
    const c = customer();
    const edge = await w.checkout(c, {
      cartId: (await w.cartWith(c, [{ productId: q, quantity: 1 }])).id,
      shippingAddress: addressIn('DE'),
      shippingMethodId: 'standard-eu',
      discountCode: freeEdge,
    });
    expect(edge).toMatchObject({
      discount: { amount: 1 },
      shipping: { amount: 490 },
      total: { amount: 5489 },
    });
  });

  it('uses the code on the cart when the input names none; the input replaces it', async () => {
    const onCart = await w.createCode({
      code: `cart-${randomUUID().slice(0, 8)}`,
      kind: 'FIXED_AMOUNT',
      value: 100,
    });
    const given = await w.createCode({
      code: `given-${randomUUID().slice(0, 8)}`,
      kind: 'FIXED_AMOUNT',
      value: 200,
    });
    const p = await w.product(50, 3000);
    for (const [input, expected] of [
      [undefined, { code: onCart, amount: 100 }],
      [given, { code: given, amount: 200 }],
    ] as const) {
      const viewer = customer();
      const cart = await w.cartWith(viewer, [{ productId: p, quantity: 1 }]);
      const applied = await w.service.discounts.applyToCart(viewer, { cartId: cart.id, code: onCart });
      expect(applied.__typename).toBe('Cart');
      const order = await w.checkout(viewer, {
        cartId: cart.id,
        shippingAddress: addressIn('DE'),
        shippingMethodId: 'standard-eu',
        ...(input ? { discountCode: input } : {}),
      });
      expect(order).toMatchObject({ discountCode: expected.code, discount: { amount: expected.amount } });
      // Emptied with its code.
      expect((await w.service.carts.usableCart(viewer, cart.id))?.discountCode).toBeNull();
    }
  });

  it('snapshots an address of the address book; later edits of the book do not change the order', async () => {
    const viewer = customer();
    const addressId = w.users.add(viewer.id, BERLIN);
    const p = await w.product(10, 2500);
    const order = await w.checkout(viewer, {
      cartId: (await w.cartWith(viewer, [{ productId: p, quantity: 1 }])).id,
      addressId,
      shippingMethodId: 'standard-eu',
    });
    expect(order).toMatchObject({ __typename: 'Order', shippingAddress: BERLIN });
    w.users.add(
      viewer.id,
      { ...BERLIN, line1: 'Somewhere else 9', city: 'Hamburg', postalCode: '20095' },
      addressId,
    );
    const read = await (
      await w.h.as(viewer)
    )<{ order: Record<string, unknown> }>(`query O($id: ID!) { order(id: $id) { ${ORDER_VIEW} } }`, {
      id: order.id,
    });
    expect(read.data?.order.shippingAddress).toEqual(BERLIN);
    const [row] = await w.h.app.db.rows<{ shipping_address: string }>(
      'SELECT shipping_address FROM orders WHERE id = ?',
      [order.id],
    );
    const stored = row!.shipping_address as unknown;
    expect(typeof stored === 'string' ? JSON.parse(stored) : stored).toEqual(BERLIN);
  });

  it('checks out an anonymous cart for the signed-in customer', async () => {
    const viewer = customer();
    const p = await w.product(10, 1000);
    const cart = await w.cartWith(null, [{ productId: p, quantity: 3 }]);
    const order = await w.checkout(viewer, {
      cartId: cart.id,
      shippingAddress: addressIn('FR'),
      shippingMethodId: 'standard-eu',
    });
    expect(order).toMatchObject({ __typename: 'Order', subtotal: { amount: 3000 }, total: { amount: 3490 } });
    const [row] = await w.h.app.db.rows<{ cart_id: string; user_id: string }>(
      'SELECT cart_id, user_id FROM orders WHERE id = ?',
      [order.id],
    );
    expect(row).toEqual({ cart_id: cart.id, user_id: viewer.id });
  });

  it('placeOrder keeps working: subtotal = total, no shipping, discount, VAT, address or method', async () => {
    const viewer = customer();
    const p = await w.product(10, 1234);
    const res = await (
      await w.h.as(viewer)
    )<Placed>(PLACE.replace(ORDER_FIELDS, `${ORDER_FIELDS} ${ORDER_VIEW.replace('id status', '')}`), {
      input: { idempotencyKey: randomUUID(), items: [{ productId: p, quantity: 2 }] },
    });
    expect(res.errors).toBeUndefined();
    expect(res.data!.placeOrder).toMatchObject({
      __typename: 'Order',
      subtotal: { amount: 2468, currency: 'EUR' },
      shipping: { amount: 0 },
      discount: { amount: 0 },
      total: { amount: 2468 },
      vat: { amount: 0 },
      vatRateBasisPoints: 0,
      discountCode: null,
      shippingMethod: null,
      shippingAddress: null,
    });
  });

  it('orders.payable answers the new total, and orders.paid carries every part and the address', async () => {
    const viewer = customer();
    const code = await w.createCode({
      code: `paid-${randomUUID().slice(0, 8)}`,
      kind: 'FIXED_AMOUNT',
      value: 500,
    });
    const p = await w.product(10, 2000);
    const order = await w.checkout(viewer, {
      cartId: (await w.cartWith(viewer, [{ productId: p, quantity: 1 }])).id,
      shippingAddress: addressIn('US'),
      shippingMethodId: 'standard-us',
      discountCode: code,
    });
    expect(order.total).toEqual({ amount: 2000 - 500 + 1490, currency: 'EUR' });
    const payable = await w.service.payable(order.id!, viewer.id);
    expect(payable).toMatchObject({ ok: true, amount: { amount: 2990, currency: 'EUR' } });
    const paymentId = randomUUID();
    const outcome = await w.service.applyPaymentEvent({
      eventId: paymentId,
      paymentId,
      orderId: order.id!,
      userId: viewer.id,
      amount: { amount: 2990, currency: 'EUR' },
      status: 'SUCCEEDED',
      failureReason: null,
      occurredAt: new Date().toISOString(),
    });
    expect(outcome).toBe('PAID');
    // Written with the PAID status, in its transaction.
    {
      const [row] = await w.h.app.db.rows<{ payload: string }>(
        "SELECT payload FROM outbox WHERE kind = 'orders.paid' AND payload LIKE ?",
        [`%${order.id}%`],
      );
      expect(row).toBeDefined();
      // The contract notifications reads it with.
      expect(() => OrderPaidEvent.parse(JSON.parse(row!.payload))).not.toThrow();
      expect(JSON.parse(row!.payload)).toMatchObject({
        total: { amount: 2990 },
        subtotal: { amount: 2000 },
        shipping: { amount: 1490 },
        discount: { amount: 500 },
        vat: { amount: 0 },
        vatRateBasisPoints: 0,
        discountCode: code,
        shippingMethod: { id: 'standard-us', name: 'Standard (US)' },
        shippingAddress: { country: 'US', region: 'NY', postalCode: '10001' },
      });
    }
  });
});
