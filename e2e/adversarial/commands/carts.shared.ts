/**
 * What every cart step shares: who acts (a customer or an anonymous request), the quantities it
 * sends, the verdicts of addToCart and updateCartLine against the model's cart, and `seeCart`, which
 * checks a Cart answer (issued ids, bounds, the subtotal at the model's prices, the owner, the lines
 * the model expects, what the code takes off) and adopts it as what the model knows.
 */
import { isProductId } from '@shop/messaging';
import { userOf } from './base';
import { Verdict } from './verdict';
import {
  cartOf,
  pickCart,
  codeNamed,
  codeRefusals,
  discountOf,
  linesText,
  MAX_CART_LINES,
  MAX_LINE_QUANTITY,
  MAX_ORDER_TOTAL,
  priceOf,
  quantityIn,
  sameLines,
  subtotalOf,
  withLine,
  type CartKind,
  type CartLineM,
  type CartM,
} from '../model.carts';
import { isIssued, variant, type IdForm, type Model } from '../model';
import type { CartA } from '../operations';
import { MAX_INT, show, type Auth, type Result, type World } from '../world';

export interface Actor {
  /** The user's index; null for an anonymous request. */
  index: number | null;
  auth: Auth;
  name: string;
}

export const actorFor = (m: Model, who: number, anonymous: boolean): Actor => {
  if (anonymous) return { index: null, auth: {}, name: 'anonymous' };
  const { index, user, name } = userOf(m, who);
  return { index, auth: user.auth, name };
};

export const CART_QUANTITIES = [
  'zero',
  'minusOne',
  'one',
  'two',
  'fill',
  'fillPlusOne',
  'max',
  'maxPlusOne',
  'maxInt',
  'overInt',
] as const;
export type CartQuantity = (typeof CART_QUANTITIES)[number];

/** The number a kind stands for; `fill` reaches MAX_LINE_QUANTITY from what the line holds (adds). */
export function cartQuantity(kind: CartQuantity, before: number, adding: boolean): number {
  const fill = adding ? MAX_LINE_QUANTITY - before : MAX_LINE_QUANTITY;
  const values: Record<CartQuantity, number> = {
    zero: 0,
    minusOne: -1,
    one: 1,
    two: 2,
    fill,
    fillPlusOne: fill + 1,
    max: MAX_LINE_QUANTITY,
    maxPlusOne: MAX_LINE_QUANTITY + 1,
    maxInt: MAX_INT,
    overInt: MAX_INT + 1,
  };
  return values[kind];
}

/** A product of the model as a cart step writes it. */
export function productSent(m: Model, pick: number, form: IdForm) {
  const index = pick % m.products.length;
  const id = m.products[index]!.id;
  const sent = variant(id, form);
  return { index, id, sent, issued: isIssued(id, sent), name: `p${index + 1}` };
}

/**
 * The refusals a line of `quantity` units of a product gets in `cart` (undefined: a new cart), beyond
 * the shape of the request: MAX_LINE_QUANTITY, MAX_CART_LINES, the total at the added prices.
 */
export function lineRefusals(
  m: Model,
  v: Verdict,
  cart: CartM | undefined,
  productId: string,
  quantity: number,
) {
  const lines = cart?.lines ?? [];
  const certain = cart?.exact ?? true;
  if (!certain) v.refuse('CartLineLimitError', false).refuse('InvalidInputError', false);
  if (quantity > MAX_LINE_QUANTITY) v.refuse('CartLineLimitError', certain);
  if (quantityIn(lines, productId) === 0 && lines.length >= MAX_CART_LINES)
    v.refuse('CartLineLimitError', certain);
  // The SDL promises no bound on a cart's total: orders refuses past MAX_ORDER_TOTAL, it may or may not.
  if (subtotalOf(m, withLine(lines, productId, quantity)) > MAX_ORDER_TOTAL)
    v.refuse('InvalidInputError', false);
}

/** A cart the gateway answered for the first time. */
export function registerCart(m: Model, a: CartA, owner: number | null): CartM {
  const cart: CartM = {
    id: a.id,
    owner,
    lines: [],
    code: null,
    exact: true,
    gone: false,
    name: `c${m.carts.length + 1}`,
  };
  m.carts.push(cart);
  return cart;
}

