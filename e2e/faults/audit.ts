/**
 * The audit after the fault run: every invariant checked against the stores, Mailpit and the gateway
 * once the system is quiet.
 */
import { mailpit } from '@shop/testing';
import { data } from '../client';
import { ProductStockDocument } from '../__generated__/graphql';
import type { Cluster } from './cluster';
import type { CheckoutLoad } from './load';
import { adminStock } from '../catalogue';
import {
  storedOrders,
  storedPayments,
  storedReservations,
  unsentOrderEvents,
  type StoredOrder,
} from './stores';

/** Everything that is wrong once the system is quiet; empty when all invariants hold. */
export async function audit(cluster: Cluster, load: CheckoutLoad) {
  const violations: string[] = [];
  const orders = await storedOrders(cluster);
  const { byOrder, outbox } = await storedPayments(
    cluster,
    orders.map((o) => o.id),
  );
  const reservations = await storedReservations(cluster);
  const unsent = await unsentOrderEvents(cluster);
  if (outbox > 0) violations.push(`payments outbox still holds ${outbox} entries`);
  if (unsent > 0) violations.push(`orders outbox still holds ${unsent} unsent events`);

  const mails = new Map<string, Set<string>>(); // order number -> distinct Message-IDs
  const rawMails = new Map<string, number>();
  for (const shopper of load.shoppers) {
    for (const m of (await mailpit.messagesTo(shopper.email)) as {
      Subject: string;
      MessageID?: string;
      ID: string;
    }[]) {
      const number = /Your order (SO-\d+) is confirmed/.exec(m.Subject)?.[1];
      if (!number) continue;
      mails.set(number, (mails.get(number) ?? new Set()).add(m.MessageID ?? m.ID));
      rawMails.set(number, (rawMails.get(number) ?? 0) + 1);
    }
  }

  for (const order of orders) {
    const payments = byOrder.get(order.id) ?? [];
    const succeeded = payments.filter((p) => p.status === 'SUCCEEDED');
    const reservation = reservations.get(order.id);
    if (order.status === 'PENDING_PAYMENT') violations.push(`${order.number} still PENDING_PAYMENT`);
    if (order.status === 'PAID') {
      if (succeeded.length !== 1)
        violations.push(`${order.number} PAID with ${succeeded.length} successful payments`);
      if (succeeded[0] && succeeded[0].amount !== order.total)
        violations.push(`${order.number} charged ${succeeded[0].amount}, total ${order.total}`);
      const emails = mails.get(order.number)?.size ?? 0;
      if (emails !== 1) violations.push(`${order.number} PAID with ${emails} confirmation emails`);
      if (reservation?.status !== 'SOLD')
        violations.push(`${order.number} PAID, reservation ${reservation?.status}`);
    }
    if (order.status === 'CANCELLED') {
      if (succeeded.length > 0)
        violations.push(`${order.number} CANCELLED but charged (${succeeded.map((p) => p.id).join(',')})`);
      if (reservation && reservation.status !== 'RELEASED')
        violations.push(`${order.number} CANCELLED, reservation not released`);
      if (mails.has(order.number)) violations.push(`${order.number} CANCELLED but a confirmation was sent`);
    }
  }

  // Reservations for orders that do not exist: stock taken that nobody will ever give back.
  const orderIds = new Set(orders.map((o) => o.id));
  for (const [orderId, r] of reservations) {
    if ((r.status === 'RESERVED' || r.status === 'PENDING') && !orderIds.has(orderId))
      violations.push(`reservation for unknown order ${orderId} holds ${JSON.stringify(r.lines)}`);
  }

  // What the clients were told must match the final state.
  const byId = new Map(orders.map((o) => [o.id, o]));
  for (const c of load.placed) {
    if (!c.id) continue;
    const stored = byId.get(c.id);
    if (!stored) violations.push(`client saw order ${c.id}, orders has none`);
    else if (stored.total !== c.total)
      violations.push(`${stored.number} total ${stored.total}, client saw ${c.total}`);
    if (c.paid && stored?.status !== 'PAID')
      violations.push(`${c.number} payment succeeded, order ${stored?.status}`);
  }

  // Stock: available + reserved-unpaid + sold = start, per product.
  for (const p of load.products) {
    const sum = (status: StoredOrder['status']) =>
      orders
        .filter((o) => o.status === status)
        .flatMap((o) => o.items)
        .filter((i) => i.productId === p.id)
        .reduce((s, i) => s + i.quantity, 0);
    const available = adminStock(
      (await data(cluster.url, ProductStockDocument, { id: p.id }, load.adminAuth)).product!.stock,
    );
    if (available < 0) violations.push(`${p.sku} stock ${available} < 0`);
    const reserved = sum('PENDING_PAYMENT');
    const sold = sum('PAID');
    if (available + reserved + sold !== p.stock)
      violations.push(`${p.sku}: available ${available} + reserved ${reserved} + sold ${sold} != ${p.stock}`);
  }
  return { violations, orders, byOrder, mails, rawMails };
}
