/**
 * The invariants of an attack run, read from the run's stores themselves once the system is quiet:
 * orders (MySQL), payments (Redis), products and reservations (Mongo), confirmations (the
 * notifications KV bucket). `audit` reads them until they hold or the settle time is over (events
 * take a moment: a charge makes its order PAID, the sale settles the hold, the confirmation follows).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import mongoose from 'mongoose';
import { Redis } from 'ioredis';
import { connectNats, isOrderId, isProductId, isUserId, jetstreamManager, natsNames } from '@shop/messaging';
import type { TestEnvironment } from '../environment';
import { PAID_CHAIN, wasPaid, type Model } from './model';
import {
  checkoutViolations,
  partsOf,
  readCheckout,
  type CheckoutSnapshot,
  type OrderParts,
} from './invariants.checkout';
import { MAX_UNPAID_ORDERS } from './commands/orders';
import { MAX_INT, show } from './world';
import { ledgerNetByOrder, pspLedger, type Ledger } from '../psp';

interface StoredOrder {
  id: string;
  number: string;
  userId: string;
  status: string;
  total: number;
  paymentId: string | null;
  /** expires_at − created_at, in seconds. */
  lifetimeSeconds: number;
  items: { productId: string; quantity: number; lineAmount: number }[];
  parts: OrderParts;
}

export interface Snapshot {
  orders: StoredOrder[];
  unsentOrderEvents: number;
  /** Payment records; `refunded` is the part of a charge given back (refundedAmount). */
  payments: { id: string; orderId: string; status: string; amount: number; refunded: number }[];
  /** Refunds payments owes by itself and has not recorded yet. */
  pendingRefunds: number;
  /** The order ids in payments' `order:{orderId}:…` keys. */
  paymentOrderKeys: string[];
  paymentsOutbox: number;
  products: { id: string; stock: number; holds: { orderId: string; quantity: number }[] }[];
  reservations: { orderId: string; status: string }[];
  confirmations: { orderId: string; channel: string; kind: string }[];
  checkout: CheckoutSnapshot;
  /** The processor's side of the books: the PSP's ledger of charges and refunds. */
  ledger: Ledger;
}

async function readOrders(url: string) {
  const conn = await mysql.createConnection(url);
  try {
    const [orders] = (await conn.query('SELECT * FROM orders ORDER BY seq')) as unknown as [
      ({
        id: string;
        seq: number;
        user_id: string;
        status: string;
        total_amount: number;
        payment_id: string | null;
        created_at: Date;
        expires_at: Date;
      } & Record<string, unknown>)[],
    ];
    const [items] = (await conn.query(
      'SELECT order_id, product_id, quantity, line_amount FROM order_items',
    )) as unknown as [{ order_id: string; product_id: string; quantity: number; line_amount: number }[]];
    const [[unsent]] = (await conn.query(
      'SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL',
    )) as unknown as [[{ n: number }]];
    const stored = orders.map((o) => ({
      id: o.id,
      number: `SO-${String(o.seq).padStart(6, '0')}`,
      userId: o.user_id,
      status: o.status,
      total: Number(o.total_amount),
      paymentId: o.payment_id,
      lifetimeSeconds: (o.expires_at.getTime() - o.created_at.getTime()) / 1000,
      items: items
        .filter((i) => i.order_id === o.id)
        .map((i) => ({
          productId: i.product_id,
          quantity: Number(i.quantity),
          lineAmount: Number(i.line_amount),
        })),
      parts: partsOf(o),
    }));
    return { orders: stored, unsentOrderEvents: Number(unsent?.n ?? 0) };
  } finally {
    await conn.end();
  }
}

async function readPayments(url: string, prefix: string) {
  const redis = new Redis(url, { lazyConnect: true });
  await redis.connect();
  try {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
    const payments = [];
    // payment:{id} hashes (not their payment:{id}:refunds).
    for (const key of keys.filter((k) => /^payment:[^:]+$/.test(k.slice(prefix.length)))) {
      const hash = await redis.hgetall(key);
      payments.push({
        id: hash.id ?? key,
        orderId: hash.orderId ?? '',
        status: hash.status ?? '',
        amount: Number(hash.amount),
        refunded: Number(hash.refundedAmount ?? 0),
      });
    }
    const pendingRefunds = keys.includes(`${prefix}refunds:pending`)
      ? await redis.hlen(`${prefix}refunds:pending`)
      : 0;
    const paymentOrderKeys = keys
      .filter((k) => k.startsWith(`${prefix}order:`))
      .map((k) => k.slice(`${prefix}order:`.length).replace(/:(payments|paid|lock)$/, ''));
    const paymentsOutbox = keys.includes(`${prefix}outbox`) ? await redis.xlen(`${prefix}outbox`) : 0;
    return { payments, paymentOrderKeys, paymentsOutbox, pendingRefunds };
  } finally {
    redis.disconnect();
  }
}

