/**
 * checkout under concurrency: one key sent n times at once (one order), one cart checked out from
 * two sessions of its customer at once (one order), a checkout racing an edit of the cart (the order
 * holds the cart before or after the edit, never a mix, and the cart ends consistent with it), and
 * the last uses of a fresh code taken by 2–5 checkouts of different carts at once (exactly as many
 * orders as uses, none more; also one use per customer, all checkouts by one customer), and a
 * checkout of an anonymous cart racing another customer's merge of it (never both).
 */
import { surelyAvailable, type Model } from '../model';
import {
  cartOf,
  codeNamed,
  linesText,
  MAX_LINE_QUANTITY,
  quantityIn,
  sameLines,
  withLine,
  type CartLineM,
  type CartM,
  type CodeM,
} from '../model.carts';
import type { CartA, OrderA } from '../operations';
import { show, type Auth, type Result, type World } from '../world';
import { Step, userOf } from './base';
import { ensureCart, freshAnonymousCart } from './carts.bursts';
import {
  actorFor,
  lineRefusals,
  linesOf,
  productSent,
  readCart,
  registerCart,
  seeCart,
  sendAdd,
} from './carts.shared';
import { cartRefusals, INLINE, methodFor, seeOrder, type Plan } from './checkout.shared';
import { Verdict } from './verdict';

export type CheckoutBurstMode =
  'sameKey' | 'twoSessions' | 'raceEdit' | 'lastUse' | 'perCustomer' | 'mergeRace';

const UNAVAILABLE = 'ProductsUnavailableError';
const ordersOf = (results: (Result | null)[]) =>
  results.filter((r) => r?.__typename === 'Order').map((r) => r as unknown as OrderA);

function send(w: World, cart: CartM, method: string, key: string, auth: Auth, code?: string) {
  const input = {
    cartId: cart.id,
    shippingAddress: INLINE.de.input,
    shippingMethodId: method,
    ...(code === undefined ? {} : { discountCode: code }),
    idempotencyKey: key,
  };
  return w.mutate('checkout', { input }, auth);
}

export class CheckoutBurst extends Step {
  constructor(
    readonly user: number,
    readonly product: number,
    readonly n: number,
    readonly mode: CheckoutBurstMode,
  ) {
    super();
  }

  label() {
    return `checkoutBurst(#${this.user}, p#${this.product}, ${this.n} at once, ${this.mode})`;
  }

  async act(m: Model, w: World) {
    if (this.mode === 'lastUse' || this.mode === 'perCustomer')
      return this.lastUse(m, w, this.mode === 'perCustomer');
    if (this.mode === 'mergeRace') return this.mergeRace(m, w);
    const actor = actorFor(m, this.user, false);
    const user = actor.index!;
    const cart = await ensureCart(m, w, actor, this.product);
    if (!cart) return;
    if (!cart.exact) await readCart(m, w, cart, actor.auth, 'cart before a checkout burst');
    if (cart.lines.length === 0) {
      const p = productSent(m, this.product, 'canonical');
      const res = await sendAdd(w, actor, cart.id, p.id, 1);
      if (res?.__typename === 'Cart')
        seeCart(m, w, cart, res, 'addToCart (before a checkout burst)', {
          expected: [{ productId: p.id, quantity: 1 }],
        });
    }
    if (!cart.exact || cart.lines.length === 0) return;
    const { method } = methodFor(m, 'cheapest', 'DE');
    const plan: Plan = {
      user,
      cart,
      lines: cart.lines,
      code: cart.code ? codeNamed(m, cart.code) : null,
      method,
      country: 'DE',
      snapshot: INLINE.de.snapshot,
    };
    const base = new Verdict();
    cartRefusals(m, base, plan);
    this.resolved = `${actor.name}, ${cart.name} holding ${linesText(m, cart.lines)}${cart.code ? ` and ${cart.code}` : ''}`;
    const startedAt = Date.now();

    if (this.mode === 'raceEdit') return this.raceEdit(m, w, plan, actor.auth, startedAt);
    const sameKey = this.mode === 'sameKey';
    const shared = `checkout-${m.next++}`;
    const sessions = [actor.auth, m.users[user]!.auth2];
    const keys = Array.from({ length: sameKey ? this.n : 2 }, () =>
      sameKey ? shared : `checkout-${m.next++}`,
    );
    const results = await Promise.all(keys.map((key, i) => send(w, cart, method!.id, key, sessions[i % 2]!)));
    const v = new Verdict().refuseAll({
      sure: [...base.sure],
      maybe: [...base.maybe, 'CartChangedError', 'EmptyCartError', 'InsufficientStockError'],
    });
    for (const r of results)
      v.judge(w, r?.__typename, 'Order', `checkout ×${keys.length} at once (${this.mode})`);
    const orders = ordersOf(results);
    const ids = new Set(orders.map((o) => o.id));
    w.expect(
      ids.size <= 1,
      `one cart checked out ${keys.length} times at once placed ${ids.size} orders: ${show([...ids])}`,
    );
    const unavailable = results.some((r) => r === null || r.__typename === UNAVAILABLE);
    if (base.clear && !unavailable)
      w.expect(orders.length >= 1, `${keys.length} checkouts of a cart at once placed nothing`);
    const first = orders[0];
    if (!first) return;
    seeOrder(m, w, first, plan, startedAt, `checkout ×${keys.length} at once`);
    const winner = results.findIndex((r) => r?.__typename === 'Order');
    m.checkoutKeys.push({
      key: keys[winner]!,
      user,
      cartIdSent: cart.id,
      orderId: first.id,
      lines: plan.lines!,
    });
    Object.assign(cart, { lines: [], code: null, exact: true });
  }

