/**
 * The invariants of carts, discount codes, checkout totals and an order's life after payment, read
 * from orders' MySQL (and the notifications bucket's shipped and delivered notices) after a sequence:
 * every order's total is subtotal + shipping − discount with the discount within the subtotal, the
 * shipping its method's and the VAT the country's share of the total; a code's times_used is its
 * redemptions and the orders using it that are not cancelled, within its limits (also per customer);
 * at most one cart per customer, every line within its bounds, the carts the model knows exactly as
 * it knows them; the timestamps of an order agree with its status.
 */
import mysql from 'mysql2/promise';
import { isProductId, isUserId } from '@shop/messaging';
import type { Model } from './model';
import {
  discountOf,
  linesText,
  MAX_CART_LINES,
  MAX_LINE_QUANTITY,
  rateOf,
  sameLines,
  shippingOf,
  vatOf,
} from './model.carts';
import { show } from './world';

/** What checkout and fulfilment add to an order row. */
export interface OrderParts {
  subtotal: number;
  shipping: number;
  discount: number;
  vat: number;
  rate: number;
  code: string | null;
  methodId: string | null;
  country: string | null;
  cartId: string | null;
  carrier: string | null;
  tracking: string | null;
  /** When the order entered each status (ms; null: never). */
  at: Record<
    'created' | 'paid' | 'cancelled' | 'fulfilled' | 'delivered' | 'refundRequested' | 'refunded',
    number | null
  >;
}

type Row = Record<string, unknown>;
const ms = (v: unknown) =>
  v instanceof Date ? v.getTime() : v === null || v === undefined ? null : Date.parse(String(v));
const str = (v: unknown) => (v === null || v === undefined ? null : String(v));

/** The parts of one `SELECT * FROM orders` row. */
export function partsOf(r: Row): OrderParts {
  let address = r.shipping_address as unknown;
  if (typeof address === 'string') address = JSON.parse(address) as unknown;
  return {
    subtotal: Number(r.subtotal_amount),
    shipping: Number(r.shipping_amount),
    discount: Number(r.discount_amount),
    vat: Number(r.vat_amount),
    rate: Number(r.vat_rate_bp),
    code: str(r.discount_code),
    methodId: str(r.shipping_method_id),
    country: str((address as { country?: string } | null)?.country),
    cartId: str(r.cart_id),
    carrier: str(r.carrier),
    tracking: str(r.tracking_number),
    at: {
      created: ms(r.created_at),
      paid: ms(r.paid_at),
      cancelled: ms(r.cancelled_at),
      fulfilled: ms(r.fulfilled_at),
      delivered: ms(r.delivered_at),
      refundRequested: ms(r.refund_requested_at),
      refunded: ms(r.refunded_at),
    },
  };
}

export interface CheckoutSnapshot {
  codes: { code: string; limit: number | null; perCustomer: number | null; timesUsed: number }[];
  redemptions: { orderId: string; code: string; userId: string }[];
  carts: { id: string; userId: string | null; lines: { productId: string; quantity: number }[] }[];
}

export async function readCheckout(url: string): Promise<CheckoutSnapshot> {
  const conn = await mysql.createConnection(url);
  try {
    const q = async (sql: string) => ((await conn.query(sql)) as unknown as [Row[]])[0];
    const codes = (
      await q('SELECT code, usage_limit, usage_limit_per_customer, times_used FROM discount_codes')
    ).map((c) => ({
      code: String(c.code),
      limit: c.usage_limit === null ? null : Number(c.usage_limit),
      perCustomer: c.usage_limit_per_customer === null ? null : Number(c.usage_limit_per_customer),
      timesUsed: Number(c.times_used),
    }));
    const redemptions = (await q('SELECT order_id, code, user_id FROM discount_redemptions')).map((r) => ({
      orderId: String(r.order_id),
      code: String(r.code),
      userId: String(r.user_id),
    }));
    const lines = await q('SELECT cart_id, product_id, quantity FROM cart_lines');
    const carts = (await q('SELECT id, user_id FROM carts')).map((c) => ({
      id: String(c.id),
      userId: str(c.user_id),
      lines: lines
        .filter((l) => l.cart_id === c.id)
        .map((l) => ({ productId: String(l.product_id), quantity: Number(l.quantity) })),
    }));
    return { codes, redemptions, carts };
  } finally {
    await conn.end();
  }
}

