/**
 * Carts, one request at a time: addToCart (anonymous and customer carts, the cart id omitted or in
 * every form, someone else's cart; quantities 0, −1, 1, 2, up to and past MAX_LINE_QUANTITY, 2³¹−1
 * and 2³¹), updateCartLine, removeCartLine, clearCart, Query.cart, mergeCart (anonymous carts, merged
 * ones again, one's own cart, someone else's). Each answer is judged against the model's cart and,
 * when the model knows the cart exactly, must hold exactly the lines it expects.
 */
import type { IdForm, Model } from '../model';
import {
  cartOf,
  describeCart,
  merged,
  pickCart,
  quantityIn,
  withLine,
  type CartKind,
  type CartM,
} from '../model.carts';
import type { CartA } from '../operations';
import { MAX_INT, show, type Result, type World } from '../world';
import { Step } from './base';
import {
  actorFor,
  addVerdict,
  cartAnswered,
  cartQuantity,
  lineRefusals,
  productSent,
  registerCart,
  seeCart,
  sendAdd,
  targetCart,
  type CartQuantity,
} from './carts.shared';
import { Verdict } from './verdict';

const who = (user: number, anon: boolean) => (anon ? 'anon' : `#${user}`);
const formText = (form: IdForm) => (form === 'canonical' ? '' : ` ${form}`);

export class AddToCart extends Step {
  constructor(
    readonly user: number,
    readonly anon: boolean,
    readonly target: 'omit' | CartKind,
    readonly cartPick: number,
    readonly cartForm: IdForm,
    readonly product: number,
    readonly productForm: IdForm,
    readonly quantity: CartQuantity,
  ) {
    super();
  }

  label() {
    const cart =
      this.target === 'omit' ? 'no id' : `${this.target} cart#${this.cartPick}${formText(this.cartForm)}`;
    return `addToCart(${who(this.user, this.anon)}, ${cart}, ${this.quantity}×p#${this.product}${formText(this.productForm)})`;
  }

  async act(m: Model, w: World) {
    const actor = actorFor(m, this.user, this.anon);
    const p = productSent(m, this.product, this.productForm);
    const omitted = this.target === 'omit';
    const t = omitted
      ? undefined
      : pickCart(m, actor.index, this.target as CartKind, this.cartPick, this.cartForm);
    const cart = t ? t.cart : actor.index === null ? undefined : cartOf(m, actor.index);
    const usable = t ? t.usable : true;
    const q = cartQuantity(this.quantity, quantityIn(cart?.lines ?? [], p.id), true);
    this.resolved = `${actor.name}, ${t ? describeCart(t) : 'no cart id'}, ${q}×${p.name}${p.issued ? '' : ` as ${show(p.sent)}`}`;
    const res = await sendAdd(w, actor, t ? t.idSent : null, p.sent, q);
    if (!res) return;
    addVerdict(m, usable ? cart : undefined, usable, p, q).judge(w, res.__typename, 'Cart', 'addToCart');
    if (res.__typename !== 'Cart') return;
    const a = res as unknown as CartA;
    const c = t ? t.cart : cartAnswered(m, w, actor, a);
    if (!c || !usable) return;
    const before = quantityIn(c.lines, p.id);
    seeCart(m, w, c, a, 'addToCart', { expected: c.exact ? withLine(c.lines, p.id, before + q) : undefined });
  }
}

/** updateCartLine: a line's new quantity (0 removes it), on any cart a pick names. */
export class UpdateCartLine extends Step {
  constructor(
    readonly user: number,
    readonly anon: boolean,
    readonly target: CartKind,
    readonly cartPick: number,
    readonly cartForm: IdForm,
    readonly product: number,
    readonly productForm: IdForm,
    readonly quantity: CartQuantity,
  ) {
    super();
  }

  label() {
    return `updateCartLine(${who(this.user, this.anon)}, ${this.target} cart#${this.cartPick}${formText(this.cartForm)}, p#${this.product}${formText(this.productForm)} to ${this.quantity})`;
  }

