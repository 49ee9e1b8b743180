import type { Money } from '@shop/graphql';
import type { DeclineReason } from '../models';

/** What the provider receives: the full card, once, in memory only. */
export interface ChargeRequest {
  /** Our payment id; providers that support it use it as their own idempotency key. */
  paymentId: string;
  amount: Money;
  card: { number: string; expMonth: number; expYear: number; cvc: string; holderName: string };
  description: string;
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
