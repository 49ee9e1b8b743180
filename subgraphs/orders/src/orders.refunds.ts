import { randomUUID } from 'node:crypto';
import { requireAdmin, type Viewer } from '@shop/auth';
import {
  isOrderId,
  isPaymentId,
  isUserId,
  type OrderRefundedEvent,
  type PaymentRefundedEvent,
} from '@shop/messaging';
import { asResult, type OrderModel, type OrderResult } from './models';
import { isRefundable, transition } from './order-state';
import { requestRefund } from './orders.lifecycle';
import type { AuditCounts } from './refunds.repository';
import type { OrdersDeps } from './orders.service';

/** Refunds: an admin's refundOrder, payments.refunded, and the audit of charges against statuses. */

export type RefundOrderResult =
  | OrderResult
  | { __typename: 'OrderNotFoundError'; message: string; orderId: string }
  | { __typename: 'OrderNotRefundableError'; message: string; status: OrderModel['status'] };

/** What applying payments.refunded did. */
export type RefundOutcome =
  'DUPLICATE' | 'IGNORED' | 'CHARGE_REFUNDED' | 'ORDER_REFUNDED' | 'NOTHING_TO_MARK';

/**
 * refundOrder: admins only (FORBIDDEN for anyone else, UNAUTHENTICATED without a viewer). A PAID,
 * FULFILLED or DELIVERED order moves to REFUNDED under its row lock (its carrier, tracking number
 * and fulfilment times are kept), with its orders.refund_requested outbox row
 * (ADMIN_REFUND, its payment and total) in the same transaction. An order already REFUNDED is
 * answered as it is and asks for nothing again, so a repeated or concurrent call refunds once. Any
 * other status is OrderNotRefundableError; an id not in the issued form is not found, without a query.
 * Stock is not given back: the goods may have shipped (an admin uses adjustStock).
 */
export async function refundOrder(
  deps: OrdersDeps,
  viewer: Viewer | null,
  orderId: string,
): Promise<RefundOrderResult> {
  requireAdmin(viewer);
  const notFound = { __typename: 'OrderNotFoundError' as const, message: `No order ${orderId}.`, orderId };
  if (!isOrderId(orderId)) return notFound;
  let requested = false;
  const result = await deps.repository.transaction(async (tx): Promise<RefundOrderResult> => {
    const order = await tx.lockOrder(orderId);
    if (!order) return notFound;
    if (order.status === 'REFUNDED') return asResult(order);
    if (!isRefundable(order.status) || order.paymentId === null) {
      return {
        __typename: 'OrderNotRefundableError',
        message: `The order is ${order.status} and cannot be refunded.`,
        status: order.status,
      };
    }
    const at = deps.now();
    const status = transition(order.status, 'REFUNDED');
    if (!(await tx.markRefundRequested(order.id, at)))
      throw new Error(`order ${order.id} changed under its lock`);
    await requestRefund(
      tx,
      { orderId: order.id, userId: order.userId, paymentId: order.paymentId, amount: order.total },
      'ADMIN_REFUND',
      at,
    );
    requested = true;
    return asResult({ ...order, status, refundRequestedAt: at });
  });
  if (requested) deps.log.info({ orderId }, 'order refunded by an admin; refund requested');
  return result;
}

/**
 * payments.refunded in one transaction: the event id is recorded (a redelivery is a no-op), an
 * unmatched charge of that payment gets its refunded_at (once), and for an admin refund the
 * REFUNDED order gets refunded_at and an orders.refunded outbox row (once: the customer's email).
 * Ids not in the issued form are ignored (and acked) before MySQL.
 */
export async function applyRefundedEvent(
  deps: OrdersDeps,
  event: PaymentRefundedEvent,
): Promise<RefundOutcome> {
  if (
    !isPaymentId(event.paymentId) ||
    !isOrderId(event.orderId) ||
    !isUserId(event.userId) ||
    event.eventId.length > 64 ||
    event.refundId.length > 64
  ) {
    deps.log.warn(
      { eventId: event.eventId, orderId: event.orderId, paymentId: event.paymentId },
      'refund event with ids not in the issued form ignored',
    );
    return 'IGNORED';
  }
  const outcome = await deps.repository.transaction(async (tx): Promise<RefundOutcome> => {
    const at = deps.now();
    const fresh = await tx.recordEvent(event.eventId, event.orderId, 'payment.refunded', at);
    if (!fresh) return 'DUPLICATE';
    let decided: RefundOutcome = 'NOTHING_TO_MARK';
    if (event.reason === 'ADMIN_REFUND') {
      const order = await tx.lockOrder(event.orderId);
      if (order && order.paymentId === event.paymentId && order.status === 'REFUNDED') {
        if (await tx.markOrderRefunded(order.id, event.refundId, at)) {
          const eventId = randomUUID();
          const payload: OrderRefundedEvent = {
            eventId,
            orderId: order.id,
            orderNumber: order.number,
            userId: order.userId,
            paymentId: event.paymentId,
            amount: event.amount,
            refundedAt: event.refundedAt,
          };
          await tx.insertOutbox([{ eventId, kind: 'orders.refunded', payload, createdAt: at }]);
          decided = 'ORDER_REFUNDED';
        }
      }
    } else if (await tx.markChargeRefunded(event.paymentId, at)) {
      decided = 'CHARGE_REFUNDED';
    }
    await tx.setEventOutcome(event.eventId, decided);
    return decided;
  });
  deps.log[outcome === 'NOTHING_TO_MARK' ? 'warn' : 'info'](
    { eventId: event.eventId, orderId: event.orderId, paymentId: event.paymentId, outcome },
    'refund event applied',
  );
  return outcome;
}

/** What the audit job found, and how often it found anything. */
export interface AuditState {
  runs: number;
  /** Runs that found at least one disagreement. */
  failedRuns: number;
  last: AuditCounts | null;
}

/**
 * The audit: counts what disagrees (unmatched charges not refunded and admin refunds not confirmed
 * after `graceSeconds`, paid (PAID, FULFILLED, DELIVERED) or REFUNDED orders without a payment id)
 * and logs it at error.
 */
export async function auditCharges(
  deps: OrdersDeps,
  state: AuditState,
  graceSeconds: number,
): Promise<AuditCounts> {
  const counts = await deps.refunds.auditCounts(new Date(deps.now().getTime() - graceSeconds * 1000));
  state.runs += 1;
  state.last = counts;
  const total = counts.unrefundedCharges + counts.unconfirmedRefunds + counts.paidWithoutPayment;
  if (total > 0) {
    state.failedRuns += 1;
    deps.log.error({ ...counts, graceSeconds }, 'audit: charges and order statuses disagree');
  }
  return counts;
}