  async act(m: Model, w: World) {
    const actor = actorFor(m, this.user, this.anon);
    const p = productSent(m, this.product, this.productForm);
    const t = await targetCart(m, w, actor, this.target, this.cartPick, this.cartForm);
    const q = cartQuantity(this.quantity, 0, false);
    this.resolved = `${actor.name}, ${describeCart(t)}, ${p.name}${p.issued ? '' : ` as ${show(p.sent)}`} to ${q}`;
    const input = { cartId: t.idSent, productId: p.sent, quantity: q };
    if (q > MAX_INT) {
      await w.call('updateCartLine', { input }, actor.auth, { expectData: false });
      return;
    }
    const res = await w.mutate('updateCartLine', { input }, actor.auth);
    if (!res) return;
    const v = new Verdict();
    if (q < 0) v.refuse('InvalidInputError');
    if (q > 100) v.refuse('CartLineLimitError');
    if (!t.usable) v.refuse('CartNotFoundError');
    // Setting a variant id to 0 removes nothing: an answered cart, or the id named no product.
    if (!p.issued) v.refuse('UnknownProductError', q !== 0);
    if (t.usable && q >= 1) lineRefusals(m, v, t.cart, p.id, q);
    v.judge(w, res.__typename, 'Cart', 'updateCartLine');
    if (res.__typename !== 'Cart' || !t.cart || !t.usable) return;
    const c = t.cart;
    const expected = !c.exact ? undefined : p.issued ? withLine(c.lines, p.id, q) : c.lines;
    seeCart(m, w, c, res, 'updateCartLine', { expected });
  }
}

/** removeCartLine: a variant of the product's id removes nothing. */
export class RemoveCartLine extends Step {
  constructor(
    readonly user: number,
    readonly anon: boolean,
    readonly target: CartKind,
    readonly cartPick: number,
    readonly cartForm: IdForm,
    readonly product: number,
    readonly productForm: IdForm,
  ) {
    super();
  }

  label() {
    return `removeCartLine(${who(this.user, this.anon)}, ${this.target} cart#${this.cartPick}${formText(this.cartForm)}, p#${this.product}${formText(this.productForm)})`;
  }

  async act(m: Model, w: World) {
    const actor = actorFor(m, this.user, this.anon);
    const p = productSent(m, this.product, this.productForm);
    const t = await targetCart(m, w, actor, this.target, this.cartPick, this.cartForm);
    this.resolved = `${actor.name}, ${describeCart(t)}, ${p.name}${p.issued ? '' : ` as ${show(p.sent)}`}`;
    const res = await w.mutate(
      'removeCartLine',
      { input: { cartId: t.idSent, productId: p.sent } },
      actor.auth,
    );
    if (!res) return;
    const v = new Verdict();
    if (!t.usable) v.refuse('CartNotFoundError');
    if (!p.issued) v.refuse('UnknownProductError', false);
    v.judge(w, res.__typename, 'Cart', 'removeCartLine');
    if (res.__typename !== 'Cart' || !t.cart || !t.usable) return;
    const c = t.cart;
    const expected = !c.exact ? undefined : p.issued ? withLine(c.lines, p.id, 0) : c.lines;
    seeCart(m, w, c, res, 'removeCartLine', { expected });
  }
}

/** clearCart: every line and the code go. */
export class ClearCart extends Step {
  constructor(
    readonly user: number,
    readonly anon: boolean,
    readonly target: CartKind,
    readonly cartPick: number,
    readonly cartForm: IdForm,
  ) {
    super();
  }

  label() {
    return `clearCart(${who(this.user, this.anon)}, ${this.target} cart#${this.cartPick}${formText(this.cartForm)})`;
  }

  async act(m: Model, w: World) {
    const actor = actorFor(m, this.user, this.anon);
    const t = await targetCart(m, w, actor, this.target, this.cartPick, this.cartForm);
    this.resolved = `${actor.name}, ${describeCart(t)}`;
    const res = await w.mutate('clearCart', { id: t.idSent }, actor.auth);
    if (!res) return;
    new Verdict().refuseIf(!t.usable, 'CartNotFoundError').judge(w, res.__typename, 'Cart', 'clearCart');
    if (!t.usable && res.__typename === 'Cart') return;
    if (res.__typename === 'Cart' && t.cart)
      seeCart(m, w, t.cart, res, 'clearCart', { expected: [], code: null });
  }
}

