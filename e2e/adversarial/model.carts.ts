/**
 * The model's side of carts, discount codes, shipping and checkout (issue 17): what the test knows of
 * each cart (its lines exactly, or only loosely after a burst whose end it has not read back), the
 * codes the admin created, the shipping methods Query.shippingMethods answered, and the expected
 * parts of an order (discount, shipping, VAT) computed from them. Like model.ts it is loose where
 * concurrency or time leaves an answer open: a code's use by a pending order that may have expired
 * is "maybe" given back.
 */
import { COUNTRIES } from '@shop/config';
import { mayHaveExpired, variant, wasPaid, type IdForm, type Model } from './model';

/** orders' defaults: units of one product in a cart or order, products in a cart, largest total. */
export const MAX_LINE_QUANTITY = 100;
export const MAX_CART_LINES = 50;
export const MAX_ORDER_TOTAL = 10_000_000;

export interface CartLineM {
  productId: string;
  quantity: number;
}

export interface CartM {
  id: string;
  /** The customer's index; null for an anonymous cart. */
  owner: number | null;
  lines: CartLineM[];
  code: string | null;
  /** Lines and code known exactly; false after a burst until the cart is read back. */
  exact: boolean;
  /** Merged into a customer's cart (deleted): its id names nothing since. */
  gone: boolean;
  /** How traces name it: c1, c2, … */
  name: string;
}

export interface CodeM {
  code: string;
  kind: 'PERCENTAGE' | 'FIXED_AMOUNT';
  value: number;
  limit: number | null;
  perCustomer: number | null;
  minimum: number | null;
  /** Valid only from tomorrow on. */
  future: boolean;
  /** A checkout with it got no answer: its uses are not known exactly. */
  uncertain: boolean;
}

export interface MethodM {
  id: string;
  price: number;
  freeAbove: number | null;
  countries: string[];
}

export interface AddressM {
  id: string;
  country: string;
  deleted: boolean;
}

/** What names a checkout for its idempotency key: the cart, where, how, and the code as given. */
export interface CheckoutRequest {
  cartId: string;
  methodId: string;
  addressId?: string;
  /** An inline address as validated (its snapshot, as JSON). */
  address?: string;
  code?: string;
}

export interface CheckoutKeyM {
  key: string;
  user: number;
  orderId: string;
  request: CheckoutRequest;
  /** The input as sent (without the key), to send again. */
  input: Record<string, unknown>;
}

/**
 * Whether a checkout repeats the request a key was first used for (then it answers the first
 * order, whatever the cart holds by then), is another one (IdempotencyKeyReusedError), or is open
 * (the code spelled otherwise: "as given" may or may not compare normalised).
 */
export function sameRequest(first: CheckoutRequest, now: CheckoutRequest): 'same' | 'different' | 'open' {
  if (
    first.cartId !== now.cartId ||
    first.methodId !== now.methodId ||
    first.addressId !== now.addressId ||
    first.address !== now.address ||
    (first.code === undefined) !== (now.code === undefined)
  )
    return 'different';
  if (first.code === now.code) return 'same';
  return first.code!.trim().toUpperCase() === now.code!.trim().toUpperCase() ? 'open' : 'different';
}

/** A well-formed cart id (22 base64url characters) that names no cart. */
export const NO_CART = 'Zm9yZ2VkLWNhcnQtaWQtMQ';

/** The unit price of a product of the model or the catalogue's filler; undefined for any other id. */
export function priceOf(m: Model, productId: string): number | undefined {
  return m.products.find((p) => p.id === productId)?.price ?? m.filler.find((p) => p.id === productId)?.price;
}

export const subtotalOf = (m: Model, lines: readonly CartLineM[]) =>
  lines.reduce((sum, l) => sum + (priceOf(m, l.productId) ?? 0) * l.quantity, 0);

export const quantityIn = (lines: readonly CartLineM[], productId: string) =>
  lines.find((l) => l.productId === productId)?.quantity ?? 0;

/** The lines with one product's quantity set (0 removes it; a new product goes last). */
export function withLine(lines: readonly CartLineM[], productId: string, quantity: number): CartLineM[] {
  if (quantity === 0) return lines.filter((l) => l.productId !== productId);
  if (lines.some((l) => l.productId === productId))
    return lines.map((l) => (l.productId === productId ? { productId, quantity } : l));
  return [...lines, { productId, quantity }];
}

