/**
 * The model of the attack suite: what the test knows of a few users, the products the admin created
 * with their start stock, the orders the gateway answered with, and the idempotency keys used. It is
 * deliberately loose: a status is "known" only from an answer, and an order past its TTL may have
 * expired. Commands pick users, products, orders and keys by index (modulo what exists), so shrinking
 * a sequence keeps every command meaningful.
 */
import type { AddressM, CartM, CheckoutKeyM, CodeM, MethodM } from './model.carts';
import type { Auth, CardKind } from './world';

export interface UserM {
  email: string;
  password: string;
  auth: Auth;
  /** A second session of the same customer (another token from a login); the first one when there is none. */
  auth2: Auth;
  id: string;
  /** The addresses of the customer's address book the model knows of. */
  addresses: AddressM[];
}

export interface ProductM {
  id: string;
  name: string;
  price: number;
  start: number;
  /** Sum of the deltas of every adjustStock that answered Product. */
  adjustments: number;
}

export type Status = 'PENDING_PAYMENT' | 'PAID' | 'FULFILLED' | 'DELIVERED' | 'CANCELLED' | 'REFUNDED';

/** The statuses of an order whose charge stands: paid, shipped, delivered. */
export const PAID_CHAIN: readonly Status[] = ['PAID', 'FULFILLED', 'DELIVERED'];
/** True once a payment succeeded for the order (it is paid, shipped, delivered or refunded). */
export const wasPaid = (s: Status | string | undefined) =>
  s === 'REFUNDED' || PAID_CHAIN.includes(s as Status);

export interface OrderM {
  id: string;
  number: string;
  owner: number;
  total: number;
  lines: { product: number; quantity: number }[];
  placedAt: number;
  status: Status;
  /** A payOrder reached orders for it (a payment lease may hold it). */
  attempted: boolean;
  /** The id of its successful payment, once one answered. */
  paidBy?: string;
  /** The discount code it uses (checkout), upper case. */
  code?: string;
  /** The cart it was checked out from. */
  cartId?: string;
  /** The carrier and tracking number it was fulfilled with. */
  fulfilment?: { carrier: string; trackingNumber: string };
}

export interface PlaceKeyM {
  key: string;
  user: number;
  /** The items as sent (their signature, and the lines themselves for a replay). */
  items: string;
  sent: { product: number; productId: string; quantity: number }[];
  orderId?: string;
}

export interface PayKeyM {
  key: string;
  user: number;
  idSent: string;
  card: CardKind;
  /** The payment method token sent with it (a replay sends the same one: the same input). */
  token: string;
  /** The answer's typename and payment id: a charge attempt is kept and answered again. */
  outcome?: string;
  paymentId?: string;
}

export interface Model {
  admin: { email: string; password: string };
  users: UserM[];
  products: ProductM[];
  orders: OrderM[];
  placeKeys: PlaceKeyM[];
  payKeys: PayKeyM[];
  /** Carts the gateway answered with (anonymous ones and the customers'). */
  carts: CartM[];
  /** Discount codes the admin created. */
  codes: CodeM[];
  /** The shipping methods Query.shippingMethods answered in the setup. */
  methods: MethodM[];
  checkoutKeys: CheckoutKeyM[];
  /** Products of the seeded catalogue that are no product of the model (their stock is not tracked). */
  filler: { id: string; price: number }[];
  /** A cart was filled to MAX_CART_LINES (once per sequence). */
  filled: boolean;
  ttlMs: number;
  /** The hard deadline of an unpaid order (orders' default for this TTL: the larger of 2 TTL and TTL + the 120 s lease). */
  maxAgeSeconds: number;
  expired: boolean;
  /** Wrong passwords compared so far (InvalidCredentialsError answers). */
  failedLogins: number;
  /** Counter for fresh idempotency keys and emails (deterministic per sequence). */
  next: number;
}

/** How a command writes an id it sends: the issued form, or a variant that must name nothing. */
export const ID_FORMS = [
  'canonical',
  'upper',
  'firstUpper',
  'braces',
  'spaces',
  'newline',
  'urn',
  'noDashes',
  'other',
] as const;
export type IdForm = (typeof ID_FORMS)[number];

