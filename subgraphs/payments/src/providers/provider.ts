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

/**
 * A card processor. The service depends only on this interface, so a real provider (an HTTP API
 * client) is one more implementation of it, picked in createApp.
 */
export interface PaymentProvider {
  readonly name: string;
  /** Charges the card. Throws ProviderUnavailableError when the outcome is "nothing happened". */
  charge(request: ChargeRequest): Promise<ChargeResult>;
  /** Gives back a successful charge (used when a charge cannot be recorded). */
  refund(chargeId: string): Promise<void>;
}
