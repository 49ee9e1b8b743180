import { randomUUID } from 'node:crypto';
import { canAccess, requireViewer, type Viewer } from '@shop/auth';
import type { OrderCancelledEvent, OrderPaidEvent, PayableReply, PaymentEvent } from '@shop/messaging';
import {
  asResult,
  type CancelReason,
  type OrderItemModel,
  type OrderModel,
  type OrderResult,
} from './models';
import { canTransition, isPayable, transition } from './order-state';
import type { OrdersTx } from './orders.repository';
import type { OrdersDeps } from './orders.service';

/** After placing: cancelling, expiry, orders.payable and the payment events. */

export type CancelOrderResult =
  | OrderResult
  | { __typename: 'OrderNotFoundError'; message: string; orderId: string }
  | { __typename: 'OrderNotCancellableError'; message: string; status: OrderModel['status'] };

/** What applying a payment event did (recorded with the event id). */
export type PaymentOutcome =
  | 'DUPLICATE'
  | 'ORDER_NOT_FOUND'
  | 'PAID'
  | 'ALREADY_PAID'
  | 'PAID_AFTER_CANCEL'
  | 'AMOUNT_MISMATCH'
  | 'FAILURE_RECORDED';

/** Cancels the viewer's own unpaid order (admins: any). Others' orders read as not found. */
export async function cancelOrder(
  deps: OrdersDeps,
  viewerOrNull: Viewer | null,
  orderId: string,
): Promise<CancelOrderResult> {
  const viewer = requireViewer(viewerOrNull);
  const result = await deps.repository.transaction(async (tx): Promise<CancelOrderResult> => {
    const order = await tx.lockOrder(orderId);
    if (!order || !canAccess(viewer, order.userId)) {
      return { __typename: 'OrderNotFoundError', message: `No order ${orderId}.`, orderId };
    }
    if (!canTransition(order.status, 'CANCELLED')) {
      return {
        __typename: 'OrderNotCancellableError',
        message: `The order is ${order.status} and cannot be cancelled.`,
        status: order.status,
      };
    }
    const [cancelled] = await cancelLocked(deps, tx, [order], 'CANCELLED_BY_USER');
    return asResult(cancelled!);
  });
  if (result.__typename === 'Order') deps.log.info({ orderId }, 'order cancelled by the customer');
  return result;
}

/**
 * Cancels expired unpaid orders, at most `batch` per call, in one transaction with their
 * orders.cancelled outbox rows. Rows locked by another instance are skipped. Returns the ids.
 */
export async function expireDue(deps: OrdersDeps, batch: number): Promise<string[]> {
  const ids = await deps.repository.transaction(async (tx) => {
    const due = await tx.lockExpired(deps.now(), batch);
    const cancelled = await cancelLocked(deps, tx, due, 'EXPIRED');
    return cancelled.map((o) => o.id);
  });
  if (ids.length > 0) deps.log.info({ count: ids.length }, 'expired unpaid orders');
  return ids;
}

/** Moves locked orders to CANCELLED and writes their outbox rows (same transaction). */
async function cancelLocked(
  deps: OrdersDeps,
  tx: OrdersTx,
  orders: OrderModel[],
  reason: CancelReason,
): Promise<OrderModel[]> {
  if (orders.length === 0) return [];
  const at = deps.now();
  const cancelled = orders.map((o) => ({
    ...o,
    status: transition(o.status, 'CANCELLED'),
    cancelledAt: at,
  }));
  const items = await tx.itemsFor(cancelled.map((o) => o.id));
  await tx.markCancelled(
    cancelled.map((o) => o.id),
    reason,
    at,
  );
  await tx.insertOutbox(
    cancelled.map((o) => {
      const eventId = randomUUID();
      const payload: OrderCancelledEvent = {
        eventId,
        orderId: o.id,
        userId: o.userId,
        reason,
        items: items
          .filter((i) => i.orderId === o.id)
          .map((i) => ({ productId: i.productId, quantity: i.quantity })),
        cancelledAt: at.toISOString(),
      };
      return { eventId, kind: 'orders.cancelled' as const, payload, createdAt: at };
    }),
  );
  return cancelled;
}

