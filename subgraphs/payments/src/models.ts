import type { Money } from '@shop/graphql';
import type { RefundReason } from '@shop/messaging';

export type { RefundReason };

/** REQUIRES_ACTION: the customer is authenticating; the provider's webhook settles it. */
export type PaymentStatus = 'SUCCEEDED' | 'FAILED' | 'REQUIRES_ACTION';
export type DeclineReason =
  'CARD_DECLINED' | 'INSUFFICIENT_FUNDS' | 'EXPIRED_CARD' | 'INCORRECT_CVC' | 'AUTHENTICATION_FAILED';
export const DECLINE_REASONS: readonly DeclineReason[] = [
  'CARD_DECLINED',
  'INSUFFICIENT_FUNDS',
  'EXPIRED_CARD',
  'INCORRECT_CVC',
  'AUTHENTICATION_FAILED',
];

export type CardBrand = 'VISA' | 'MASTERCARD' | 'AMEX' | 'DISCOVER' | 'UNKNOWN';

/** What is kept of a card: never the number or the CVC. */
export interface StoredCard {
  brand: CardBrand;
  last4: string;
  expMonth: number;
  expYear: number;
}

/** A recorded charge attempt, as stored in Redis. */
export interface PaymentModel {
  id: string;
  orderId: string;
  userId: string;
  amount: Money;
  status: PaymentStatus;
  card: StoredCard;
  failureReason: DeclineReason | null;
  createdAt: Date;
  /** The processor's charge id (null for a FAILED attempt and for payments recorded before refunds). */
  chargeId: string | null;
  /** Minor units given back so far (the sum of its refunds), kept in the payment's hash. */
  refundedAmount: number;
  /**
   * What the customer was asked to do (3-D Secure), kept after the payment is settled; null for a
   * payment that never required action.
   */
  action: PaymentActionModel | null;
}

/** Where the customer authenticates, and until when the provider waits. */
export interface PaymentActionModel {
  type: 'REDIRECT_TO_URL';
  url: string;
  expiresAt: Date;
}

/** The status shown: a succeeded payment given back in part or in full says so. */
export function effectiveStatus(
  p: Pick<PaymentModel, 'status' | 'amount' | 'refundedAmount'>,
): PaymentStatus | 'REFUNDED' | 'PARTIALLY_REFUNDED' {
  if (p.status !== 'SUCCEEDED' || p.refundedAmount <= 0) return p.status;
  return p.refundedAmount >= p.amount.amount ? 'REFUNDED' : 'PARTIALLY_REFUNDED';
}

/** A refund of (part of) a payment, at most one per (payment, reason). */
export interface RefundModel {
  id: string;
  paymentId: string;
  amount: Money;
  reason: RefundReason;
  /** The processor's refund id. */
  providerRefundId: string;
  createdAt: Date;
}

/** What a refund request ends in (the consumer logs and acks every one of them). */
export type RefundOutcome =
  | { kind: 'REFUNDED'; refund: RefundModel }
  | { kind: 'ALREADY_REFUNDED'; refund: RefundModel }
  | { kind: 'REFUSED'; message: string };

/** The payments subgraph's view of an Order: only its key. */
export interface OrderRef {
  id: string;
}

export interface PaymentSucceededModel {
  __typename: 'PaymentSucceeded';
  payment: PaymentModel;
}

export interface CardDeclinedModel {
  __typename: 'CardDeclinedError';
  message: string;
  reason: DeclineReason;
  payment: PaymentModel;
}

export interface PaymentRequiresActionModel {
  __typename: 'PaymentRequiresAction';
  payment: PaymentModel;
  action: PaymentActionModel;
}

/** Every answer payOrder can give (the GraphQL union PayOrderResult). */
export type PayOrderResult =
  | PaymentSucceededModel
  | PaymentRequiresActionModel
  | CardDeclinedModel
  | { __typename: 'PaymentMethodInvalidError'; message: string }
  | { __typename: 'InvalidInputError'; message: string; field: string }
  | { __typename: 'OrderNotPayableError'; message: string; status: string }
  | { __typename: 'PaymentOrderNotFoundError'; message: string; orderId: string }
  | { __typename: 'PaymentIdempotencyKeyReusedError'; message: string; idempotencyKey: string }
  | { __typename: 'PaymentProviderUnavailableError'; message: string }
  | { __typename: 'OrderServiceUnavailableError'; message: string };

/**
 * What the idempotency record remembers of a finished charge attempt: enough to give the answer
 * again, read back from the payment as it is now (a REQUIRES_ACTION payment may have been settled
 * by its webhook since).
 */
export type StoredOutcome =
  | { kind: 'SUCCEEDED'; paymentId: string }
  | { kind: 'REQUIRES_ACTION'; paymentId: string }
  | { kind: 'DECLINED'; paymentId: string; reason: DeclineReason; message: string };