  /** A checkout and an edit of its cart at once. */
  private async raceEdit(m: Model, w: World, plan: Plan, auth: Auth, startedAt: number) {
    const cart = plan.cart;
    const before = cart.lines;
    const line = before[0]!.productId;
    const other = m.products[(m.products.findIndex((p) => p.id === line) + 1) % m.products.length]!.id;
    const kind = this.n % 4;
    const edits: [string, () => Promise<Result | null>, (l: CartLineM[]) => CartLineM[]][] = [
      [
        'add one',
        () => sendAdd(w, { index: plan.user, auth, name: '' }, cart.id, other, 1),
        (l) => withLine(l, other, Math.min(MAX_LINE_QUANTITY, quantityIn(l, other) + 1)),
      ],
      [
        'set to 2',
        () => w.mutate('updateCartLine', { input: { cartId: cart.id, productId: line, quantity: 2 } }, auth),
        (l) => withLine(l, line, 2),
      ],
      [
        'remove the line',
        () => w.mutate('removeCartLine', { input: { cartId: cart.id, productId: line } }, auth),
        (l) => withLine(l, line, 0),
      ],
      ['clear', () => w.mutate('clearCart', { id: cart.id }, auth), () => []],
    ];
    const [what, edit, apply] = edits[kind]!;
    this.resolved += `, racing "${what}"`;
    const key = `checkout-${m.next++}`;
    const [co, ed] = await Promise.all([send(w, cart, plan.method!.id, key, auth), edit()]);
    const ev = new Verdict();
    lineRefusals(m, ev, { ...cart, exact: false }, other, 1);
    ev.judge(w, ed?.__typename, 'Cart', `${what} racing a checkout`);
    const edited = ed?.__typename === 'Cart';
    const cv = new Verdict().refuse('CartChangedError', false).refuse('EmptyCartError', false);
    cartRefusals(m, cv, { ...plan, cart: { ...cart, exact: false } });
    cv.judge(w, co?.__typename, 'Order', `checkout racing "${what}"`);
    const afterEdit = apply(before);
    const candidates: CartLineM[][] = [];
    if (edited) {
      const shown = linesOf(ed as unknown as CartA);
      w.expect(
        sameLines(shown, afterEdit) || sameLines(shown, apply([])),
        `"${what}" racing a checkout answered ${linesText(m, shown)}: neither the cart edited (${linesText(m, afterEdit)}) nor the emptied one edited`,
      );
      seeCart(m, w, cart, ed!, `${what} racing a checkout`, { adopt: false });
    }
    if (co?.__typename === 'Order') {
      const order = co as unknown as OrderA;
      const items = order.items.map((i) => ({ productId: i.product.id, quantity: i.quantity }));
      const ofBefore = sameLines(items, before);
      const ofEdited = edited && sameLines(items, afterEdit);
      w.expect(
        ofBefore || ofEdited,
        `checkout racing "${what}" ordered ${linesText(m, items)}: the cart held ${linesText(m, before)}, edited ${linesText(m, afterEdit)}`,
      );
      if (ofBefore) candidates.push(edited ? apply([]) : []);
      if (ofEdited) candidates.push([]);
      seeOrder(m, w, order, { ...plan, lines: undefined }, startedAt, `checkout racing "${what}"`);
      m.checkoutKeys.push({ key, user: plan.user, cartIdSent: cart.id, orderId: order.id, lines: items });
    } else candidates.push(edited ? afterEdit : before);
    const data = await w.call('cart', { id: cart.id }, auth);
    const final = data?.cart as CartA | null | undefined;
    if (!final)
      return w.expect(data === null, `${cart.name} reads as no cart after a checkout raced an edit`);
    const lines = linesOf(final);
    w.expect(
      candidates.some((c) => sameLines(c, lines)),
      `after a checkout raced "${what}" ${cart.name} holds ${linesText(m, lines)}, expected ${candidates.map((c) => linesText(m, c)).join(' or ')}`,
    );
    seeCart(m, w, cart, final, 'cart after a checkout raced an edit');
  }

