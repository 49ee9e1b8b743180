import type { Money } from '@shop/graphql';
import type { DeclineReason, StoredCard } from '../models';

/**
 * The payment service provider as payments sees it. Card data never reaches the graph: the
 * customer's browser posts the card to the provider (its tokenisation endpoint, a PSP's hosted
 * fields) and payOrder receives the single-use token it issued (docs/payment-provider.md).
 */
export interface ChargeRequest {
  /** Our payment id: the provider's idempotency key of the charge (the same id never charges twice). */
  paymentId: string;
  /** The order paid (canonical; attached to the charge as metadata, and back in its webhooks). */
  orderId: string;
  amount: Money;
  /** The provider's payment method token (tok_… from the test PSP, pm_… from Stripe). */
  paymentMethod: string;
  description: string;
  /**
   * Aborted when the service stops waiting (PROVIDER_TIMEOUT_MS): the provider gives up the call.
   * A charge it took anyway is reported by its webhook and refunded (payments.webhooks.ts).
   */
  signal: AbortSignal;
}

/** The outcome of a charge (or of a charge looked up later). */
export type ChargeResult =
  | { outcome: 'SUCCEEDED'; chargeId: string; card: StoredCard }
  | {
      outcome: 'DECLINED';
      chargeId: string | null;
      card: StoredCard | null;
      reason: DeclineReason;
      message: string;
    }
  | {
      outcome: 'REQUIRES_ACTION';
      chargeId: string;
      card: StoredCard;
      /** Where the customer authenticates, and until when the provider waits. */
      action: { url: string; expiresAt: Date };
    }
  /** The token is unknown, expired or used: nothing was charged (and no payment is recorded). */
  | { outcome: 'INVALID_PAYMENT_METHOD'; message: string };

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

/** A webhook whose signature is missing, wrong, or too old (a replay): refused with 400 and logged. */
export class WebhookSignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookSignatureError';
  }
}

/**
 * A verified provider event about one of our charges. Only the outcomes payments acts on are
 * events; anything else the provider sends parses to null (acknowledged, ignored).
 */
export interface ProviderEvent {
  /** The provider's event id: handled at most once (payments remembers it). */
  id: string;
  type: 'charge.succeeded' | 'charge.failed';
  chargeId: string;
  /** Our payment id and order id, from the charge's metadata. */
  paymentId: string;
  orderId: string;
  amount: Money;
  card: StoredCard | null;
  /** For charge.failed: why (AUTHENTICATION_FAILED for a failed or abandoned authentication). */
  reason: DeclineReason | null;
  message: string | null;
}

/** The headers of an HTTP request, as Fastify and Node give them. */
export type WebhookHeaders = Record<string, string | string[] | undefined>;

/**
 * A payment service provider. The service depends only on this interface; `PAYMENT_PROVIDER`
 * picks the implementation in createApp: the test PSP over HTTP (the default) or Stripe.
 */
export interface PaymentProvider {
  readonly name: string;
  /** Charges the token. Throws ProviderUnavailableError when the outcome is "nothing happened". */
  charge(request: ChargeRequest): Promise<ChargeResult>;
  /**
   * Gives back part or all of a successful charge, idempotent per `idempotencyKey`. Throws
   * ProviderUnavailableError when the processor is down (nothing moved; retry with the same key) and
   * RefundRefusedError when it refuses (e.g. more than is left of the charge).
   */
  refund(request: RefundRequest): Promise<RefundResult>;
  /**
   * The charge's state now (for a payment awaiting authentication whose webhook did not come).
   * Throws ProviderUnavailableError when the provider cannot be asked.
   */
  retrieveCharge(chargeId: string): Promise<ChargeResult>;
  /**
   * Gives up a charge awaiting authentication (abandoned, or replaced by a new payOrder); answers
   * the charge's final state (DECLINED/AUTHENTICATION_FAILED when cancelled, SUCCEEDED when the
   * customer completed it first).
   */
  cancelCharge(chargeId: string): Promise<ChargeResult>;
  /**
   * Verifies a webhook's signature over its raw body (and its timestamp: older than the tolerance is
   * a replay) and parses it. Throws WebhookSignatureError; answers null for events payments ignores.
   */
  parseWebhook(rawBody: Buffer, headers: WebhookHeaders): ProviderEvent | null;
}