export const linesOf = (a: CartA): CartLineM[] =>
  a.lines.map((l) => ({ productId: l.product.id, quantity: l.quantity }));

export interface Seen {
  /** The lines the model expects (omitted: not known). */
  expected?: readonly CartLineM[];
  /** The code the model expects on the cart (undefined: not known). */
  code?: string | null;
  /** Take the answer as what the model knows (false inside a burst). */
  adopt?: boolean;
}

/** Checks one Cart answer and, unless told otherwise, adopts it. */
export function seeCart(m: Model, w: World, cart: CartM, res: Result | CartA, what: string, seen: Seen = {}) {
  const a = res as CartA;
  const lines = linesOf(a);
  const where = `${what}: ${cart.name}`;
  w.expect(a.id === cart.id, `${where} answered the cart ${show(a.id)}`);
  for (const l of lines) {
    if (!isProductId(l.productId)) w.note(`${where} holds product ${show(l.productId)}`);
    if (l.quantity < 1 || l.quantity > MAX_LINE_QUANTITY)
      w.note(`${where} holds ${l.quantity} units of a product`);
    if (priceOf(m, l.productId) === undefined)
      w.note(`${where} holds ${show(l.productId)}, which nobody added`);
  }
  if (lines.length > MAX_CART_LINES) w.note(`${where} has ${lines.length} lines (at most ${MAX_CART_LINES})`);
  if (new Set(lines.map((l) => l.productId)).size !== lines.length) w.note(`${where} has a product twice`);
  const units = lines.reduce((s, l) => s + l.quantity, 0);
  w.expect(a.quantity === units, `${where} says ${a.quantity} units, its lines hold ${units}`);
  const subtotal = subtotalOf(m, lines);
  w.expect(
    a.subtotal.amount === subtotal,
    `${where} subtotal ${a.subtotal.amount}, its lines come to ${subtotal}`,
  );
  const customer = cart.owner === null ? null : m.users[cart.owner]!.id;
  w.expect(
    (a.customer?.id ?? null) === customer,
    `${where} belongs to ${show(a.customer)}, not ${show(customer)}`,
  );
  if (seen.expected && !sameLines(seen.expected, lines))
    w.note(`${where} holds ${linesText(m, lines)}, expected ${linesText(m, seen.expected)}`);
  if (seen.code !== undefined && a.discountCode !== seen.code)
    w.note(`${where} has the code ${show(a.discountCode)}, expected ${show(seen.code)}`);
  // Cart.discount: what the code would take off now; 0 when it surely does not apply.
  const code = a.discountCode === null ? undefined : codeNamed(m, a.discountCode);
  if (a.discountCode === null)
    w.expect(a.discount.amount === 0, `${where} takes ${a.discount.amount} off without a code`);
  else if (code && (cart.owner !== null || code.perCustomer === null)) {
    const r = codeRefusals(m, code, subtotal, cart.owner);
    if (r.sure.length > 0)
      w.expect(
        a.discount.amount === 0,
        `${where}: ${code.code} (${r.sure.join(', ')}) takes ${a.discount.amount} off`,
      );
    else if (r.maybe.length === 0)
      w.expect(
        a.discount.amount === discountOf(code, subtotal),
        `${where}: ${code.code} takes ${a.discount.amount} off ${subtotal}, expected ${discountOf(code, subtotal)}`,
      );
  }
  if (seen.adopt === false) return;
  cart.lines = lines;
  cart.code = a.discountCode;
  cart.exact = true;
}

/** addToCart's verdict: the request's shape, the cart (unless omitted) and the line's bounds. */
export function addVerdict(
  m: Model,
  cart: CartM | undefined,
  usable: boolean,
  product: { id: string; issued: boolean },
  quantity: number,
): Verdict {
  const v = new Verdict();
  if (quantity < 1) v.refuse('InvalidInputError');
  if (quantity > MAX_LINE_QUANTITY) v.refuse('CartLineLimitError');
  if (!product.issued) v.refuse('UnknownProductError');
  if (!usable) v.refuse('CartNotFoundError');
  else if (quantity >= 1)
    lineRefusals(m, v, cart, product.id, quantityIn(cart?.lines ?? [], product.id) + quantity);
  return v;
}