async function readProducts(url: string) {
  const conn = await mongoose.createConnection(url).asPromise();
  try {
    const products = (
      await conn
        .collection('products')
        .find({}, { projection: { stock: 1, holds: 1 } })
        .toArray()
    ).map((d) => ({
      id: String(d._id),
      stock: Number(d.stock),
      holds: ((d.holds ?? []) as { orderId: string; quantity: number }[]).map((h) => ({
        orderId: String(h.orderId),
        quantity: Number(h.quantity),
      })),
    }));
    const reservations = (await conn.collection('reservations').find({}).toArray()).map((d) => ({
      orderId: String(d.orderId),
      status: String(d.status),
    }));
    return { products, reservations };
  } finally {
    await conn.close();
  }
}

/** Every notification record (`user.<userId>.<orderId>.<id>`) of the notifications bucket. */
async function readConfirmations(url: string, natsPrefix: string) {
  const nc = await connectNats(url, 'e2e-adversarial-audit');
  try {
    const jsm = await jetstreamManager(nc);
    const bucket = natsNames(natsPrefix).buckets.notifications;
    const stream = `KV_${bucket}`;
    const info = await jsm.streams
      .info(stream, { subjects_filter: `$KV.${bucket}.user.>` })
      .catch(() => null);
    const confirmations = [];
    for (const subject of Object.keys(info?.state.subjects ?? {})) {
      const msg = await jsm.streams.getMessage(stream, { last_by_subj: subject }).catch(() => null);
      if (!msg || msg.data.length === 0) continue;
      const record = msg.json<{ orderId: string; channel: string; kind: string }>();
      confirmations.push({ orderId: record.orderId, channel: record.channel, kind: record.kind });
    }
    return confirmations;
  } finally {
    await nc.close();
  }
}

export async function readStores(env: TestEnvironment): Promise<Snapshot> {
  const { stores } = env;
  const [orders, payments, products, confirmations, checkout, ledger] = await Promise.all([
    readOrders(stores.mysqlUrl),
    readPayments(stores.redisUrl, stores.redisPrefix),
    readProducts(stores.mongoUrl),
    readConfirmations(stores.natsUrl, stores.natsPrefix),
    readCheckout(stores.mysqlUrl),
    pspLedger(env.pspUrl, env.pspSecretKey),
  ]);
  return { ...orders, ...payments, ...products, confirmations, checkout, ledger };
}

/** The order an id in another form would have reached: case, braces, spaces and prefixes removed. */
const loosely = (id: string) =>
  id
    .trim()
    .replace(/^urn:uuid:|[{}]/gi, '')
    .toLowerCase();