/** Query.cart: by id (null unless the actor may use it) or the signed-in customer's own. */
export class ReadCart extends Step {
  constructor(
    readonly user: number,
    readonly anon: boolean,
    readonly target: 'omit' | CartKind,
    readonly cartPick: number,
    readonly cartForm: IdForm,
  ) {
    super();
  }

  label() {
    const cart =
      this.target === 'omit' ? 'no id' : `${this.target} cart#${this.cartPick}${formText(this.cartForm)}`;
    return `cart(${who(this.user, this.anon)}, ${cart})`;
  }

  async act(m: Model, w: World) {
    const actor = actorFor(m, this.user, this.anon);
    const t =
      this.target === 'omit'
        ? undefined
        : pickCart(m, actor.index, this.target, this.cartPick, this.cartForm);
    const own = actor.index === null ? undefined : cartOf(m, actor.index);
    this.resolved = `${actor.name}, ${t ? describeCart(t) : 'no id'}`;
    const data = await w.call('cart', t ? { id: t.idSent } : {}, actor.auth);
    if (!data) return;
    const a = data.cart as CartA | null;
    const cart = t ? (t.usable ? t.cart : undefined) : own;
    if (!cart) {
      w.expect(
        a === null,
        `cart(${t ? show(t.idSent) : ''}) as ${actor.name} answered ${show(a?.id)}, not null`,
      );
      return;
    }
    if (!a) {
      w.note(`${actor.name}'s read of ${cart.name} answered null`);
      return;
    }
    seeCart(m, w, cart, a, 'cart', {
      expected: cart.exact ? cart.lines : undefined,
      code: cart.exact ? cart.code : undefined,
    });
  }
}

/** mergeCart: an anonymous cart into the customer's; merged ones, own and other carts are not found. */
export class MergeCart extends Step {
  constructor(
    readonly user: number,
    readonly anon: boolean,
    readonly target: CartKind,
    readonly cartPick: number,
    readonly cartForm: IdForm,
  ) {
    super();
  }

  label() {
    return `mergeCart(${who(this.user, this.anon)}, ${this.target} cart#${this.cartPick}${formText(this.cartForm)})`;
  }

  async act(m: Model, w: World) {
    const actor = actorFor(m, this.user, this.anon);
    const t = await targetCart(m, w, actor, this.target, this.cartPick, this.cartForm);
    this.resolved = `${actor.name}, ${describeCart(t)}`;
    if (actor.index === null) {
      await w.call('mergeCart', { id: t.idSent }, actor.auth, { refusal: 'UNAUTHENTICATED' });
      return;
    }
    const res = await w.mutate('mergeCart', { id: t.idSent }, actor.auth);
    if (!res) return;
    const source = t.usable && t.cart?.owner === null ? t.cart : undefined;
    new Verdict().refuseIf(!source, 'CartNotFoundError').judge(w, res.__typename, 'Cart', 'mergeCart');
    if (res.__typename === 'Cart' && source) mergedInto(m, w, actor.index, source, res, 'mergeCart');
  }
}

/** Judges the customer's cart a merge answered and records the merge. */
export function mergedInto(m: Model, w: World, user: number, source: CartM, res: Result, what: string) {
  const a = res as unknown as CartA;
  const own = cartOf(m, user);
  if (own && own.id !== a.id) w.note(`${what} answered ${show(a.id)}, not u${user + 1}'s cart ${own.name}`);
  const target = own ?? registerCart(m, a, user);
  const known = target.exact && source.exact;
  seeCart(m, w, target, a, what, {
    expected: known ? merged(target.lines, source.lines) : undefined,
    code: known ? (target.code ?? source.code) : undefined,
  });
  source.gone = true;
}
