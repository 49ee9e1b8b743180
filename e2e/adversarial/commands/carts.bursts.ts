/**
 * Carts under concurrency: the same add n times at once (none may be lost, each answer its own
 * state), first adds of a customer without a cart at once (one cart), conflicting edits of one line
 * at once (the cart ends as one of the answers), two sessions of one customer editing two lines
 * (both land), merges of one anonymous cart at once by its customer or by two customers (one
 * merge), and distinct products added at once past MAX_CART_LINES (exactly the limit is kept).
 */
import { variant, type Model } from '../model';
import {
  cartOf,
  linesText,
  MAX_CART_LINES,
  MAX_LINE_QUANTITY,
  MAX_ORDER_TOTAL,
  quantityIn,
  sameLines,
  subtotalOf,
  withLine,
  type CartLineM,
  type CartM,
} from '../model.carts';
import type { CartA } from '../operations';
import { show, type Result, type World } from '../world';
import { Step, userOf } from './base';
import { mergedInto } from './carts';
import {
  actorFor,
  ensureCart,
  freshAnonymousCart,
  addVerdict,
  cartAnswered,
  lineRefusals,
  linesOf,
  productSent,
  readCart,
  seeCart,
  sendAdd,
  type Actor,
} from './carts.shared';
import { Verdict } from './verdict';

const UNAVAILABLE = 'ProductsUnavailableError';

const cartsOf = (results: (Result | null)[]) =>
  results.filter((r): r is Result => r?.__typename === 'Cart').map((r) => r as unknown as CartA);

export type CartBurstMode = 'sameAdd' | 'firstAdds' | 'conflicting' | 'twoSessions';

export class CartBurst extends Step {
  constructor(
    readonly user: number,
    readonly anon: boolean,
    readonly product: number,
    readonly n: number,
    readonly mode: CartBurstMode,
  ) {
    super();
  }

  label() {
    return `cartBurst(${this.anon ? 'anon' : `#${this.user}`}, p#${this.product}, ${this.n} at once, ${this.mode})`;
  }

  async act(m: Model, w: World) {
    const actor = actorFor(m, this.user, this.anon);
    const p = productSent(m, this.product, 'canonical');
    const customer = actor.index !== null;
    const mode =
      !customer && (this.mode === 'firstAdds' || this.mode === 'twoSessions') ? 'sameAdd' : this.mode;
    const cart = mode === 'firstAdds' ? cartOf(m, actor.index!) : await ensureCart(m, w, actor, this.product);
    this.resolved = `${actor.name}, ${cart?.name ?? 'no cart yet'}, ${p.name}`;
    if (mode !== 'firstAdds' && !cart) return;
    if (mode === 'conflicting') return this.conflicting(m, w, actor, cart!, p.id);
    if (mode === 'twoSessions') return this.twoSessions(m, w, actor, cart!, p.id);

    // sameAdd / firstAdds: n adds of one unit at once.
    const lines = cart?.lines ?? [];
    const exact = cart?.exact ?? true;
    const before = quantityIn(lines, p.id);
    const results = await Promise.all(
      Array.from({ length: this.n }, () =>
        sendAdd(w, actor, mode === 'firstAdds' ? null : cart!.id, p.id, 1),
      ),
    );
    const fits =
      exact &&
      before + this.n <= MAX_LINE_QUANTITY &&
      subtotalOf(m, withLine(lines, p.id, before + this.n)) <= MAX_ORDER_TOTAL;
    for (const r of results) {
      const v = addVerdict(m, cart, true, p, 1);
      if (!fits) v.refuse('CartLineLimitError', false).refuse('InvalidInputError', false);
      v.judge(w, r?.__typename, 'Cart', `addToCart ×${this.n} at once`);
    }
    const answered = cartsOf(results);
    if (answered.length === 0) return;
    const ids = new Set(answered.map((a) => a.id));
    w.expect(ids.size === 1, `${this.n} adds at once answered ${ids.size} carts: ${show([...ids])}`);
    const target = cart ?? cartAnswered(m, w, actor, answered[0]!);
    for (const a of answered) seeCart(m, w, target, a, `addToCart ×${this.n} at once`, { adopt: false });
    const quantities = answered.map((a) => quantityIn(linesOf(a), p.id));
    w.expect(
      new Set(quantities).size === quantities.length,
      `${this.n} adds at once answered the quantities ${show(quantities)} (one was lost)`,
    );
    if (exact)
      w.expect(
        quantities.every((q) => q > before && q <= before + this.n),
        `adds at once to ${before} answered ${show(quantities)}`,
      );
    const unavailable = results.filter((r) => r?.__typename === UNAVAILABLE).length;
    if (fits)
      w.expect(
        answered.length + unavailable === this.n,
        `${answered.length} of ${this.n} adds at once within bounds landed`,
      );
    await readCart(m, w, target, actor.auth, `cart after ${this.n} adds at once`, {
      expected: exact ? withLine(lines, p.id, before + answered.length) : undefined,
    });
  }

