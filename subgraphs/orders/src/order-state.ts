import type { OrderStatus } from './models';

/**
 * The order state machine, the one place that decides which status changes are legal:
 *
 *   PENDING_PAYMENT -> PAID        (payment succeeded)
 *   PENDING_PAYMENT -> CANCELLED   (cancelled by the customer, or expired unpaid)
 *   PAID            -> FULFILLED   (an admin handed it to a carrier: fulfillOrder)
 *   FULFILLED       -> DELIVERED   (an admin recorded its delivery: markOrderDelivered)
 *   PAID, FULFILLED, DELIVERED -> REFUNDED   (an admin refunded it: refundOrder)
 *
 * CANCELLED and REFUNDED are final. No status is ever entered twice (the graph has no cycle), so
 * one timestamp per status is the order's whole history (statusHistory in orders.fulfilment.ts).
 */
const TRANSITIONS: Record<OrderStatus, readonly OrderStatus[]> = {
  PENDING_PAYMENT: ['PAID', 'CANCELLED'],
  PAID: ['FULFILLED', 'REFUNDED'],
  FULFILLED: ['DELIVERED', 'REFUNDED'],
  DELIVERED: ['REFUNDED'],
  CANCELLED: [],
  REFUNDED: [],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export class IllegalTransitionError extends Error {
  constructor(
    readonly from: OrderStatus,
    readonly to: OrderStatus,
  ) {
    super(`an order cannot go from ${from} to ${to}`);
    this.name = 'IllegalTransitionError';
  }
}

/** Returns the new status or throws IllegalTransitionError. */
export function transition(from: OrderStatus, to: OrderStatus): OrderStatus {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
  return to;
}

/** True while the order can still be paid (and cancelled). */
export const isPayable = (status: OrderStatus) => canTransition(status, 'PAID');

/** True while an admin can refund the order (refundOrder): PAID, FULFILLED or DELIVERED. */
export const isRefundable = (status: OrderStatus) => canTransition(status, 'REFUNDED');

/** The statuses of an order whose payment succeeded and stands (not refunded): money is kept for it. */
export const PAID_STATUSES = ['PAID', 'FULFILLED', 'DELIVERED'] as const satisfies readonly OrderStatus[];

/** True when a payment succeeded for the order (it is paid, shipped, delivered or refunded). */
export const wasPaid = (status: OrderStatus) =>
  status === 'REFUNDED' || (PAID_STATUSES as readonly OrderStatus[]).includes(status);