/** The id as the form writes it; `other` is another well-formed id of the same kind that names nothing. */
export function variant(id: string, form: IdForm): string {
  switch (form) {
    case 'canonical':
      return id;
    case 'upper':
      return id.toUpperCase();
    case 'firstUpper':
      return id.replace(/[a-f]/, (c) => c.toUpperCase());
    case 'braces':
      return `{${id}}`;
    case 'spaces':
      return ` ${id} `;
    case 'newline':
      return `${id}\n`;
    case 'urn':
      return id.length === 24 ? `ObjectId("${id}")` : `urn:uuid:${id}`;
    case 'noDashes':
      return id.length === 24 ? id.slice(0, 23) : id.replace(/-/g, '');
    case 'other': {
      // The first digit changed: well-formed and naming nothing. (Not the last: ObjectIds made one
      // after another differ only there, so that would name the next product of the catalogue.)
      return (id[0] === '0' ? '1' : '0') + id.slice(1);
    }
  }
}

/** Whether the variant is the issued id itself (a letter-free id is its own upper case). */
export const isIssued = (id: string, sent: string) => id === sent;

export const freshKey = (m: Model, label: string) => `${label}-${m.next++}`;

/** The order a command aims at: one of the model's (own or someone else's), or an id that names none. */
export interface Target {
  order?: OrderM;
  idSent: string;
  issued: boolean;
  own: boolean;
}

/** The order a pick names: mostly one of the three newest (the live ones), else any. */
export function orderAt(m: Model, pick: number): OrderM | undefined {
  const n = m.orders.length;
  if (n === 0) return undefined;
  return pick < 10 ? m.orders[n - 1 - (pick % Math.min(n, 3))] : m.orders[pick % n];
}

export function pickOrder(m: Model, user: number, pick: number, form: IdForm): Target {
  if (m.orders.length === 0) {
    const none = variant('8c1e5b52-3f0a-4d7e-9b1c-2a6f4e8d0c3b', form);
    return { idSent: none, issued: false, own: false };
  }
  const order = orderAt(m, pick)!;
  const idSent = variant(order.id, form);
  return { order, idSent, issued: isIssued(order.id, idSent), own: order.owner === user };
}

/**
 * Whether an order may have expired by now. Asked when an answer is in: the order was placed after
 * `placedAt` (its request's start) and expires a TTL after that, so an answer that arrived before
 * then was given to a live order (less 300 ms for millisecond rounding of the stored times).
 */
export const mayHaveExpired = (m: Model, o: OrderM) => Date.now() > o.placedAt + m.ttlMs - 300;

/**
 * Units of a product the model is sure are on hand: start + adjustments minus everything the model's
 * orders may still hold or have bought (an expired order gives its units back: more, never fewer).
 */
export function surelyAvailable(m: Model, product: number): number {
  const p = m.products[product]!;
  const taken = m.orders
    .filter((o) => o.status !== 'CANCELLED')
    .flatMap((o) => o.lines)
    .filter((l) => l.product === product)
    .reduce((s, l) => s + l.quantity, 0);
  return p.start + p.adjustments - taken;
}

export const pendingOf = (m: Model, user: number) =>
  m.orders.filter((o) => o.owner === user && o.status === 'PENDING_PAYMENT').length;

const RANK: Record<Status, number> = {
  PENDING_PAYMENT: 0,
  CANCELLED: 1,
  PAID: 1,
  FULFILLED: 2,
  DELIVERED: 3,
  REFUNDED: 4,
};

/**
 * What an answer says of an order's status: an order only moves forward (PENDING_PAYMENT → PAID →
 * FULFILLED → DELIVERED, any of the paid ones → REFUNDED; PENDING_PAYMENT → CANCELLED), and
 * CANCELLED and REFUNDED are final; PENDING_PAYMENT teaches nothing.
 */
export function learn(order: OrderM, status: Status | undefined) {
  if (!status || order.status === 'REFUNDED' || order.status === 'CANCELLED') return;
  if (status === 'CANCELLED') {
    if (order.status === 'PENDING_PAYMENT') order.status = status;
    return;
  }
  if (RANK[status] > RANK[order.status]) order.status = status;
}