  /** Two updates, a remove and an add of one line at once: the cart ends as one of the answers. */
  private async conflicting(m: Model, w: World, actor: Actor, cart: CartM, productId: string) {
    const input = { cartId: cart.id, productId };
    const edits: (() => Promise<Result | null>)[] = [
      () => w.mutate('updateCartLine', { input: { ...input, quantity: 2 } }, actor.auth),
      () => w.mutate('removeCartLine', { input }, actor.auth),
      () => w.mutate('updateCartLine', { input: { ...input, quantity: 5 } }, actor.auth),
      () => sendAdd(w, actor, cart.id, productId, 1),
    ];
    const others = cart.lines.filter((l) => l.productId !== productId);
    const results = await Promise.all(edits.slice(0, Math.max(2, Math.min(this.n, 4))).map((edit) => edit()));
    for (const r of results) {
      const v = new Verdict();
      lineRefusals(m, v, { ...cart, exact: false }, productId, 1);
      v.judge(w, r?.__typename, 'Cart', 'conflicting edits of one line at once');
    }
    const answered = cartsOf(results);
    for (const a of answered) {
      seeCart(m, w, cart, a, 'conflicting edits', { adopt: false });
      if (
        cart.exact &&
        !sameLines(
          linesOf(a).filter((l) => l.productId !== productId),
          others,
        )
      )
        w.note(
          `an edit of one line changed others: ${linesText(m, linesOf(a))}, before ${linesText(m, cart.lines)}`,
        );
    }
    const data = await w.call('cart', { id: cart.id }, actor.auth);
    const final = data?.cart as CartA | null | undefined;
    if (!final) return w.expect(data === null, `${cart.name} reads as no cart after edits`);
    if (answered.length > 0)
      w.expect(
        answered.some((a) => sameLines(linesOf(a), linesOf(final))),
        `after conflicting edits ${cart.name} holds ${linesText(m, linesOf(final))}, which no edit answered (${answered.map((a) => linesText(m, linesOf(a))).join('; ')})`,
      );
    seeCart(m, w, cart, final, 'cart after conflicting edits');
  }

  /** Two sessions of one customer edit two lines of the cart at once: both land. */
  private async twoSessions(m: Model, w: World, actor: Actor, cart: CartM, a: string) {
    const b = m.products[(m.products.findIndex((p) => p.id === a) + 1) % m.products.length]!.id;
    const second = m.users[actor.index!]!.auth2;
    const before = cart.lines;
    const exact = cart.exact;
    const [added, set] = await Promise.all([
      sendAdd(w, actor, cart.id, a, 1),
      w.mutate('updateCartLine', { input: { cartId: cart.id, productId: b, quantity: 3 } }, second),
    ]);
    const v1 = new Verdict();
    lineRefusals(m, v1, cart, a, quantityIn(before, a) + 1);
    v1.judge(w, added?.__typename, 'Cart', 'addToCart (session 1)');
    const v2 = new Verdict();
    lineRefusals(m, v2, cart, b, 3);
    // Session 1's new line may take the last place first.
    if (withLine(before, a, quantityIn(before, a) + 1).length >= MAX_CART_LINES)
      v2.refuse('CartLineLimitError', false);
    v2.judge(w, set?.__typename, 'Cart', 'updateCartLine (session 2)');
    let expected: CartLineM[] | undefined = exact ? before : undefined;
    if (expected && added?.__typename === 'Cart')
      expected = withLine(expected, a, quantityIn(expected, a) + 1);
    if (expected && set?.__typename === 'Cart') expected = withLine(expected, b, 3);
    for (const r of [added, set])
      if (r?.__typename === 'Cart') seeCart(m, w, cart, r, 'two sessions', { adopt: false });
    await readCart(m, w, cart, actor.auth, 'cart after two sessions edited it', { expected });
  }
}

/** One anonymous cart merged n times at once by its customer, or by two customers at once. */
export class MergeBurst extends Step {
  constructor(
    readonly user: number,
    readonly product: number,
    readonly n: number,
    readonly rivals: boolean,
  ) {
    super();
  }