  /**
   * The last uses of a fresh code taken by n checkouts of n carts at once: 1–2 uses in all, shared by
   * two customers (lastUse), or one use per customer, all of them by one customer (perCustomer).
   */
  private async lastUse(m: Model, w: World, perCustomer: boolean) {
    const limit = perCustomer ? null : (this.n % 2) + 1;
    const due = perCustomer ? 1 : limit!;
    const code = `ADV-${m.next++}`;
    const input = {
      code,
      kind: 'PERCENTAGE',
      value: 10,
      ...(perCustomer ? { usageLimitPerCustomer: 1 } : { usageLimit: limit }),
    };
    const made = await w.mutate('createDiscountCode', { input }, w.adminAuth);
    w.expect(!made || made.__typename === 'DiscountCode', `createDiscountCode answered ${made?.__typename}`);
    if (made?.__typename !== 'DiscountCode') return;
    const codeM: CodeM = {
      code,
      kind: 'PERCENTAGE',
      value: 10,
      limit,
      perCustomer: perCustomer ? 1 : null,
      minimum: null,
      future: false,
      uncertain: false,
    };
    m.codes.push(codeM);
    const product = roomiest(m);
    const carts: CartM[] = [];
    for (let i = 0; i < this.n; i++) {
      const cart = await freshAnonymousCart(m, w, product.i, 1);
      if (cart) carts.push(cart);
    }
    const actors = carts.map((_, i) => userOf(m, this.user + (perCustomer ? 0 : i)));
    this.resolved = `${code} (${perCustomer ? 'once per customer' : `${limit} uses`}), ${carts.map((c, i) => `${c.name} by ${actors[i]!.name}`).join(', ')}`;
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
   * One customer checks out an anonymous cart while another merges it: the goods go into the order
   * or into the other customer's cart, never both.
   */
  private async mergeRace(m: Model, w: World) {
    const buyer = userOf(m, this.user);
    const merger = userOf(m, this.user + 1);
    const source = await freshAnonymousCart(m, w, roomiest(m).i, 2);
    if (!source) return;
    const theirs = cartOf(m, merger.index);
    if (theirs && !theirs.exact) await readCart(m, w, theirs, merger.user.auth, 'cart before a merge race');
    const before = theirs?.lines ?? [];
    this.resolved = `${source.name} checked out by ${buyer.name}, merged by ${merger.name} (holding ${linesText(m, before)})`;
    const { method } = methodFor(m, 'cheapest', 'DE');
    const key = `checkout-${m.next++}`;
    const startedAt = Date.now();
    const [co, merge] = await Promise.all([
      send(w, source, method!.id, key, buyer.user.auth),
      w.mutate('mergeCart', { id: source.id }, merger.user.auth),
    ]);
    new Verdict()
      .refuse('CartNotFoundError', false)
      .refuse('CartChangedError', false)
      .refuse('EmptyCartError', false)
      .refuse('InsufficientStockError', false)
      .refuse('TooManyUnpaidOrdersError', false)
      .judge(w, co?.__typename, 'Order', 'checkout racing a merge');
    new Verdict()
      .refuse('CartNotFoundError', false)
      .judge(w, merge?.__typename, 'Cart', 'mergeCart racing a checkout');
    const ordered = co?.__typename === 'Order';
    const merged = merge?.__typename === 'Cart';
    const unavailable = [co, merge].some((r) => r === null || r.__typename === UNAVAILABLE);
    if (!unavailable) w.expect(ordered || merged, 'neither the checkout nor the merge of a cart took it');
    if (merged) {
      const lines = linesOf(merge as unknown as CartA);
      const gained = !sameLines(lines, before);
      w.expect(
        !(ordered && gained && (theirs?.exact ?? true)),
        `${source.name} was ordered and its lines merged into ${merger.name}'s cart too (${linesText(m, lines)}, before ${linesText(m, before)})`,
      );
      const target = theirs ?? registerCart(m, merge as unknown as CartA, merger.index);
      seeCart(m, w, target, merge!, 'mergeCart racing a checkout');
      source.gone = true;
    }
    if (!ordered) return;
    const plan: Plan = {
      user: buyer.index,
      cart: source,
      lines: source.lines,
      code: null,
      method,
      country: 'DE',
      snapshot: INLINE.de.snapshot,
    };
    const order = seeOrder(m, w, co as unknown as OrderA, plan, startedAt, 'checkout racing a merge');
    m.checkoutKeys.push({
      key,
      user: buyer.index,
      cartIdSent: source.id,
      orderId: order.id,
      lines: source.lines,
    });
    Object.assign(source, { lines: [], code: null, exact: true });
  }
}

/** The product with the most units surely on hand, at a price an order can take. */
function roomiest(m: Model) {
  return m.products
    .map((p, i) => ({ i, left: surelyAvailable(m, i), p }))
    .filter((x) => x.p.price <= 1_000_000)
    .sort((a, b) => b.left - a.left)[0]!;
}
