import { randomUUID } from 'node:crypto';
import { canAccess, requireViewer, type Viewer } from '@shop/auth';
import {
  isOrderId,
  isPaymentId,
  isUserId,
  type OrderCancelledEvent,
  type OrderPaidEvent,
  type PayableReply,
  type PaymentEvent,
  type RefundReason,
  type RefundRequestedEvent,
} from '@shop/messaging';
import {
  asResult,
  type CancelReason,
  type OrderItemModel,
  type OrderModel,
  type OrderResult,
  type UnmatchedChargeReason,
} from './models';
import { canTransition, isPayable, transition } from './order-state';
import type { OrdersTx } from './orders.repository';
import type { OrdersDeps } from './orders.service';

/** After placing: cancelling, expiry, orders.payable and the payment events. */

export type CancelOrderResult =
  | OrderResult
  | { __typename: 'OrderNotFoundError'; message: string; orderId: string }
  | { __typename: 'OrderNotCancellableError'; message: string; status: OrderModel['status'] }
  | { __typename: 'OrderPaymentInProgressError'; message: string; retryAfter: Date };

/** What applying a payment event did (recorded with the event id). */
export type PaymentOutcome =
  | 'DUPLICATE'
  | 'ORDER_NOT_FOUND'
  | 'PAID'
  | 'ALREADY_PAID'
  | 'PAID_AFTER_CANCEL'
  | 'AMOUNT_MISMATCH'
  | 'FAILURE_RECORDED'
  | 'IGNORED';

/**
 * Cancels the viewer's own unpaid order (admins: any). Others' orders, and ids not in the issued
 * form, read as not found. While a payment lease runs (payments may be charging the card right
 * now) the cancel is refused with OrderPaymentInProgressError: cancelling then could leave a charge
 * on a cancelled order. Once the lease is over it works (a declined charge does not end the lease early:
 * its event may arrive after the next attempt's lease began).
 */
export async function cancelOrder(
  deps: OrdersDeps,
  viewerOrNull: Viewer | null,
  orderId: string,
): Promise<CancelOrderResult> {
  const viewer = requireViewer(viewerOrNull);
  const notFound = { __typename: 'OrderNotFoundError' as const, message: `No order ${orderId}.`, orderId };
  if (!isOrderId(orderId)) return notFound;
  const result = await deps.repository.transaction(async (tx): Promise<CancelOrderResult> => {
    const order = await tx.lockOrder(orderId);
    if (!order || !canAccess(viewer, order.userId)) return notFound;
    if (!canTransition(order.status, 'CANCELLED')) {
      return {
        __typename: 'OrderNotCancellableError',
        message: `The order is ${order.status} and cannot be cancelled.`,
        status: order.status,
      };
    }
    const lease = order.paymentLeaseUntil;
    if (lease && lease.getTime() > deps.now().getTime()) {
      return {
        __typename: 'OrderPaymentInProgressError',
        message: `A payment of this order is in progress; it can be cancelled after ${lease.toISOString()} unless it is paid by then.`,
        retryAfter: lease,
      };
    }
    const [cancelled] = await cancelLocked(deps, tx, [order], 'CANCELLED_BY_USER');
    return asResult(cancelled!);
  });
  if (result.__typename === 'Order') deps.log.info({ orderId }, 'order cancelled by the customer');
  if (result.__typename === 'OrderPaymentInProgressError')
    deps.log.info({ orderId }, 'cancel refused: a payment is in progress');
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

/**
 * Moves locked orders to CANCELLED, gives their discount codes' uses back and writes their outbox
 * rows (same transaction).
 */
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
  // The discount codes' uses go back in the same transaction: the orders are locked and were
  // PENDING_PAYMENT, so each gives its use back exactly once (a cancel racing the expiry finds the
  // order CANCELLED and does nothing).
  await deps.discounts.giveBack(
    tx,
    cancelled.filter((o) => o.discountCode !== null).map((o) => o.id),
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
          .map((i) => ({ productId: i.productId, variantId: i.variantId, quantity: i.quantity })),
        cancelledAt: at.toISOString(),
      };
      return { eventId, kind: 'orders.cancelled' as const, payload, createdAt: at };
    }),
  );
  return cancelled;
}

/**
 * orders.payable: may this user pay this order, and how much. A yes grants payments a lease of
 * paymentLeaseSeconds (under the row lock): until it ends the order can neither expire nor be
 * cancelled, so a charge in progress never lands on a cancelled order. A lease is granted whole or
 * not at all, and never reaches past the order's hard deadline (placement + maxOrderAgeSeconds):
 * however often payment is attempted, the order's stock is held no longer than that.
 */
export async function payable(deps: OrdersDeps, orderId: string, userId: string): Promise<PayableReply> {
  // Ids not in the issued form name nothing: no lock, no query.
  if (!isOrderId(orderId) || !isUserId(userId))
    return { ok: false, code: 'NOT_FOUND', message: `no order ${orderId}` };
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
    const leaseUntil = now + deps.paymentLeaseSeconds * 1000;
    const deadline = order.createdAt.getTime() + deps.maxOrderAgeSeconds * 1000;
    if (leaseUntil > deadline) {
      return {
        ok: false,
        code: 'NOT_PAYABLE',
        message: `the order is too old to start a payment (deadline ${new Date(deadline).toISOString()})`,
        status: order.status,
      };
    }
    await tx.grantLease(order.id, new Date(leaseUntil));
    return { ok: true, orderId: order.id, userId: order.userId, amount: order.total, status: order.status };
  });
}

