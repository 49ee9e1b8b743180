import type { CardSummary } from './card';

/** An amount in minor units of an ISO-4217 currency. */
export interface Money {
  amount: number;
  currency: string;
}

/** payments' PaymentFailureReason values the processor answers. */
export type DeclineReason =
  'CARD_DECLINED' | 'INSUFFICIENT_FUNDS' | 'EXPIRED_CARD' | 'INCORRECT_CVC' | 'AUTHENTICATION_FAILED';

/**
 * `declined`: refused at once; `requires_action`: waiting for the customer's authentication;
 * `failed`: the authentication failed, was abandoned or cancelled (AUTHENTICATION_FAILED).
 */
export type ChargeStatus = 'succeeded' | 'declined' | 'requires_action' | 'failed';

export interface ChargeAction {
  type: 'redirect_to_url';
  /** The issuer's challenge page: <PUBLIC_URL>/v1/authentications/<charge id>. */
  url: string;
  /** ISO-8601: when the authentication is abandoned. */
  expiresAt: string;
}

/** A charge as the API answers it (and as the webhooks carry it). No card number, no CVC. */
export interface Charge {
  id: string;
  status: ChargeStatus;
  paymentId: string;
  orderId: string;
  amount: Money;
  description: string;
  card: CardSummary;
  declineReason: DeclineReason | null;
  message: string | null;
  action: ChargeAction | null;
  /** ISO-8601. */
  created: string;
}

/** A refund the processor made. */
export interface Refund {
  id: string;
  charge: string;
  paymentId: string;
  amount: Money;
  idempotencyKey: string;
  /** ISO-8601. */
  created: string;
}

export interface ChargeEvent {
  type: 'charge.succeeded' | 'charge.failed';
  charge: Charge;
}

/** A successful charge, as the old in-process test provider listed them (`succeeded`). */
export interface TestCharge {
  chargeId: string;
  paymentId: string;
  orderId: string;
  amount: Money;
}
