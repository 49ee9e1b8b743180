/**
 * What checkout steps share: the addresses they send (valid ones in each country's form with the
 * snapshot orders must keep, hostile ones with the field that must be refused, address-book ids of
 * one's own, someone else's, upper-cased, deleted), the shipping method they pick for a country, the
 * verdict of one checkout against the model, and `seeOrder`, which checks every part of the order
 * answered (items, subtotal, discount, shipping, total, VAT, address, method, history) and records it.
 */
import { isProductId } from '@shop/messaging';
import { pendingOf, surelyAvailable, mayHaveExpired, type Model, type OrderM, type Status } from '../model';
import {
  codeRefusals,
  discountOf,
  MAX_ORDER_TOTAL,
  priceOf,
  rateOf,
  sameLines,
  shippingOf,
  subtotalOf,
  vatOf,
  linesText,
  type CartLineM,
  type CartM,
  type CheckoutRequest,
  type CodeM,
  type MethodM,
} from '../model.carts';
import type { OrderA } from '../operations';
import { show, type World } from '../world';
import { MAX_UNPAID_ORDERS } from './orders';
import type { Verdict } from './verdict';

type AddressInput = Record<string, string>;
interface Inline {
  input: AddressInput;
  /** What the order keeps; absent for an address that must be refused. */
  snapshot?: Record<string, string | null>;
  /** The refused field. */
  field?: string;
}

const ADA = {
  name: 'Ada Lovelace',
  line1: 'Invalidenstraße 117',
  postalCode: '10115',
  city: 'Berlin',
  country: 'DE',
};
const US = {
  name: 'John Doe',
  line1: '350 Fifth Avenue',
  postalCode: '10118',
  city: 'New York',
  country: 'US',
};
const snap = (a: Partial<Record<string, string | null>>) => ({
  company: null,
  line2: null,
  region: null,
  phone: null,
  ...ADA,
  ...a,
});

export const INLINE = {
  de: { input: { ...ADA, phone: '+49 30 1234567' }, snapshot: snap({ phone: '+49301234567' }) },
  nl: {
    input: {
      name: 'Jan de Vries',
      line1: 'Damrak 1',
      postalCode: '1012lg',
      city: 'Amsterdam',
      country: 'NL',
    },
    snapshot: snap({
      name: 'Jan de Vries',
      line1: 'Damrak 1',
      postalCode: '1012 LG',
      city: 'Amsterdam',
      country: 'NL',
    }),
  },
  gb: {
    input: {
      name: 'Mary Smith',
      line1: '10 Downing Street',
      postalCode: 'sw1a2aa',
      city: 'London',
      country: 'GB',
    },
    snapshot: snap({
      name: 'Mary Smith',
      line1: '10 Downing Street',
      postalCode: 'SW1A 2AA',
      city: 'London',
      country: 'GB',
    }),
  },
  us: {
    input: { ...US, region: 'ny' },
    snapshot: snap({ ...US, region: 'NY' }),
  },
  padded: {
    input: {
      name: '  Ada Lovelace ',
      line1: ' Invalidenstraße 117',
      postalCode: ' 10115 ',
      city: 'Berlin  ',
      country: 'DE',
    },
    snapshot: snap({}),
  },
  badPostal: { input: { ...ADA, postalCode: '1011' }, field: 'postalCode' },
  control: { input: { ...ADA, name: 'Ada\u0007Lovelace' }, field: 'name' },
  newline: { input: { ...ADA, line1: 'Invalidenstraße 117\nBcc: x@example.com' }, field: 'line1' },
  bidi: { input: { ...ADA, city: 'Berlin\u202Enilreb' }, field: 'city' },
  lowerCountry: { input: { ...ADA, country: 'de' }, field: 'country' },
  unknownCountry: { input: { ...ADA, country: 'CH', postalCode: '8001' }, field: 'country' },
  usNoRegion: { input: { ...US, region: '' }, field: 'region' },
  long: { input: { ...ADA, name: 'A'.repeat(101) }, field: 'name' },
  badPhone: { input: { ...ADA, phone: '12345' }, field: 'phone' },
} satisfies Record<string, Inline>;

export const ADDRESS_KINDS = [
  ...(Object.keys(INLINE) as (keyof typeof INLINE)[]),
  'book',
  'otherBook',
  'bookUpper',
  'deletedBook',
  'both',
  'neither',
] as const;
export type AddressKind = (typeof ADDRESS_KINDS)[number];

export const isInline = (kind: AddressKind): kind is keyof typeof INLINE => kind in INLINE;