/**
 * Applies payments.succeeded / payments.failed in one transaction: the event id is recorded
 * (a redelivered event is a no-op), the order moves to PAID with an orders.paid outbox row, or
 * the failure is recorded and the order stays payable. A success that pays nothing (the order was
 * cancelled or already paid, the amount differs, no such order) is kept in unmatched_charges, to
 * be refunded. An event whose ids are not in the issued form is ignored (and acked): it never
 * reaches MySQL.
 */
export async function applyPaymentEvent(deps: OrdersDeps, event: PaymentEvent): Promise<PaymentOutcome> {
  if (
    ![event.eventId, event.paymentId].every(isPaymentId) ||
    !isOrderId(event.orderId) ||
    !isUserId(event.userId)
  ) {
    deps.log.warn(
      { eventId: event.eventId, orderId: event.orderId, paymentId: event.paymentId },
      'payment event with ids not in the issued form ignored',
    );
    return 'IGNORED';
  }
  const { outcome, unmatched } = await deps.repository.transaction(async (tx) => {
    const at = deps.now();
    const fresh = await tx.recordEvent(event.eventId, event.orderId, `payment.${event.status}`, at);
    if (!fresh) return { outcome: 'DUPLICATE' as PaymentOutcome, unmatched: null };
    const order = await tx.lockOrder(event.orderId);
    const decided = await decidePayment(tx, event, order, at);
    await tx.setEventOutcome(event.eventId, decided);
    const unmatched = event.status === 'SUCCEEDED' ? unmatchedReason(decided, order, event) : null;
    if (unmatched) {
      const recorded = await tx.recordUnmatchedCharge({
        paymentId: event.paymentId,
        orderId: event.orderId,
        userId: event.userId,
        reason: unmatched,
        amount: event.amount,
        orderStatus: order?.status ?? 'NONE',
        recordedAt: at,
      });
      // The refund is asked for in the same transaction as the row, once per payment id.
      if (recorded) await requestRefund(tx, event, REFUND_REASONS[unmatched], at);
    }
    return { outcome: decided, unmatched };
  });
  const fields = { eventId: event.eventId, orderId: event.orderId, paymentId: event.paymentId, outcome };
  if (unmatched) {
    // Money was taken and paid for nothing: an operator (and the refunds) must see it.
    const open = await deps.refunds.countUnrefundedCharges().catch(() => null);
    deps.log.error(
      { ...fields, reason: unmatched, unrefundedCharges: open },
      'charge paid nothing; kept for a refund',
    );
  } else {
    const level =
      outcome === 'PAID' || outcome === 'FAILURE_RECORDED' || outcome === 'DUPLICATE' ? 'info' : 'warn';
    deps.log[level](fields, 'payment event applied');
  }
  return outcome;
}

/** The refund reason of each kind of unmatched charge. */
const REFUND_REASONS: Record<UnmatchedChargeReason, RefundReason> = {
  PAID_AFTER_CANCEL: 'CANCELLED_ORDER',
  SECOND_CHARGE: 'DUPLICATE_CHARGE',
  AMOUNT_MISMATCH: 'WRONG_AMOUNT',
  ORDER_NOT_FOUND: 'UNKNOWN_ORDER',
};

/** Writes the orders.refund_requested outbox row of a payment (inside the caller's transaction). */
export async function requestRefund(
  tx: OrdersTx,
  charge: { orderId: string; userId: string; paymentId: string; amount: RefundRequestedEvent['amount'] },
  reason: RefundReason,
  at: Date,
): Promise<void> {
  const eventId = randomUUID();
  const payload: RefundRequestedEvent = {
    eventId,
    orderId: charge.orderId,
    userId: charge.userId,
    paymentId: charge.paymentId,
    amount: charge.amount,
    reason,
    requestedAt: at.toISOString(),
  };
  await tx.insertOutbox([{ eventId, kind: 'orders.refund_requested', payload, createdAt: at }]);
}

/** Which kind of unmatched charge a successful payment event is, or null when it paid the order. */
function unmatchedReason(
  outcome: PaymentOutcome,
  order: OrderModel | null,
  event: PaymentEvent,
): UnmatchedChargeReason | null {
  switch (outcome) {
    case 'PAID_AFTER_CANCEL':
    case 'AMOUNT_MISMATCH':
    case 'ORDER_NOT_FOUND':
      return outcome;
    case 'ALREADY_PAID':
      return order?.paymentId === event.paymentId ? null : 'SECOND_CHARGE';
    default:
      return null;
  }
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
  // Paid before (and maybe shipped, delivered or refunded since): this charge pays nothing more.
  if ((['PAID', 'FULFILLED', 'DELIVERED', 'REFUNDED'] as string[]).includes(order.status))
    return 'ALREADY_PAID';
  // Money was taken for an order that already expired or was cancelled: kept as an unmatched charge
  // (applyPaymentEvent), nothing emitted; the refund is payments' to make.
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
    subtotal: order.subtotal,
    shipping: order.shipping,
    discount: order.discount,
    vat: order.vat,
    vatRateBasisPoints: order.vatRateBasisPoints,
    discountCode: order.discountCode,
    shippingMethod: order.shippingMethod,
    shippingAddress: order.shippingAddress,
  };
  await tx.insertOutbox([{ eventId, kind: 'orders.paid', payload, createdAt: at }]);
  return 'PAID';
}

const toEventItem = (i: OrderItemModel) => ({
  productId: i.productId,
  variantId: i.variantId,
  name: i.productName,
  variantTitle: i.variantTitle,
  quantity: i.quantity,
  unitPrice: i.unitPrice,
  lineTotal: i.lineTotal,
});
