/**
 * Discount codes at checkout under concurrency and at their boundaries: the last uses of a fresh
 * code taken by 2–5 checkouts of different carts at once (exactly as many orders as uses; one use
 * per customer when one customer checks out every cart), and a code's minimum and the free-shipping
 * threshold hit to the cent and missed by one.
 */
import { surelyAvailable, type Model } from '../model';
import type { CartM } from '../model.carts';
import type { OrderA } from '../operations';
import type { Auth, Result, World } from '../world';
import { userOf } from './base';
import { freshAnonymousCart } from './carts.shared';
import { cartRefusals, INLINE, methodFor, recordKey, seeOrder, type Plan } from './checkout.shared';
import { makeCode } from './discounts';
import { Verdict } from './verdict';

/** What a burst step passes its helpers: who, how many, and where to say what it resolved to. */
export interface Burst {
  user: number;
  n: number;
  resolve(text: string): void;
}

export const UNAVAILABLE = 'ProductsUnavailableError';
export const ordersOf = (results: (Result | null)[]) =>
  results.filter((r) => r?.__typename === 'Order').map((r) => r as unknown as OrderA);

/** The input of a checkout of a cart to the Berlin address, with a code when given. */
export const checkoutInput = (cart: CartM, method: string, key: string, code?: string) => ({
  cartId: cart.id,
  shippingAddress: INLINE.de.input,
  shippingMethodId: method,
  ...(code === undefined ? {} : { discountCode: code }),
  idempotencyKey: key,
});

export function send(w: World, cart: CartM, method: string, key: string, auth: Auth, code?: string) {
  return w.mutate('checkout', { input: checkoutInput(cart, method, key, code) }, auth);
}

/** The product with the most units surely on hand, at a price an order can take. */
export function roomiest(m: Model) {
  return m.products
    .map((p, i) => ({ i, left: surelyAvailable(m, i), p }))
    .filter((x) => x.p.price <= 1_000_000)
    .sort((a, b) => b.left - a.left)[0]!;
}

/**
 * The last uses of a fresh code taken by n checkouts of n carts at once: 1–2 uses in all, shared by
 * two customers (lastUse), or one use per customer, all of them by one customer (perCustomer).
 */
export async function lastUse(m: Model, w: World, at: Burst, perCustomer: boolean) {
  const limit = perCustomer ? null : (at.n % 2) + 1;
  const due = perCustomer ? 1 : limit!;
  const rules = { kind: 'PERCENTAGE' as const, value: 10, limit, perCustomer: perCustomer ? 1 : null };
  const codeM = await makeCode(m, w, { ...rules, minimum: null, future: false });
  if (!codeM) return;
  const code = codeM.code;
  const product = roomiest(m);
  const carts: CartM[] = [];
  for (let i = 0; i < at.n; i++) {
    const cart = await freshAnonymousCart(m, w, product.i, 1);
    if (cart) carts.push(cart);
  }
  const actors = carts.map((_, i) => userOf(m, at.user + (perCustomer ? 0 : i)));
  at.resolve(
    `${code} (${perCustomer ? 'once per customer' : `${limit} uses`}), ${carts.map((c, i) => `${c.name} by ${actors[i]!.name}`).join(', ')}`,
  );
  const { method } = methodFor(m, 'cheapest', 'DE');
  const startedAt = Date.now();
  const results = await Promise.all(
    carts.map((cart, i) =>
      send(w, cart, method!.id, `checkout-${m.next++}`, actors[i]!.user.auth, code.toLowerCase()),
    ),
  );
  const refused = perCustomer ? 'DiscountCodeAlreadyUsedError' : 'DiscountCodeUsedUpError';
  const v = new Verdict()
    .refuse(refused, false)
    .refuse('TooManyUnpaidOrdersError', false)
    .refuse('InsufficientStockError', false);
  for (const r of results) v.judge(w, r?.__typename, 'Order', `checkout with the last uses of ${code}`);
  const orders = ordersOf(results);
  w.expect(
    orders.length <= due,
    `${orders.length} orders took ${code} (${due} use${due > 1 ? 's' : ''} left)`,
  );
  const unavailable = results.some((r) => r === null || r.__typename === UNAVAILABLE);
  const roomy = actors.every(
    (a) => m.orders.filter((o) => o.owner === a.index && o.status === 'PENDING_PAYMENT').length < 3,
  );
  if (!unavailable && roomy && product.left >= carts.length)
    w.expect(
      orders.length === Math.min(due, carts.length),
      `${carts.length} checkouts at once took ${orders.length} of ${due} uses of ${code}`,
    );
  results.forEach((r, i) => {
    if (r?.__typename !== 'Order') return;
    const cart = carts[i]!;
    const plan: Plan = {
      user: actors[i]!.index,
      cart,
      lines: cart.lines,
      code: codeM,
      method,
      country: 'DE',
      snapshot: INLINE.de.snapshot,
    };
    seeOrder(m, w, r as unknown as OrderA, plan, startedAt, `checkout with the last uses of ${code}`);
    Object.assign(cart, { lines: [], code: null, exact: true });
  });
}