/** Everything that is wrong in the stores; empty when every invariant holds. */
export function violationsOf(m: Model, s: Snapshot): string[] {
  const v: string[] = [];
  const byId = new Map(s.orders.map((o) => [o.id, o]));
  const byLoose = new Map(s.orders.map((o) => [loosely(o.id), o]));
  const name = (o: StoredOrder) => `${o.number} (${o.status}, total ${o.total})`;

  if (s.unsentOrderEvents > 0) v.push(`orders outbox holds ${s.unsentOrderEvents} unsent events`);
  if (s.paymentsOutbox > 0) v.push(`payments outbox holds ${s.paymentsOutbox} entries`);

  // Orders: issued ids only, totals within Int, every one answered to a client.
  for (const o of s.orders) {
    if (!isOrderId(o.id) || !isUserId(o.userId))
      v.push(`order ${show(o.id)} of ${show(o.userId)} is not in the issued form`);
    for (const i of o.items)
      if (!isProductId(i.productId)) v.push(`${o.number} names product ${show(i.productId)}`);
    const lines = o.items.reduce((sum, i) => sum + i.lineAmount, 0);
    if (o.parts.subtotal !== lines || o.total < 1 || o.total > MAX_INT)
      v.push(`${name(o)}: subtotal ${o.parts.subtotal}, lines come to ${lines} (total at most 2^31-1)`);
    if (!m.orders.some((known) => known.id === o.id))
      v.push(`${name(o)} is stored but no placeOrder or checkout answered it`);
  }

  // Holds end: no order lives past the hard deadline, no user has more unpaid orders than allowed.
  const unpaid = new Map<string, number>();
  for (const o of s.orders) {
    if (o.lifetimeSeconds > m.maxAgeSeconds)
      v.push(`${name(o)} may wait ${o.lifetimeSeconds} s for payment (at most ${m.maxAgeSeconds})`);
    if (o.status === 'PENDING_PAYMENT') unpaid.set(o.userId, (unpaid.get(o.userId) ?? 0) + 1);
  }
  for (const [user, n] of unpaid)
    if (n > MAX_UNPAID_ORDERS) v.push(`user ${user} has ${n} unpaid orders (at most ${MAX_UNPAID_ORDERS})`);

  // Payments: every charge under an order's own id; per order at most one net charge (a charge less
  // what was refunded of it); the net charges add up to the totals of the PAID (FULFILLED,
  // DELIVERED) orders.
  if (s.pendingRefunds > 0) v.push(`payments owes ${s.pendingRefunds} refunds not yet made`);
  const net = new Map<StoredOrder, { id: string; net: number }[]>();
  for (const p of s.payments) {
    const order = byId.get(p.orderId) ?? byLoose.get(loosely(p.orderId));
    if (!byId.has(p.orderId))
      v.push(`payment ${p.id} (${p.status}) is recorded for ${show(p.orderId)}, no order's id`);
    if (p.refunded < 0 || p.refunded > p.amount)
      v.push(`payment ${p.id} of ${p.amount} refunded ${p.refunded}`);
    if (!order || p.status !== 'SUCCEEDED' || p.amount === p.refunded) continue;
    net.set(order, [...(net.get(order) ?? []), { id: p.id, net: p.amount - p.refunded }]);
  }
  for (const id of new Set(s.paymentOrderKeys))
    if (!byId.has(id)) v.push(`payments key order:${show(id)} names no order`);
  for (const o of s.orders) {
    const charges = net.get(o) ?? [];
    if (charges.length > 1) v.push(`${name(o)} charged ${charges.length} times: ${show(charges)}`);
    const stands = PAID_CHAIN.includes(o.status as never);
    if (stands && (charges[0]?.net !== o.total || o.paymentId !== charges[0]?.id))
      v.push(`${name(o)} with net charges ${show(charges)} and payment ${o.paymentId}`);
    if (!stands && charges.length > 0) v.push(`${name(o)} charged ${show(charges)}`);
  }
  const charged = [...net.values()].flat().reduce((sum, c) => sum + c.net, 0);
  const paid = s.orders
    .filter((o) => PAID_CHAIN.includes(o.status as never))
    .reduce((sum, o) => sum + o.total, 0);
  if (charged !== paid) v.push(`net charges come to ${charged}, PAID orders to ${paid}`);

  // The processor's books (the PSP's ledger) agree: charges only for issued order ids, per order the
  // money it kept is what payments recorded as kept, and it adds up to the PAID orders' totals.
  const kept = ledgerNetByOrder(s.ledger);
  for (const c of s.ledger.charges)
    if (!byId.has(c.orderId))
      v.push(`the PSP charged ${c.id} (${c.status}) for ${show(c.orderId)}, no order's id`);
  const recorded = new Map<string, number>();
  for (const p of s.payments)
    if (p.status !== 'FAILED' && p.status !== 'REQUIRES_ACTION')
      recorded.set(p.orderId, (recorded.get(p.orderId) ?? 0) + p.amount - p.refunded);
  for (const id of new Set([...kept.keys(), ...recorded.keys()]))
    if ((kept.get(id) ?? 0) !== (recorded.get(id) ?? 0))
      v.push(
        `order ${show(id)}: the PSP kept ${kept.get(id) ?? 0}, payments recorded ${recorded.get(id) ?? 0}`,
      );
  const processorKept = [...kept.values()].reduce((sum, n) => sum + n, 0);
  if (processorKept !== paid) v.push(`the PSP kept ${processorKept}, PAID orders come to ${paid}`);

  // Stock: available + held + sold = start + adjustments; holds only for pending orders, and all of theirs.
  const held = (productId: string, orderId: string) =>
    s.products.find((p) => p.id === productId)?.holds.find((h) => h.orderId === orderId)?.quantity ?? 0;
  for (const [index, p] of m.products.entries()) {
    const doc = s.products.find((d) => d.id === p.id);
    if (!doc) {
      v.push(`p${index + 1} ${p.id} is gone`);
      continue;
    }
    const holds = doc.holds.reduce((sum, h) => sum + h.quantity, 0);
    const sold = s.orders
      .filter((o) => wasPaid(o.status))
      .flatMap((o) => o.items)
      .filter((i) => i.productId.toLowerCase() === p.id)
      .reduce((sum, i) => sum + i.quantity, 0);
    if (doc.stock < 0 || doc.stock > MAX_INT) v.push(`p${index + 1} stock ${doc.stock}`);
    if (doc.stock + holds + sold !== p.start + p.adjustments)
      v.push(
        `p${index + 1}: available ${doc.stock} + held ${holds} + sold ${sold} != start ${p.start} + adjustments ${p.adjustments}`,
      );
  }
  for (const doc of s.products) {
    for (const h of doc.holds) {
      const o = byId.get(h.orderId);
      const wanted = o?.items.filter((i) => i.productId === doc.id).reduce((sum, i) => sum + i.quantity, 0);
      if (o?.status !== 'PENDING_PAYMENT' || wanted !== h.quantity)
        v.push(`product ${doc.id} holds ${h.quantity} for ${o ? name(o) : `no order (${show(h.orderId)})`}`);
    }
  }
  for (const o of s.orders.filter((order) => order.status === 'PENDING_PAYMENT'))
    for (const i of o.items)
      if (held(i.productId, o.id) !== i.quantity)
        v.push(`${name(o)} holds ${held(i.productId, o.id)} of ${i.quantity}`);
  const settled: Record<string, string> = {
    PAID: 'SOLD',
    FULFILLED: 'SOLD',
    DELIVERED: 'SOLD',
    REFUNDED: 'SOLD',
    CANCELLED: 'RELEASED',
    PENDING_PAYMENT: 'RESERVED',
  };
  for (const r of s.reservations) {
    const o = byId.get(r.orderId);
    if (o ? settled[o.status] !== r.status : r.status !== 'RELEASED')
      v.push(`reservation ${show(r.orderId)} is ${r.status} for ${o ? name(o) : 'no order'}`);
  }

  // Confirmations: exactly one email per PAID order, none for any other.
  const emails = new Map<string, number>();
  for (const c of s.confirmations) {
    if (c.kind !== 'ORDER_CONFIRMATION' || c.channel !== 'EMAIL') continue;
    emails.set(c.orderId, (emails.get(c.orderId) ?? 0) + 1);
    if (!byId.has(c.orderId)) v.push(`a confirmation for ${show(c.orderId)}, no order's id`);
  }
  for (const o of s.orders) {
    const n = emails.get(o.id) ?? 0;
    if (n !== (wasPaid(o.status) ? 1 : 0)) v.push(`${name(o)} has ${n} confirmations`);
  }
  // Carts, codes, totals and the order's life after payment (invariants.checkout.ts). Carts hold no
  // stock: every hold above belongs to an order waiting for payment, none to a cart.
  const cartIds = new Set(s.checkout.carts.map((c) => c.id));
  for (const doc of s.products)
    for (const h of doc.holds)
      if (cartIds.has(h.orderId)) v.push(`product ${doc.id} holds ${h.quantity} for cart ${h.orderId}`);
  v.push(...checkoutViolations(m, s.orders, s.checkout, s.confirmations));
  return v;
}

/** Reads the stores until every invariant holds or `settleMs` is over; the violations left. */
export async function audit(
  env: TestEnvironment,
  m: Model,
  settleMs = 15_000,
): Promise<{ violations: string[]; snapshot: Snapshot }> {
  const deadline = Date.now() + settleMs;
  for (;;) {
    const snapshot = await readStores(env);
    const violations = violationsOf(m, snapshot);
    if (violations.length === 0 || Date.now() > deadline) return { violations, snapshot };
    await sleep(300);
  }
}
