import type { Money } from '@shop/graphql';

/** The domain's model types: what the repository returns and the resolvers map from. */

export const ORDER_STATUSES = ['PENDING_PAYMENT', 'PAID', 'CANCELLED', 'REFUNDED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export interface OrderModel {
  id: string;
  /** Monotonic sequence number, the source of the human-friendly order number. */
  seq: number;
  number: string;
  userId: string;
  status: OrderStatus;
  total: Money;
  idempotencyKey: string;
  fingerprint: string;
  createdAt: Date;
  expiresAt: Date;
  paidAt: Date | null;
  cancelledAt: Date | null;
  paymentId: string | null;
  /**
   * Until when a charge may be in flight: orders.payable granted payments a lease that long. The
   * order can neither expire nor be cancelled before it ends. Null when no payment was ever asked for.
   */
  paymentLeaseUntil: Date | null;
  /** When an admin refunded the order (refundOrder asked payments for the refund); null otherwise. */
  refundRequestedAt: Date | null;
  /** When payments confirmed that refund (payments.refunded); null until then. */
  refundedAt: Date | null;
}

export interface OrderItemModel {
  orderId: string;
  position: number;
  productId: string;
  sku: string;
  productName: string;
  quantity: number;
  unitPrice: Money;
  lineTotal: Money;
}

export interface OrderWithItems {
  order: OrderModel;
  items: OrderItemModel[];
}

/** A User entity reference: orders only knows the id. */
export interface UserRef {
  id: string;
}

/** A Product entity reference: products resolves the rest. */
export interface ProductRef {
  id: string;
}

export type CancelReason = 'CANCELLED_BY_USER' | 'EXPIRED';

/**
 * Why a successful charge paid nothing: the order was cancelled (or expired) first, was already paid
 * by another charge, does not exist, or the amount differs. Each is recorded as an unmatched charge,
 * money that is to be given back.
 */
export type UnmatchedChargeReason =
  'PAID_AFTER_CANCEL' | 'SECOND_CHARGE' | 'AMOUNT_MISMATCH' | 'ORDER_NOT_FOUND';

/** A successful charge that did not pay its order (unmatched_charges). */
export interface UnmatchedChargeModel {
  paymentId: string;
  orderId: string;
  userId: string;
  reason: UnmatchedChargeReason;
  amount: Money;
  /** The order's status when the charge arrived (NONE when there is no such order). */
  orderStatus: OrderStatus | 'NONE';
  recordedAt: Date;
  refundedAt: Date | null;
}

/** SO-000042: the order number customers see. */
export const orderNumber = (seq: number) => `SO-${String(seq).padStart(6, '0')}`;

/** An order as the `Order` member of a mutation's result union. */
export type OrderResult = OrderModel & { __typename: 'Order' };
export const asResult = (order: OrderModel): OrderResult => ({ ...order, __typename: 'Order' });