  label() {
    return `mergeBurst(#${this.user}, p#${this.product}, ${this.rivals ? 'two customers' : `${this.n} at once`})`;
  }

  async act(m: Model, w: World) {
    const first = userOf(m, this.user);
    const second = userOf(m, this.user + 1);
    const source = await freshAnonymousCart(m, w, this.product, 2);
    if (!source) return;
    const who = this.rivals ? [first, second] : Array<typeof first>(this.n).fill(first);
    this.resolved = `${source.name} by ${who.map((u) => u.name).join(', ')}`;
    const results = await Promise.all(who.map((u) => w.mutate('mergeCart', { id: source.id }, u.user.auth)));
    for (const r of results)
      new Verdict().refuse('CartNotFoundError', false).judge(w, r?.__typename, 'Cart', 'mergeCart at once');
    const won = results.map((r, i) => ({ r, i })).filter(({ r }) => r?.__typename === 'Cart');
    const unavailable = results.some((r) => r?.__typename === UNAVAILABLE || r === null);
    w.expect(won.length <= 1, `one anonymous cart was merged ${won.length} times at once`);
    if (!unavailable)
      w.expect(won.length === 1, `${who.length} merges of one cart at once: ${won.length} merged`);
    const winner = won[0];
    if (winner) mergedInto(m, w, who[winner.i]!.index, source, winner.r!, 'mergeCart at once');
    else source.exact = false;
    // The loser's cart is as it was.
    const loser = this.rivals ? who.find((_, i) => i !== winner?.i) : undefined;
    const theirs = loser ? cartOf(m, loser.index) : undefined;
    if (theirs)
      await readCart(m, w, theirs, loser!.user.auth, `${loser!.name}'s cart after a rival merge`, {
        expected: theirs.exact ? theirs.lines : undefined,
      });
    const read = await w.call('cart', { id: variant(source.id, 'canonical') }, {});
    if (read) w.expect(read.cart === null, `${source.name} still reads after it was merged`);
  }
}

/**
 * Once per sequence: an anonymous cart with one line gets MAX_CART_LINES distinct products added at
 * once; exactly MAX_CART_LINES − 1 of them land. Then a customer may merge it into their cart.
 */
export class FillCart extends Step {
  constructor(
    readonly user: number,
    readonly merge: boolean,
  ) {
    super();
  }

  override check(m: Readonly<Model>) {
    return !m.filled;
  }

  label() {
    return `fillCart(${MAX_CART_LINES} distinct products at once${this.merge ? `, merged by #${this.user}` : ''})`;
  }

  async act(m: Model, w: World) {
    m.filled = true;
    const cart = await freshAnonymousCart(m, w, 0, 1);
    const filler = m.filler.slice(0, MAX_CART_LINES);
    this.resolved = `${cart?.name ?? 'no cart'}, ${filler.length} products`;
    if (!cart || filler.length < MAX_CART_LINES) return;
    const anon = actorFor(m, 0, true);
    const results = await Promise.all(filler.map((p) => sendAdd(w, anon, cart.id, p.id, 1)));
    for (const r of results)
      new Verdict()
        .refuse('CartLineLimitError', false)
        .judge(w, r?.__typename, 'Cart', 'addToCart (filling a cart)');
    const landed = cartsOf(results).length;
    const unavailable = results.filter((r) => r?.__typename === UNAVAILABLE || r === null).length;
    w.expect(
      landed <= MAX_CART_LINES - 1,
      `${landed} products joined a cart of one line (at most ${MAX_CART_LINES - 1})`,
    );
    if (unavailable === 0)
      w.expect(
        landed === MAX_CART_LINES - 1,
        `${landed} of ${filler.length} distinct products landed in a cart of one line`,
      );
    const data = await w.call('cart', { id: cart.id }, {});
    const a = data?.cart as CartA | null | undefined;
    if (!a) return;
    seeCart(m, w, cart, a, 'the filled cart');
    w.expect(a.lines.length <= MAX_CART_LINES, `the filled cart has ${a.lines.length} lines`);
    if (!this.merge) return;
    const { index, user, name } = userOf(m, this.user);
    const res = await w.mutate('mergeCart', { id: cart.id }, user.auth);
    new Verdict().judge(w, res?.__typename, 'Cart', `mergeCart of the filled cart by ${name}`);
    if (res?.__typename === 'Cart') mergedInto(m, w, index, cart, res, 'mergeCart of the filled cart');
  }
}