/**
 * orders.payable: may this user pay this order, and how much. A yes also extends the order's
 * expiry to at least now + paymentLeaseSeconds (under the row lock), so the order cannot expire
 * while payments charges the card.
 */
export async function payable(deps: OrdersDeps, orderId: string, userId: string): Promise<PayableReply> {
  return deps.repository.transaction(async (tx): Promise<PayableReply> => {
    const order = await tx.lockOrder(orderId);
    if (!order) return { ok: false, code: 'NOT_FOUND', message: `no order ${orderId}` };
    if (order.userId !== userId)
      return { ok: false, code: 'FORBIDDEN', message: 'the order belongs to another user' };
    if (!isPayable(order.status)) {
      return {
        ok: false,
        code: 'NOT_PAYABLE',
        message: `the order is ${order.status}`,
        status: order.status,
      };
    }
    const now = deps.now().getTime();
    if (order.expiresAt.getTime() <= now) {
      return { ok: false, code: 'NOT_PAYABLE', message: 'the order has expired', status: order.status };
    }
    await tx.extendExpiry(order.id, new Date(now + deps.paymentLeaseSeconds * 1000));
    return { ok: true, orderId: order.id, userId: order.userId, amount: order.total, status: order.status };
  });
}

/**
 * Applies payments.succeeded / payments.failed in one transaction: the event id is recorded
 * (a redelivered event is a no-op), the order moves to PAID with an orders.paid outbox row, or
 * the failure is recorded and the order stays payable.
 */
export async function applyPaymentEvent(deps: OrdersDeps, event: PaymentEvent): Promise<PaymentOutcome> {
  const outcome = await deps.repository.transaction(async (tx): Promise<PaymentOutcome> => {
    const at = deps.now();
    const fresh = await tx.recordEvent(event.eventId, event.orderId, `payment.${event.status}`, at);
    if (!fresh) return 'DUPLICATE';
    const order = await tx.lockOrder(event.orderId);
    const decided = await decidePayment(tx, event, order, at);
    await tx.setEventOutcome(event.eventId, decided);
    return decided;
  });
  const level =
    outcome === 'PAID' || outcome === 'FAILURE_RECORDED' || outcome === 'DUPLICATE' ? 'info' : 'warn';
  deps.log[level](
    { eventId: event.eventId, orderId: event.orderId, paymentId: event.paymentId, outcome },
    'payment event applied',
  );
  return outcome;
}

async function decidePayment(
  tx: OrdersTx,
  event: PaymentEvent,
  order: OrderModel | null,
  at: Date,
): Promise<PaymentOutcome> {
  if (!order) return 'ORDER_NOT_FOUND';
  if (event.status === 'FAILED') {
    if (order.status === 'PENDING_PAYMENT')
      await tx.recordPaymentFailure(order.id, event.failureReason ?? 'payment failed');
    return 'FAILURE_RECORDED';
  }
  if (order.status === 'PAID') return 'ALREADY_PAID';
  // Money was taken for an order that already expired or was cancelled. Recorded, nothing emitted;
  // the right follow-up is a refund (payments.refund), which is out of scope here.
  if (order.status === 'CANCELLED') return 'PAID_AFTER_CANCEL';
  if (event.amount.amount !== order.total.amount || event.amount.currency !== order.total.currency)
    return 'AMOUNT_MISMATCH';
  transition(order.status, 'PAID');
  const items = await tx.itemsFor([order.id]);
  await tx.markPaid(order.id, event.paymentId, at);
  const eventId = randomUUID();
  const payload: OrderPaidEvent = {
    eventId,
    orderId: order.id,
    orderNumber: order.number,
    userId: order.userId,
    paymentId: event.paymentId,
    total: order.total,
    items: items.map(toEventItem),
    paidAt: at.toISOString(),
  };
  await tx.insertOutbox([{ eventId, kind: 'orders.paid', payload, createdAt: at }]);
  return 'PAID';
}

const toEventItem = (i: OrderItemModel) => ({
  productId: i.productId,
  name: i.productName,
  quantity: i.quantity,
  unitPrice: i.unitPrice,
  lineTotal: i.lineTotal,
});
