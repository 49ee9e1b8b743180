import type { OrderStatus } from './models';

/**
 * The order state machine, the one place that decides which status changes are legal:
 *
 *   PENDING_PAYMENT -> PAID        (payment succeeded)
 *   PENDING_PAYMENT -> CANCELLED   (cancelled by the customer, or expired unpaid)
 *   PAID            -> REFUNDED    (an admin refunded it: refundOrder)
 *
 * CANCELLED and REFUNDED are final.
 */
const TRANSITIONS: Record<OrderStatus, readonly OrderStatus[]> = {
  PENDING_PAYMENT: ['PAID', 'CANCELLED'],
  PAID: ['REFUNDED'],
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

/** True while an admin can refund the order (refundOrder). */
export const isRefundable = (status: OrderStatus) => canTransition(status, 'REFUNDED');
