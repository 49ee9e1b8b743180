/**
 * checkout under concurrency: one key sent n times at once (one order), one cart checked out from
 * two sessions of its customer at once (one order), a checkout racing an edit of the cart (the order
 * holds the cart before or after the edit, never a mix, and the cart ends consistent with it), a
 * checkout of an anonymous cart racing another customer's merge of it (never both); the last uses of
 * a code and the boundaries of codes and shipping are in checkout.codes.ts.
 */
import type { Model } from '../model';
import {
  cartOf,
  codeNamed,
  linesText,
  MAX_LINE_QUANTITY,
  quantityIn,
  sameLines,
  withLine,
  type CartLineM,
} from '../model.carts';
import type { CartA, OrderA } from '../operations';
import { show, type Auth, type Result, type World } from '../world';
import { Step, userOf } from './base';
import {
  actorFor,
  ensureCart,
  freshAnonymousCart,
  lineRefusals,
  linesOf,
  productSent,
  readCart,
  registerCart,
  seeCart,
  sendAdd,
} from './carts.shared';
import { cartRefusals, INLINE, methodFor, recordKey, seeOrder, type Plan } from './checkout.shared';
import { checkoutInput, lastUse, ordersOf, roomiest, send, threshold, UNAVAILABLE } from './checkout.codes';
import { Verdict } from './verdict';

export type CheckoutBurstMode =
  'sameKey' | 'twoSessions' | 'raceEdit' | 'lastUse' | 'perCustomer' | 'mergeRace' | 'threshold';

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
    const at = { user: this.user, n: this.n, resolve: (text: string) => (this.resolved = text) };
    if (this.mode === 'lastUse' || this.mode === 'perCustomer')
      return lastUse(m, w, at, this.mode === 'perCustomer');
    if (this.mode === 'threshold') return threshold(m, w, at);
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
    recordKey(
      m,
      keys[winner]!,
      user,
      first.id,
      checkoutInput(cart, method!.id, keys[winner]!),
      INLINE.de.snapshot,
    );
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
      recordKey(m, key, plan.user, order.id, checkoutInput(cart, plan.method!.id, key), INLINE.de.snapshot);
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
    recordKey(m, key, buyer.index, order.id, checkoutInput(source, method!.id, key), INLINE.de.snapshot);
    Object.assign(source, { lines: [], code: null, exact: true });
  }
}