interface OrderView {
  id: string;
  number: string;
  userId: string;
  status: string;
  total: number;
  parts: OrderParts;
}

/** Which timestamps a status needs (true), forbids (false) or leaves open (undefined). */
const STAMPS: Record<string, Partial<Record<keyof OrderParts['at'], boolean>>> = {
  PENDING_PAYMENT: {
    paid: false,
    cancelled: false,
    fulfilled: false,
    delivered: false,
    refundRequested: false,
  },
  PAID: { paid: true, cancelled: false, fulfilled: false, delivered: false, refundRequested: false },
  FULFILLED: { paid: true, cancelled: false, fulfilled: true, delivered: false, refundRequested: false },
  DELIVERED: { paid: true, cancelled: false, fulfilled: true, delivered: true, refundRequested: false },
  CANCELLED: { paid: false, cancelled: true, fulfilled: false, delivered: false, refundRequested: false },
  REFUNDED: { paid: true, cancelled: false, refundRequested: true },
};

export function checkoutViolations(
  m: Model,
  orders: OrderView[],
  s: CheckoutSnapshot,
  notices: { orderId: string; channel: string; kind: string }[],
): string[] {
  const v: string[] = [];
  const name = (o: OrderView) => `${o.number} (${o.status}, total ${o.total})`;

  for (const o of orders) {
    const p = o.parts;
    if (o.total !== p.subtotal + p.shipping - p.discount)
      v.push(`${name(o)} != subtotal ${p.subtotal} + shipping ${p.shipping} - discount ${p.discount}`);
    if (p.discount < 0 || p.discount > p.subtotal || p.shipping < 0)
      v.push(`${name(o)}: discount ${p.discount} of ${p.subtotal}, shipping ${p.shipping}`);
    if (p.rate !== rateOf(p.country ?? undefined)) v.push(`${name(o)} to ${p.country}: VAT rate ${p.rate}`);
    if (p.vat !== vatOf(o.total, p.rate))
      v.push(`${name(o)}: VAT ${p.vat} at ${p.rate}, expected ${vatOf(o.total, p.rate)}`);
    const code = p.code === null ? undefined : m.codes.find((c) => c.code === p.code);
    if (p.code === null && p.discount !== 0) v.push(`${name(o)} takes ${p.discount} off without a code`);
    if (p.code !== null && !code) v.push(`${name(o)} uses ${show(p.code)}, which the admin never created`);
    if (code && p.discount !== discountOf(code, p.subtotal))
      v.push(
        `${name(o)}: ${code.code} took ${p.discount} off ${p.subtotal}, expected ${discountOf(code, p.subtotal)}`,
      );
    const method = p.methodId === null ? undefined : m.methods.find((x) => x.id === p.methodId);
    if (p.methodId === null) {
      if (p.shipping !== 0 || p.country !== null || p.cartId !== null)
        v.push(`${name(o)} ships ${p.shipping} to ${p.country} without a method`);
    } else if (!method || !method.countries.includes(p.country ?? ''))
      v.push(`${name(o)} ships by ${p.methodId} to ${p.country}`);
    else if (p.shipping !== shippingOf(method, p.subtotal - p.discount))
      v.push(`${name(o)}: shipping ${p.shipping} by ${method.id} after ${p.subtotal - p.discount}`);

    // The timestamps agree with the status, and come in the machine's order.
    const rule = STAMPS[o.status];
    if (!rule) v.push(`${name(o)} has an unknown status`);
    for (const [stamp, due] of Object.entries(rule ?? {}))
      if (due !== undefined && (p.at[stamp as keyof OrderParts['at']] !== null) !== due)
        v.push(
          `${name(o)}: ${stamp}_at ${due ? 'missing' : `set (${p.at[stamp as keyof OrderParts['at']]})`}`,
        );
    if (p.at.delivered !== null && p.at.fulfilled === null) v.push(`${name(o)} delivered, never fulfilled`);
    const order = [p.at.created, p.at.paid, p.at.fulfilled, p.at.delivered, p.at.refundRequested].filter(
      (t) => t !== null,
    );
    if (
      order.some((t, i) => i > 0 && t! < order[i - 1]!) ||
      (p.at.cancelled ?? Infinity) < (p.at.created ?? 0)
    )
      v.push(`${name(o)}: its status times are out of order ${show(p.at)}`);
    if ((p.carrier === null || p.tracking === null) !== (p.at.fulfilled === null))
      v.push(`${name(o)}: carrier ${p.carrier} ${show(p.tracking)}, fulfilled_at ${p.at.fulfilled}`);
  }

  // Codes: times_used = redemptions = orders using it that are not cancelled; within the limits.
  for (const c of s.codes) {
    const redeemed = s.redemptions.filter((r) => r.code === c.code);
    const using = orders.filter((o) => o.parts.code === c.code && o.status !== 'CANCELLED');
    if (c.timesUsed !== redeemed.length || c.timesUsed !== using.length)
      v.push(
        `${c.code}: times_used ${c.timesUsed}, ${redeemed.length} redemptions, ${using.length} orders using it`,
      );
    if (c.limit !== null && c.timesUsed > c.limit)
      v.push(`${c.code} used ${c.timesUsed} times (limit ${c.limit})`);
    const perUser = new Map<string, number>();
    for (const r of redeemed) perUser.set(r.userId, (perUser.get(r.userId) ?? 0) + 1);
    for (const [user, n] of perUser)
      if (c.perCustomer !== null && n > c.perCustomer)
        v.push(`${c.code} used ${n} times by ${user} (at most ${c.perCustomer})`);
  }
  for (const code of m.codes)
    if (!s.codes.some((c) => c.code === code.code)) v.push(`${code.code} is gone from the store`);
  for (const r of s.redemptions) {
    const o = orders.find((x) => x.id === r.orderId);
    if (!o || o.parts.code !== r.code || o.userId !== r.userId || o.status === 'CANCELLED')
      v.push(`a redemption of ${r.code} by ${r.userId} for ${o ? name(o) : show(r.orderId)}`);
  }

  // Carts: one per customer, every line within bounds; the model's exact carts as it knows them.
  const owners = new Map<string, number>();
  for (const c of s.carts) {
    if (!/^[A-Za-z0-9_-]{22}$/.test(c.id)) v.push(`cart ${show(c.id)} is not in the issued form`);
    if (c.userId !== null) {
      owners.set(c.userId, (owners.get(c.userId) ?? 0) + 1);
      if (!isUserId(c.userId)) v.push(`cart ${c.id} belongs to ${show(c.userId)}`);
    }
    if (c.lines.length > MAX_CART_LINES) v.push(`cart ${c.id} has ${c.lines.length} lines`);
    for (const l of c.lines)
      if (!isProductId(l.productId) || l.quantity < 1 || l.quantity > MAX_LINE_QUANTITY)
        v.push(`cart ${c.id} holds ${l.quantity} of ${show(l.productId)}`);
  }
  for (const [user, n] of owners) if (n > 1) v.push(`${user} has ${n} carts`);
  for (const cart of m.carts) {
    const stored = s.carts.find((c) => c.id === cart.id);
    const owner = cart.owner === null ? null : m.users[cart.owner]!.id;
    if (cart.gone) {
      if (stored) v.push(`${cart.name} was merged, still stored`);
      continue;
    }
    if (!stored) {
      v.push(`${cart.name} (${cart.owner === null ? 'anonymous' : `u${cart.owner + 1}'s`}) is gone`);
      continue;
    }
    if (stored.userId !== owner) v.push(`${cart.name} belongs to ${stored.userId}, not ${owner}`);
    if (cart.exact && !sameLines(cart.lines, stored.lines))
      v.push(
        `${cart.name} holds ${linesText(m, stored.lines)}, the clients were answered ${linesText(m, cart.lines)}`,
      );
  }

  // Shipped, delivered and refund notices: one email each per order that got there.
  const count = (kind: string, orderId: string) =>
    notices.filter((n) => n.kind === kind && n.channel === 'EMAIL' && n.orderId === orderId).length;
  for (const o of orders) {
    const due: [string, boolean][] = [
      ['ORDER_SHIPPED', o.parts.at.fulfilled !== null],
      ['ORDER_DELIVERED', o.parts.at.delivered !== null],
      ['REFUND', o.parts.at.refunded !== null],
    ];
    for (const [kind, sent] of due)
      if (count(kind, o.id) !== (sent ? 1 : 0)) v.push(`${name(o)} has ${count(kind, o.id)} ${kind} emails`);
  }
  return v;
}
