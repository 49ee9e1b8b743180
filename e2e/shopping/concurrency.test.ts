/**
 * Issue 17, under concurrency, through the gateway, judged from the stores: the last use of a
 * discount code under 10 concurrent checkouts, a cart line changed while its cart is checked out, and
 * two sessions of one customer editing one cart.
 */
import { randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import { waitFor } from '@shop/testing';
import { createTestEnvironment, type TestEnvironment } from '../environment';
import { BERLIN, expectNoInternalErrors, openStores, Q, shopClient } from './support';

let env: TestEnvironment;
let shop: ReturnType<typeof shopClient>;
let stores: Awaited<ReturnType<typeof openStores>>;
let admin: Record<string, string>;
let productIds: string[];

beforeAll(async () => {
  env = await createTestEnvironment({ maxUnpaidOrders: 50 });
  shop = shopClient(env);
  stores = await openStores(env);
  admin = await shop.admin();
  productIds = (await shop.products(2)).map((p) => p.id);
}, 120_000);

afterAll(async () => {
  expectNoInternalErrors(shop?.responses ?? []);
  await stores?.close();
  await env?.stop();
});

type Typed = {
  __typename: string;
  id?: string;
  discountCode?: string | null;
  items?: { product: { id: string }; quantity: number }[];
};

/** Every hold on the products belongs to an order waiting for payment (read from MongoDB and MySQL). */
async function holdsBelongToPendingOrders() {
  const docs = await stores.mongo
    .collection('products')
    .find({ _id: { $in: productIds.map((id) => new mongoose.Types.ObjectId(id)) } })
    .toArray();
  const held = docs.flatMap((d) => ((d.holds ?? []) as { orderId: string }[]).map((h) => h.orderId));
  if (held.length === 0) return true;
  const pending = await stores.rows<{ id: string }>(
    "SELECT id FROM orders WHERE status = 'PENDING_PAYMENT' AND id IN (?)",
    [held],
  );
  return pending.length === new Set(held).size;
}

const checkoutInput = (cartId: string, extra: Record<string, unknown> = {}) => ({
  i: {
    cartId,
    shippingAddress: BERLIN,
    shippingMethodId: 'standard-eu',
    idempotencyKey: randomUUID(),
    ...extra,
  },
});

it('a code with one use left is used by exactly one of 10 concurrent checkouts', async () => {
  const code = await shop.discountCode(admin, { kind: 'FIXED_AMOUNT', value: 200, usageLimit: 1 });
  const shoppers = await Promise.all(
    Array.from({ length: 10 }, async () => {
      const who = await shop.customer('race');
      const cart = await shop.ok<{ addToCart: { id: string } }>(
        Q.addToCart,
        { i: { productId: productIds[0], quantity: 1 } },
        who.headers,
      );
      return { ...who, cartId: cart.addToCart.id };
    }),
  );
  const results = await Promise.all(
    shoppers.map((s) =>
      shop.ok<{ checkout: Typed }>(Q.checkout, checkoutInput(s.cartId, { discountCode: code }), s.headers),
    ),
  );
  const kinds = results.map((r) => r.checkout.__typename).sort();
  expect(kinds).toEqual(['Order', ...Array(9).fill('DiscountCodeUsedUpError')].sort());
  const winner = results.find((r) => r.checkout.__typename === 'Order')!.checkout;
  expect(winner.discountCode).toBe(code);

  // The stores agree: one use, one redemption, one order with the code, nine customers without orders.
  const [row] = await stores.rows<{ times_used: number }>(
    'SELECT times_used FROM discount_codes WHERE code = ?',
    [code],
  );
  expect(row?.times_used).toBe(1);
  const redemptions = await stores.rows<{ order_id: string }>(
    'SELECT order_id FROM discount_redemptions WHERE code = ?',
    [code],
  );
  expect(redemptions.map((r) => r.order_id)).toEqual([winner.id]);
  const orders = await stores.rows<{ user_id: string }>('SELECT user_id FROM orders WHERE user_id IN (?)', [
    shoppers.map((s) => s.userId),
  ]);
  expect(orders).toHaveLength(1);
  // The nine refused carts still hold their line; no stock is held for them.
  const lines = await stores.rows<{ n: number }>(
    'SELECT COUNT(*) AS n FROM cart_lines WHERE cart_id IN (?)',
    [shoppers.map((s) => s.cartId)],
  );
  expect(Number(lines[0]?.n)).toBe(9);
  await waitFor(holdsBelongToPendingOrders);
});

it('a cart line changed while the cart is checked out: the order and the cart together hold every change once', async () => {
  for (let round = 0; round < 5; round += 1) {
    const who = await shop.customer('change');
    const cart = await shop.ok<{ addToCart: { id: string } }>(
      Q.addToCart,
      { i: { productId: productIds[0], quantity: 1 } },
      who.headers,
    );
    const cartId = cart.addToCart.id;
    const [checkout, update] = await Promise.all([
      shop.ok<{ checkout: Typed }>(Q.checkout, checkoutInput(cartId), who.headers),
      shop.ok<{ updateCartLine: Typed }>(
        Q.updateCartLine,
        { i: { cartId, productId: productIds[0], quantity: 3 } },
        who.headers,
      ),
    ]);
    expect(update.updateCartLine.__typename).toBe('Cart');
    const left = await stores.rows<{ quantity: number }>(
      'SELECT quantity FROM cart_lines WHERE cart_id = ? AND product_id = ?',
      [cartId, productIds[0]],
    );
    const items = await stores.rows<{ quantity: number }>(
      'SELECT i.quantity FROM order_items i JOIN orders o ON o.id = i.order_id WHERE o.user_id = ?',
      [who.userId],
    );
    const ordered = items.reduce((n, i) => n + i.quantity, 0);
    const inCart = left[0]?.quantity ?? 0;
    if (checkout.checkout.__typename === 'Order') {
      // Checked out before the update (1 ordered; the update then found the cart empty, and set a
      // new line or changed nothing) or after it (3 ordered, cart empty). Never 1 ordered and 1 left.
      expect([
        [1, 3],
        [1, 0],
        [3, 0],
      ]).toContainEqual([ordered, inCart]);
    } else {
      expect(checkout.checkout.__typename).toBe('CartChangedError');
      expect([ordered, inCart]).toEqual([0, 3]);
    }
  }
  await waitFor(holdsBelongToPendingOrders);
});

it('two sessions of one customer editing the cart at once lose no update', async () => {
  const who = await shop.customer('sessions');
  const other = await shop.login(who.email, who.password);
  const sessions = [who.headers, other.headers];
  const first = await shop.ok<{ addToCart: { id: string } }>(
    Q.addToCart,
    { i: { productId: productIds[1], quantity: 1 } },
    sessions[0],
  );
  const cartId = first.addToCart.id;
  const adds = await Promise.all(
    Array.from({ length: 20 }, (_, n) =>
      shop.ok<{ addToCart: Typed }>(
        Q.addToCart,
        // Half name the cart, half let the server find the customer's cart.
        { i: { ...(n % 2 ? { cartId } : {}), productId: productIds[n % 4 < 2 ? 0 : 1], quantity: 1 } },
        sessions[n % 2],
      ),
    ),
  );
  expect(adds.every((a) => a.addToCart.__typename === 'Cart' && a.addToCart.id === cartId)).toBe(true);
  const lines = await stores.rows<{ product_id: string; quantity: number }>(
    'SELECT product_id, quantity FROM cart_lines WHERE cart_id = ?',
    [cartId],
  );
  const byProduct = Object.fromEntries(lines.map((l) => [l.product_id, l.quantity]));
  expect(byProduct).toEqual({ [productIds[0]!]: 10, [productIds[1]!]: 11 });
  const carts = await stores.rows<{ id: string }>('SELECT id FROM carts WHERE user_id = ?', [who.userId]);
  expect(carts.map((c) => c.id)).toEqual([cartId]);
});