/**
 * Boundaries, one request at a time: a code whose minimum is exactly the subtotal applies, one
 * cent more does not; a fixed discount that leaves exactly the method's free-shipping threshold
 * ships free, one cent more pays shipping.
 */
export async function threshold(m: Model, w: World, at: Burst) {
  const buyer = userOf(m, at.user);
  const product = roomiest(m);
  const price = product.p.price;
  const { method } = methodFor(m, 'cheapest', 'DE');
  if (!method || method.freeAbove === null || price <= method.freeAbove) return;
  const gap = price - method.freeAbove;
  const base = { limit: null, perCustomer: null, future: false };
  const atMinimum = await makeCode(m, w, { ...base, kind: 'FIXED_AMOUNT', value: gap, minimum: price });
  const pastFree = await makeCode(m, w, { ...base, kind: 'FIXED_AMOUNT', value: gap + 1, minimum: null });
  const pastMinimum = await makeCode(m, w, { ...base, kind: 'PERCENTAGE', value: 10, minimum: price + 1 });
  at.resolve(
    `${buyer.name}, ${m.products[product.i]!.name} at ${price}, ${method.id} free from ${method.freeAbove}`,
  );
  for (const code of [atMinimum, pastFree]) {
    const cart = await freshAnonymousCart(m, w, product.i, 1);
    if (!cart || !code || !pastMinimum) continue;
    const refused = await w.mutate(
      'applyDiscountCode',
      { input: { cartId: cart.id, code: pastMinimum.code } },
      buyer.user.auth,
    );
    new Verdict()
      .refuse('DiscountCodeMinimumNotMetError')
      .judge(w, refused?.__typename, 'Cart', `applyDiscountCode with a minimum one cent above the subtotal`);
    const plan: Plan = {
      user: buyer.index,
      cart,
      lines: cart.lines,
      code,
      method,
      country: 'DE',
      snapshot: INLINE.de.snapshot,
    };
    const v = new Verdict();
    cartRefusals(m, v, plan);
    const startedAt = Date.now();
    const key = `checkout-${m.next++}`;
    const res = await send(w, cart, method.id, key, buyer.user.auth, code.code);
    v.judge(w, res?.__typename, 'Order', `checkout with ${code.code} (${code.value} off ${price})`);
    if (res?.__typename !== 'Order') continue;
    const order = seeOrder(
      m,
      w,
      res as unknown as OrderA,
      plan,
      startedAt,
      `checkout at the free-shipping threshold`,
    );
    const shipping = (res as unknown as OrderA).shipping.amount;
    w.expect(
      shipping === (code === atMinimum ? 0 : method.price),
      `${order.number}: ${price} - ${code.value} ships for ${shipping} (free from ${method.freeAbove})`,
    );
    recordKey(
      m,
      key,
      buyer.index,
      order.id,
      checkoutInput(cart, method.id, key, code.code),
      INLINE.de.snapshot,
    );
    Object.assign(cart, { lines: [], code: null, exact: true });
  }
}
