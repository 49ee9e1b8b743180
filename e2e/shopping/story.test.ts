/**
 * Issue 17, the shopper's whole story through the gateway: an anonymous cart, login merges it,
 * checkout with an address from the address book, a shipping method and a discount code, payment,
 * the confirmation email (items, shipping, discount, VAT, address), the admin fulfils (shipped email
 * with the tracking link), delivery, and the status history. The stores are read directly: the order
 * row's parts, the code's use, the emptied cart.
 */
import { randomUUID } from 'node:crypto';
import { mailpit, waitFor } from '@shop/testing';
import { createTestEnvironment, type TestEnvironment } from '../environment';
import { BERLIN, CARD, expectNoInternalErrors, openStores, Q, shopClient, tokenize } from './support';

let env: TestEnvironment;
let shop: ReturnType<typeof shopClient>;
let stores: Awaited<ReturnType<typeof openStores>>;

beforeAll(async () => {
  env = await createTestEnvironment();
  shop = shopClient(env);
  stores = await openStores(env);
}, 120_000);

afterAll(async () => {
  expectNoInternalErrors(shop?.responses ?? []);
  await stores?.close();
  await env?.stop();
});

type Money = { amount: number; currency: string };
type Cart = {
  id: string;
  customer: { id: string } | null;
  quantity: number;
  subtotal: Money;
  discount: Money;
  discountCode: string | null;
  lines: { product: { id: string }; quantity: number; unitPrice: Money; status: string }[];
};
type Order = {
  id: string;
  number: string;
  status: string;
  subtotal: Money;
  shipping: Money;
  discount: Money;
  total: Money;
  vat: Money;
  vatRateBasisPoints: number;
  discountCode: string | null;
  shippingAddress: Record<string, string | null> | null;
  shippingMethod: { id: string; name: string } | null;
  fulfilment: { carrier: string; trackingNumber: string; trackingUrl: string } | null;
  statusHistory: { status: string; at: string }[];
  items: { productName: string; quantity: number; lineTotal: Money }[];
};

const euro = (cents: number) => (cents / 100).toFixed(2);