const key = (lines: readonly CartLineM[]) =>
  JSON.stringify([...lines].map((l) => [l.productId, l.quantity]).sort());
export const sameLines = (a: readonly CartLineM[], b: readonly CartLineM[]) => key(a) === key(b);

export const linesText = (m: Model, lines: readonly CartLineM[]) =>
  lines.length === 0
    ? 'empty'
    : lines
        .map((l) => {
          const i = m.products.findIndex((p) => p.id === l.productId);
          return `${l.quantity}×${i >= 0 ? `p${i + 1}` : l.productId.slice(-4)}`;
        })
        .join(' ');

/**
 * mergeCart's lines: the customer's lines with the anonymous cart's added, quantities of one product
 * summed up to MAX_LINE_QUANTITY, new products appended while there are fewer than MAX_CART_LINES.
 */
export function merged(target: readonly CartLineM[], source: readonly CartLineM[]): CartLineM[] {
  let lines = [...target];
  for (const l of source) {
    const mine = quantityIn(lines, l.productId);
    if (mine > 0) lines = withLine(lines, l.productId, Math.min(MAX_LINE_QUANTITY, mine + l.quantity));
    else if (lines.length < MAX_CART_LINES)
      lines = withLine(lines, l.productId, Math.min(MAX_LINE_QUANTITY, l.quantity));
  }
  return lines;
}

export type CartKind = 'mine' | 'anon' | 'other';

/** The cart a command aims at, as its actor sees it. */
export interface CartTarget {
  cart?: CartM;
  idSent: string;
  issued: boolean;
  /** The actor may use it now: issued, not merged away, anonymous or the actor's own. */
  usable: boolean;
}

export const cartOf = (m: Model, user: number) => m.carts.find((c) => c.owner === user && !c.gone);

/**
 * The cart a pick names for `actor` (a user's index, or null for an anonymous request): the
 * actor's own customer cart (or, while they have none, the newest anonymous one), an anonymous one
 * (merged ones too) or another customer's.
 */
export function pickCart(
  m: Model,
  actor: number | null,
  kind: CartKind,
  pick: number,
  form: IdForm,
): CartTarget {
  let cart: CartM | undefined;
  // A customer without a cart of their own yet works on the newest anonymous cart (one they filled
  // before signing in).
  if (kind === 'mine' && actor !== null)
    cart = cartOf(m, actor) ?? m.carts.filter((c) => c.owner === null && !c.gone).at(-1);
  else {
    const pool =
      kind === 'other'
        ? m.carts.filter((c) => c.owner !== null && c.owner !== actor)
        : m.carts.filter((c) => c.owner === null);
    // Mostly the newest live one, now and then any (merged away, emptied by a checkout).
    const live = pool.filter((c) => !c.gone);
    cart =
      pick < 8 && live.length > 0 ? live.at(-1) : pool.length === 0 ? undefined : pool[pick % pool.length];
  }
  if (!cart) return { idSent: variant(NO_CART, form), issued: false, usable: false };
  const idSent = variant(cart.id, form);
  const issued = idSent === cart.id;
  return {
    cart,
    idSent,
    issued,
    usable: issued && !cart.gone && (cart.owner === null || cart.owner === actor),
  };
}