/** Sends addToCart (cartId omitted when null) as the actor; null when there was no answer. */
export async function sendAdd(
  w: World,
  actor: Actor,
  cartId: string | null,
  productId: string,
  quantity: number,
): Promise<Result | null> {
  const input = { ...(cartId === null ? {} : { cartId }), productId, quantity };
  if (quantity > MAX_INT) {
    await w.call('addToCart', { input }, actor.auth, { expectData: false });
    return null;
  }
  return w.mutate('addToCart', { input }, actor.auth);
}

/**
 * The cart an answer of addToCart without a cart id names: the customer's one cart (the same id
 * every time: at most one per customer) or a new anonymous one.
 */
export function cartAnswered(m: Model, w: World, actor: Actor, a: CartA): CartM {
  const known = m.carts.find((c) => c.id === a.id);
  if (actor.index === null) {
    if (known) w.note(`a new anonymous cart has the id of ${known.name}`);
    return known ?? registerCart(m, a, null);
  }
  const own = cartOf(m, actor.index);
  if (own && own.id !== a.id) w.note(`${actor.name} has a second cart ${show(a.id)} besides ${own.name}`);
  if (known && known !== own) w.note(`${actor.name}'s cart is ${known.name}, which is not theirs`);
  return own ?? known ?? registerCart(m, a, actor.index);
}

/** Reads a cart back with Query.cart as its owner would (adopts it); false when it did not answer. */
export async function readCart(m: Model, w: World, cart: CartM, auth: Auth, what: string, seen: Seen = {}) {
  const data = await w.call('cart', { id: cart.id }, auth);
  if (!data) return false;
  const a = data.cart as CartA | null;
  if (!a) {
    w.note(`${what}: ${cart.name} reads as no cart`);
    return false;
  }
  seeCart(m, w, cart, a, what, seen);
  return true;
}

/** The auth of whoever may use a cart: its customer, or anybody (anonymous) for an anonymous one. */
export const ownerAuth = (m: Model, cart: CartM): Auth =>
  cart.owner === null ? {} : m.users[cart.owner]!.auth;

/** The actor's cart (their own, or the newest anonymous one), made with one unit when there is none. */
export async function ensureCart(
  m: Model,
  w: World,
  actor: Actor,
  product: number,
): Promise<CartM | undefined> {
  const existing =
    actor.index === null ? m.carts.filter((c) => c.owner === null && !c.gone).at(-1) : cartOf(m, actor.index);
  if (existing) return existing;
  const p = productSent(m, product, 'canonical');
  const res = await sendAdd(w, actor, null, p.id, 1);
  addVerdict(m, undefined, true, p, 1).judge(w, res?.__typename, 'Cart', 'addToCart (a first line)');
  if (res?.__typename !== 'Cart') return undefined;
  const cart = cartAnswered(m, w, actor, res as unknown as CartA);
  seeCart(m, w, cart, res, 'addToCart (a first line)', { expected: [{ productId: p.id, quantity: 1 }] });
  return cart;
}

/** A fresh anonymous cart holding `quantity` units of a product. */
export async function freshAnonymousCart(m: Model, w: World, product: number, quantity: number) {
  const anon = actorFor(m, 0, true);
  const p = productSent(m, product, 'canonical');
  const res = await sendAdd(w, anon, null, p.id, quantity);
  addVerdict(m, undefined, true, p, quantity).judge(
    w,
    res?.__typename,
    'Cart',
    'addToCart (a new anonymous cart)',
  );
  if (res?.__typename !== 'Cart') return undefined;
  const cart = cartAnswered(m, w, anon, res as unknown as CartA);
  seeCart(m, w, cart, res, 'addToCart (a new anonymous cart)', { expected: [{ productId: p.id, quantity }] });
  return cart;
}

/**
 * The cart a pick names for the actor, as pickCart; when it names the actor's own cart or an
 * anonymous one and there is none yet, one is made first with a unit of a product.
 */
export async function targetCart(
  m: Model,
  w: World,
  actor: Actor,
  kind: CartKind,
  pick: number,
  form: IdForm,
) {
  const t = pickCart(m, actor.index, kind, pick, form);
  if (t.cart || kind === 'other') return t;
  if (kind === 'mine' && actor.index !== null) await ensureCart(m, w, actor, pick);
  else await freshAnonymousCart(m, w, pick, 1);
  return pickCart(m, actor.index, kind, pick, form);
}