it('anonymous cart → login merges it → checkout with address, shipping and code → pay → emails → fulfilled → delivered', async () => {
  const [a, b] = await shop.products(2);

  // 1. Anonymous: a cart is created by the first add; its id is the only key to it.
  const added = await shop.ok<{ addToCart: Cart & { __typename: string } }>(Q.addToCart, {
    i: { productId: a!.id, quantity: 2 },
  });
  expect(added.addToCart.__typename).toBe('Cart');
  const anonymousCartId = added.addToCart.id;
  expect(anonymousCartId).toMatch(/^[A-Za-z0-9_-]{22}$/);
  expect(added.addToCart.customer).toBeNull();
  const second = await shop.ok<{ addToCart: Cart }>(Q.addToCart, {
    i: { cartId: anonymousCartId, productId: b!.id, quantity: 1 },
  });
  expect(second.addToCart.quantity).toBe(3);
  expect(second.addToCart.subtotal.amount).toBe(2 * a!.price.amount + b!.price.amount);
  expect(second.addToCart.lines.map((l) => l.status)).toEqual(['AVAILABLE', 'AVAILABLE']);

  // 2. Register, log in, merge the anonymous cart into the customer's.
  const ada = await shop.customer('story');
  const merged = await shop.ok<{ mergeCart: Cart & { __typename: string } }>(
    Q.mergeCart,
    { id: anonymousCartId },
    ada.headers,
  );
  expect(merged.mergeCart.__typename).toBe('Cart');
  const cartId = merged.mergeCart.id;
  expect(merged.mergeCart.customer?.id).toBe(ada.userId);
  expect(merged.mergeCart.quantity).toBe(3);
  // The anonymous cart is gone: its id names nothing any more, for anyone.
  expect((await shop.ok<{ cart: Cart | null }>(Q.cart, { id: anonymousCartId })).cart).toBeNull();
  expect((await shop.ok<{ cart: Cart | null }>(Q.cart, {}, ada.headers)).cart?.id).toBe(cartId);

  // 3. An address in the address book; the admin makes a 10 % code with a minimum.
  const address = await shop.ok<{
    createAddress: { __typename: string; id: string; isDefaultShipping: boolean };
  }>(Q.createAddress, { i: BERLIN }, ada.headers);
  expect(address.createAddress).toMatchObject({ __typename: 'Address', isDefaultShipping: true });
  const admin = await shop.admin();
  const code = await shop.discountCode(admin, { kind: 'PERCENTAGE', value: 10, minimumSubtotal: 100 });
  const applied = await shop.ok<{ applyDiscountCode: Cart & { __typename: string } }>(
    Q.applyDiscountCode,
    { i: { cartId, code: ` ${code.toLowerCase()} ` } },
    ada.headers,
  );
  expect(applied.applyDiscountCode.__typename).toBe('Cart');
  expect(applied.applyDiscountCode.discountCode).toBe(code);
  const subtotal = applied.applyDiscountCode.subtotal.amount;
  const discount = Math.floor(subtotal / 10);
  expect(applied.applyDiscountCode.discount.amount).toBe(discount);

  // 4. Shipping to Germany, then checkout.
  const methods = await shop.ok<{
    shippingMethods: { id: string; name: string; price: Money; freeAbove: Money | null }[];
  }>(Q.shippingMethods, { c: 'DE' });
  expect(methods.shippingMethods.length).toBeGreaterThan(0);
  const method = methods.shippingMethods[0]!;
  const free = method.freeAbove !== null && subtotal - discount >= method.freeAbove.amount;
  const shipping = free ? 0 : method.price.amount;
  const key = randomUUID();
  const checkout = await shop.ok<{ checkout: Order & { __typename: string } }>(
    Q.checkout,
    { i: { cartId, addressId: address.createAddress.id, shippingMethodId: method.id, idempotencyKey: key } },
    ada.headers,
  );
  expect(checkout.checkout.__typename).toBe('Order');
  const order = checkout.checkout;
  const total = subtotal + shipping - discount;
  expect(order).toMatchObject({
    status: 'PENDING_PAYMENT',
    subtotal: { amount: subtotal, currency: 'EUR' },
    shipping: { amount: shipping },
    discount: { amount: discount },
    total: { amount: total },
    vatRateBasisPoints: 1900,
    vat: { amount: Math.round((total * 1900) / 11900) },
    discountCode: code,
    shippingMethod: { id: method.id, name: method.name },
    shippingAddress: {
      name: BERLIN.name,
      line1: BERLIN.line1,
      postalCode: '10115',
      country: 'DE',
      phone: '+49301234567',
    },
    fulfilment: null,
  });
  // Replaying the checkout answers the same order.
  const replay = await shop.ok<{ checkout: Order }>(
    Q.checkout,
    { i: { cartId, addressId: address.createAddress.id, shippingMethodId: method.id, idempotencyKey: key } },
    ada.headers,
  );
  expect(replay.checkout.id).toBe(order.id);
  // The cart is empty now; the code's use is taken (read from MySQL).
  expect((await shop.ok<{ cart: Cart | null }>(Q.cart, { id: cartId }, ada.headers)).cart).toMatchObject({
    quantity: 0,
    discountCode: null,
  });
  const [codeRow] = await stores.rows<{ times_used: number }>(
    'SELECT times_used FROM discount_codes WHERE code = ?',
    [code],
  );
  expect(codeRow?.times_used).toBe(1);
  const [orderRow] = await stores.rows<{ total_amount: number; status: string }>(
    'SELECT total_amount, status FROM orders WHERE id = ?',
    [order.id],
  );
  expect(Number(orderRow?.total_amount)).toBe(total);

  // 5. Pay; the order becomes PAID and the confirmation email shows every part.
  const paid = await shop.ok<{ payOrder: { __typename: string } }>(
    Q.pay,
    {
      i: {
        orderId: order.id,
        idempotencyKey: randomUUID(),
        paymentMethodToken: await tokenize(env.pspUrl, CARD),
      },
    },
    ada.headers,
  );
  expect(paid.payOrder.__typename).toBe('PaymentSucceeded');
  await waitFor(
    async () =>
      (await shop.ok<{ order: Order }>(Q.order, { id: order.id }, ada.headers)).order.status === 'PAID',
  );
  const confirmation = await waitFor(async () => {
    const found = await mailpit.messagesTo(ada.email);
    const hit = found.find((m) => m.Subject.includes(order.number));
    return hit ? mailpit.message(hit.ID) : null;
  });
  for (const text of [
    a!.name,
    b!.name,
    euro(subtotal),
    euro(discount),
    code,
    euro(total),
    euro(Math.round((total * 1900) / 11900)),
    '19',
    BERLIN.line1,
    '10115',
    'Germany',
    method.name,
  ])
    expect(confirmation.Text).toContain(text);

  // 6. The admin fulfils: FULFILLED, and the shipped email carries the tracking link.
  const fulfilled = await shop.ok<{ fulfillOrder: Order & { __typename: string } }>(
    Q.fulfill,
    { i: { orderId: order.id, carrier: 'DHL', trackingNumber: 'JD0146000031' } },
    admin,
  );
  expect(fulfilled.fulfillOrder).toMatchObject({
    __typename: 'Order',
    status: 'FULFILLED',
    fulfilment: { carrier: 'DHL', trackingNumber: 'JD0146000031' },
  });
  const trackingUrl = fulfilled.fulfillOrder.fulfilment!.trackingUrl;
  expect(trackingUrl).toMatch(/^https:\/\/.*JD0146000031/);
  const shipped = await waitFor(async () => {
    const found = await mailpit.messagesTo(ada.email);
    const hits = await Promise.all(found.map((m) => mailpit.message(m.ID)));
    return hits.find((m) => m.Text.includes(trackingUrl) && m.Text.includes(order.number)) ?? null;
  });
  expect(shipped.Text).toContain('DHL');
  // A customer may not fulfil or deliver.
  const refused = await shop.send(Q.deliver, { id: order.id }, ada.headers);
  expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

  // 7. Delivered; the history lists every status with its time, oldest first.
  const delivered = await shop.ok<{ markOrderDelivered: Order }>(Q.deliver, { id: order.id }, admin);
  expect(delivered.markOrderDelivered.status).toBe('DELIVERED');
  const seen = await shop.ok<{ order: Order }>(Q.order, { id: order.id }, ada.headers);
  expect(seen.order.statusHistory.map((s) => s.status)).toEqual([
    'PENDING_PAYMENT',
    'PAID',
    'FULFILLED',
    'DELIVERED',
  ]);
  const times = seen.order.statusHistory.map((s) => Date.parse(s.at));
  expect([...times].sort((x, y) => x - y)).toEqual(times);
  const [finalRow] = await stores.rows<{ status: string }>('SELECT status FROM orders WHERE id = ?', [
    order.id,
  ]);
  expect(finalRow?.status).toBe('DELIVERED');
});