export const describeCart = (t: CartTarget) =>
  t.cart
    ? `${t.cart.name}${t.cart.owner === null ? ' (anonymous)' : ` (u${t.cart.owner + 1}'s)`}${t.cart.gone ? ' merged' : ''}${t.issued ? '' : ` as ${JSON.stringify(t.idSent)}`}`
    : `no cart (${JSON.stringify(t.idSent)})`;

// ---- discount codes -------------------------------------------------------------------------

/** What a code takes off a subtotal: floor(subtotal × percent / 100), or the amount capped at it. */
export const discountOf = (code: CodeM, subtotal: number) =>
  code.kind === 'PERCENTAGE' ? Math.floor((subtotal * code.value) / 100) : Math.min(code.value, subtotal);

/** Orders using a code (of one user): sure ones hold their use; possible ones may have given it back. */
export function usesOf(m: Model, code: string, user?: number) {
  const orders = m.orders.filter((o) => o.code === code && (user === undefined || o.owner === user));
  const sure = orders.filter(
    (o) => wasPaid(o.status) || (o.status === 'PENDING_PAYMENT' && !mayHaveExpired(m, o)),
  ).length;
  return { sure, possible: orders.filter((o) => o.status !== 'CANCELLED').length };
}

/** The refusals a code gets now: those that surely apply, and those that may. */
export interface CodeRefusals {
  sure: string[];
  maybe: string[];
}

/**
 * Why `code` (the model's; undefined for a spelling no code has) would be refused for a subtotal
 * (undefined: not known) and a customer (null: none counts, as on an anonymous cart; `loose`: the
 * customer's uses may or may not count).
 */
export function codeRefusals(
  m: Model,
  code: CodeM | undefined,
  subtotal: number | undefined,
  customer: number | null,
  loose = false,
): CodeRefusals {
  const r: CodeRefusals = { sure: [], maybe: [] };
  if (!code) {
    r.sure.push('DiscountCodeNotFoundError');
    return r;
  }
  if (code.future) r.sure.push('DiscountCodeNotActiveError');
  if (code.minimum !== null) {
    if (subtotal === undefined) r.maybe.push('DiscountCodeMinimumNotMetError');
    else if (subtotal < code.minimum) r.sure.push('DiscountCodeMinimumNotMetError');
  }
  if (code.limit !== null) {
    const uses = usesOf(m, code.code);
    if (uses.sure >= code.limit) r.sure.push('DiscountCodeUsedUpError');
    else if (uses.possible >= code.limit || code.uncertain) r.maybe.push('DiscountCodeUsedUpError');
  }
  if (code.perCustomer !== null && customer !== null) {
    const uses = usesOf(m, code.code, customer);
    if (uses.sure >= code.perCustomer) (loose ? r.maybe : r.sure).push('DiscountCodeAlreadyUsedError');
    else if (uses.possible >= code.perCustomer || code.uncertain)
      r.maybe.push('DiscountCodeAlreadyUsedError');
  }
  return r;
}

/** The model's code a spelling names: case and surrounding spaces do not matter, inner ones do. */
export const codeNamed = (m: Model, spelled: string) =>
  m.codes.find((c) => c.code === spelled.trim().toUpperCase());

export const CODE_SPELLINGS = ['exact', 'lower', 'padded', 'mixed', 'inner', 'unknown', 'tooShort'] as const;
export type CodeSpelling = (typeof CODE_SPELLINGS)[number];

/** How a command writes a code: as created, in another case, padded, or not a code at all. */
export function spell(code: string, how: CodeSpelling): string {
  switch (how) {
    case 'exact':
      return code;
    case 'lower':
      return code.toLowerCase();
    case 'padded':
      return `  ${code.toLowerCase()}\t`;
    case 'mixed':
      return code.replace(/[A-Z]/g, (c, i: number) => (i % 2 ? c.toLowerCase() : c));
    case 'inner':
      return `${code.slice(0, 2)} ${code.slice(2)}`;
    case 'unknown':
      return `${code}X9`;
    case 'tooShort':
      return code.slice(0, 2);
  }
}

/** A code's shape as orders takes it: 3 to 32 letters, digits, - and _ once trimmed. */
export const codeShaped = (spelled: string) => /^[A-Za-z0-9_-]{3,32}$/.test(spelled.trim());

// ---- shipping and VAT -------------------------------------------------------------------------

/** What shipping costs after the discount: free from the method's threshold on. */
export const shippingOf = (method: MethodM, afterDiscount: number) =>
  method.freeAbove !== null && afterDiscount >= method.freeAbove ? 0 : method.price;

/** The VAT rate of a country in basis points (0 without an address). */
export const rateOf = (country: string | undefined) =>
  COUNTRIES.find((c) => c.code === country)?.vatRateBasisPoints ?? 0;

/** The VAT included in a gross amount: round(total × rate / (10000 + rate)), half up. */
export const vatOf = (total: number, rate: number) => Math.round((total * rate) / (10_000 + rate));