export const METHOD_KINDS = ['cheapest', 'dearest', 'elsewhere', 'unknown', 'upper'] as const;
export type MethodKind = (typeof METHOD_KINDS)[number];

/** The method id a kind names for a country, and the model's method when it delivers there. */
export function methodFor(m: Model, kind: MethodKind, country: string): { id: string; method?: MethodM } {
  const here = m.methods.filter((x) => x.countries.includes(country)).sort((a, b) => a.price - b.price);
  const cheapest = here[0] ?? m.methods[0]!;
  switch (kind) {
    case 'cheapest':
      return { id: cheapest.id, method: here[0] };
    case 'dearest':
      return { id: (here.at(-1) ?? cheapest).id, method: here.at(-1) };
    case 'elsewhere': {
      const other = m.methods.find((x) => !x.countries.includes(country));
      return other ? { id: other.id } : { id: 'teleport' };
    }
    case 'unknown':
      return { id: 'teleport' };
    case 'upper':
      return { id: cheapest.id.toUpperCase() };
  }
}

/** The customer's unpaid orders that cannot have ended yet (paid orders may still read unpaid: more). */
const surelyUnpaid = (m: Model, user: number) =>
  m.orders.filter((o) => o.owner === user && o.status === 'PENDING_PAYMENT' && !mayHaveExpired(m, o)).length;

export interface Plan {
  user: number;
  cart: CartM;
  /** The lines the order must have (the cart's when the model knows them). */
  lines?: CartLineM[];
  code: CodeM | null | undefined;
  method?: MethodM;
  country: string;
  snapshot?: Record<string, string | null>;
}

/**
 * The refusals of a checkout of a cart the actor may use, beyond the request's shape: an empty cart,
 * the code, the total, stock, the cap of unpaid orders. `contended`: other checkouts run at once.
 */
export function cartRefusals(m: Model, v: Verdict, p: Plan, contended = false) {
  const { cart } = p;
  if (!cart.exact) v.refuse('EmptyCartError', false);
  else if (cart.lines.length === 0) v.refuse('EmptyCartError');
  const subtotal = cart.exact ? subtotalOf(m, cart.lines) : undefined;
  if (p.code === undefined) v.refuse('DiscountCodeNotFoundError');
  else if (p.code) {
    const r = codeRefusals(m, p.code, subtotal, p.user);
    v.refuseAll(contended ? { sure: [], maybe: [...r.sure, ...r.maybe, 'DiscountCodeUsedUpError'] } : r);
  }
  if (subtotal === undefined) v.refuse('OrderTotalLimitError', false).refuse('InsufficientStockError', false);
  else if (p.method) {
    const disc = p.code ? discountOf(p.code, subtotal) : 0;
    const totalOf = (d: number) => subtotal - d + shippingOf(p.method!, subtotal - d);
    if (totalOf(disc) > MAX_ORDER_TOTAL && totalOf(0) > MAX_ORDER_TOTAL) v.refuse('OrderTotalLimitError');
    else if (totalOf(disc) > MAX_ORDER_TOTAL || totalOf(0) > MAX_ORDER_TOTAL)
      v.refuse('OrderTotalLimitError', false);
  }
  for (const l of cart.lines) {
    const i = m.products.findIndex((x) => x.id === l.productId);
    if (i < 0 || contended || l.quantity > surelyAvailable(m, i)) v.refuse('InsufficientStockError', false);
  }
  if (surelyUnpaid(m, p.user) >= MAX_UNPAID_ORDERS) v.refuse('TooManyUnpaidOrdersError');
  else if (pendingOf(m, p.user) >= 3 || contended) v.refuse('TooManyUnpaidOrdersError', false);
}

