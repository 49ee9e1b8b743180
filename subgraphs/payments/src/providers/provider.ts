import type { Money } from '@shop/graphql';
import type { DeclineReason } from '../models';

/** What the provider receives: the full card, once, in memory only. */
export interface ChargeRequest {
  /** Our payment id; providers that support it use it as their own idempotency key. */
  paymentId: string;
  /** The order paid (canonical; providers attach it to the charge as metadata). */
  orderId: string;
  amount: Money;
  card: { number: string; expMonth: number; expYear: number; cvc: string; holderName: string };
  description: string;
  /**
   * Aborted when the service stops waiting (PROVIDER_TIMEOUT_MS): the provider gives up the call and
   * must not charge after it (a real provider passes it to its HTTP client and, where the processor
   * may still have taken the charge, voids it by paymentId, its idempotency key).
   */
  signal: AbortSignal;
}

export type ChargeResult =
  | { outcome: 'SUCCEEDED'; chargeId: string }
  | { outcome: 'DECLINED'; reason: DeclineReason; message: string };

/** The provider could not be reached or failed; nothing was charged. */
export class ProviderUnavailableError extends Error {
  constructor(message = 'The payment provider is unavailable') {
    super(message);
    this.name = 'ProviderUnavailableError';
  }
}

/** What a refund asks the processor for: part or all of one successful charge. */
export interface RefundRequest {
  /** Our payment id (metadata on the processor's refund). */
  paymentId: string;
  /** The processor's charge to give back (from the charge's result). */
  chargeId: string;
  /** How much to give back; at most what is left of the charge. */
  amount: Money;
  /**
   * The processor's idempotency key: the same key again returns the same refund and moves no money a
   * second time. Payments uses `refund:<paymentId>:<reason>`, so a redelivered request after a crash
   * between the processor and Redis reuses it.
   */
  idempotencyKey: string;
}

export interface RefundResult {
  /** The processor's id of the refund. */
  refundId: string;
}

/** The processor refused the refund for good (more than what is left, unknown charge): no retry helps. */
export class RefundRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefundRefusedError';
  }
}

/**
 * A card processor. The service depends only on this interface, so a real provider (an HTTP API
 * client) is one more implementation of it, picked in createApp.
 */
export interface PaymentProvider {
  readonly name: string;
  /** Charges the card. Throws ProviderUnavailableError when the outcome is "nothing happened". */
  charge(request: ChargeRequest): Promise<ChargeResult>;
  /**
   * Gives back part or all of a successful charge, idempotent per `idempotencyKey`. Throws
   * ProviderUnavailableError when the processor is down (nothing moved; retry with the same key) and
   * RefundRefusedError when it refuses (e.g. more than is left of the charge).
   */
  refund(request: RefundRequest): Promise<RefundResult>;
}