/** Checks every part of an order checkout answered against the plan, and records it. */
export function seeOrder(m: Model, w: World, a: OrderA, p: Plan, startedAt: number, what: string): OrderM {
  const where = `${what}: ${a.number}`;
  const lines = a.items.map((i) => ({ productId: i.product.id, quantity: i.quantity }));
  w.expect(a.status === 'PENDING_PAYMENT', `${where} is ${a.status}`);
  const history = a.statusHistory.map((h) => h.status).join(',');
  w.expect(history === 'PENDING_PAYMENT', `${where} has the history ${history}`);
  for (const i of a.items) {
    if (!isProductId(i.product.id)) w.note(`${where} names product ${show(i.product.id)}`);
    const price = priceOf(m, i.product.id);
    w.expect(
      i.unitPrice.amount === price,
      `${where}: ${i.product.id} at ${i.unitPrice.amount}, not ${price}`,
    );
    w.expect(
      i.lineTotal.amount === i.unitPrice.amount * i.quantity,
      `${where}: a line of ${i.quantity} totals ${i.lineTotal.amount}`,
    );
  }
  if (p.lines && !sameLines(lines, p.lines))
    w.note(`${where} ordered ${linesText(m, lines)}, the cart held ${linesText(m, p.lines)}`);
  const subtotal = a.items.reduce((s, i) => s + i.lineTotal.amount, 0);
  const d = a.discount.amount;
  const s = a.shipping.amount;
  w.expect(a.subtotal.amount === subtotal, `${where}: subtotal ${a.subtotal.amount}, lines ${subtotal}`);
  w.expect(d >= 0 && d <= subtotal, `${where}: discount ${d} of a subtotal ${subtotal}`);
  if (p.code === null)
    w.expect(
      d === 0 && a.discountCode === null,
      `${where}: ${show(a.discountCode)} took ${d} off without a code`,
    );
  if (p.code) {
    w.expect(a.discountCode === p.code.code, `${where} uses ${show(a.discountCode)}, not ${p.code.code}`);
    w.expect(
      d === discountOf(p.code, subtotal),
      `${where}: ${p.code.code} took ${d} off ${subtotal}, expected ${discountOf(p.code, subtotal)}`,
    );
  }
  if (p.method) {
    w.expect(
      a.shippingMethod?.id === p.method.id,
      `${where} ships by ${show(a.shippingMethod)}, not ${p.method.id}`,
    );
    w.expect(
      s === shippingOf(p.method, subtotal - d),
      `${where}: shipping ${s} after ${subtotal - d} by ${p.method.id}`,
    );
  }
  w.expect(
    a.total.amount === subtotal + s - d,
    `${where}: total ${a.total.amount} != ${subtotal} + ${s} - ${d}`,
  );
  w.expect(a.total.amount <= MAX_ORDER_TOTAL, `${where}: total ${a.total.amount} past MAX_ORDER_TOTAL`);
  const rate = rateOf(p.country);
  w.expect(a.vatRateBasisPoints === rate, `${where}: VAT rate ${a.vatRateBasisPoints} for ${p.country}`);
  w.expect(
    a.vat.amount === vatOf(a.total.amount, a.vatRateBasisPoints),
    `${where}: VAT ${a.vat.amount} of ${a.total.amount} at ${a.vatRateBasisPoints}`,
  );
  if (p.snapshot) {
    const kept = show(snapshotOf(a.shippingAddress ?? {}));
    w.expect(
      kept === show(snapshotOf(p.snapshot)),
      `${where} ships to ${kept}, expected ${show(snapshotOf(p.snapshot))}`,
    );
  } else w.expect(a.shippingAddress?.country === p.country, `${where} ships to ${show(a.shippingAddress)}`);

  const known = m.orders.find((o) => o.id === a.id);
  if (known) return known;
  const order: OrderM = {
    id: a.id,
    number: a.number,
    owner: p.user,
    total: a.total.amount,
    lines: lines.map((l) => ({
      product: m.products.findIndex((x) => x.id === l.productId),
      quantity: l.quantity,
    })),
    placedAt: startedAt,
    status: a.status as Status,
    attempted: false,
    code: a.discountCode ?? undefined,
    cartId: p.cart.id,
  };
  m.orders.push(order);
  return order;
}

/** Records the key of a checkout that placed an order, with what it was sent. */
export function recordKey(
  m: Model,
  key: string,
  user: number,
  orderId: string,
  input: Record<string, unknown>,
  snapshot?: Record<string, string | null>,
) {
  const { idempotencyKey: _key, ...sent } = input;
  m.checkoutKeys.push({ key, user, orderId, request: requestOf(sent, snapshot), input: sent });
}

/** What names a checkout for its key: the cart, the method, the address (as validated), the code as given. */
export function requestOf(
  input: Record<string, unknown>,
  snapshot?: Record<string, string | null>,
): CheckoutRequest {
  return {
    cartId: String(input.cartId),
    methodId: String(input.shippingMethodId),
    ...(typeof input.addressId === 'string' ? { addressId: input.addressId } : {}),
    ...(input.shippingAddress ? { address: JSON.stringify(snapshotOf(snapshot ?? {})) } : {}),
    ...(typeof input.discountCode === 'string' ? { code: input.discountCode } : {}),
  };
}

/** The address's fields in the order SDL's shape, for comparing snapshots. */
export function snapshotOf(s: Record<string, string | null>) {
  const keys = ['name', 'company', 'line1', 'line2', 'postalCode', 'city', 'region', 'country', 'phone'];
  return Object.fromEntries(keys.map((k) => [k, s[k] ?? null]));
}
