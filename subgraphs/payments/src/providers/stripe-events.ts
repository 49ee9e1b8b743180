import type Stripe from 'stripe';
import type { CardBrand, DeclineReason, StoredCard } from '../models';
import type { ChargeResult, ProviderEvent } from './provider';

/**
 * Pure mappings from Stripe's objects to the provider interface's (no I/O): the PaymentIntent's
 * status to a ChargeResult, Stripe's decline and error codes to our DeclineReason, a card's details
 * to a StoredCard, and a verified event to a ProviderEvent. stripe-provider.ts does the calls.
 */

// Maps, not object literals: a code such as `constructor` or `__proto__` must not find a prototype's.
const BRANDS = new Map<string, CardBrand>([
  ['visa', 'VISA'],
  ['mastercard', 'MASTERCARD'],
  ['amex', 'AMEX'],
  ['american_express', 'AMEX'],
  ['discover', 'DISCOVER'],
]);

/** Stripe's card brand (`visa`, `mastercard`, `amex`, ...) as ours; anything else is UNKNOWN. */
export function cardBrand(brand: string | null | undefined): CardBrand {
  return BRANDS.get((brand ?? '').toLowerCase()) ?? 'UNKNOWN';
}

/**
 * Stored when Stripe's answer carries no card details (neither the expanded payment method nor the
 * latest charge): the charge is recorded all the same, a missing detail never fails a charge taken.
 */
export const UNKNOWN_CARD: StoredCard = { brand: 'UNKNOWN', last4: '', expMonth: 0, expYear: 0 };

interface CardDetails {
  brand?: string | null;
  last4?: string | null;
  exp_month?: number | null;
  exp_year?: number | null;
}

function storedCard(card: CardDetails | null | undefined): StoredCard | null {
  if (!card || typeof card.last4 !== 'string') return null;
  return {
    brand: cardBrand(card.brand),
    last4: card.last4,
    expMonth: card.exp_month ?? 0,
    expYear: card.exp_year ?? 0,
  };
}

/** The card of a PaymentIntent: its expanded payment method's, else its latest charge's. */
export function cardOf(
  intent: Pick<Stripe.PaymentIntent, 'payment_method' | 'latest_charge'> | null | undefined,
  paymentMethod?: Stripe.PaymentMethod | null,
): StoredCard | null {
  if (paymentMethod) {
    const card = storedCard(paymentMethod.card);
    if (card) return card;
  }
  if (!intent) return null;
  if (intent.payment_method && typeof intent.payment_method === 'object') {
    const card = storedCard(intent.payment_method.card);
    if (card) return card;
  }
  if (intent.latest_charge && typeof intent.latest_charge === 'object') {
    return storedCard(intent.latest_charge.payment_method_details?.card);
  }
  return null;
}

const DECLINE_CODES = new Map<string, DeclineReason>([
  ['insufficient_funds', 'INSUFFICIENT_FUNDS'],
  ['expired_card', 'EXPIRED_CARD'],
  ['incorrect_cvc', 'INCORRECT_CVC'],
  ['invalid_cvc', 'INCORRECT_CVC'],
  ['authentication_required', 'AUTHENTICATION_FAILED'],
  ['authentication_not_handled', 'AUTHENTICATION_FAILED'],
  ['payment_intent_authentication_failure', 'AUTHENTICATION_FAILED'],
]);

/**
 * Why Stripe declined: its `decline_code` first (the issuer's reason), then its error `code`
 * (`expired_card`, `incorrect_cvc`, `payment_intent_authentication_failure`, ...). Everything else
 * (`card_declined`, `generic_decline`, `do_not_honor`, fraud, ...) is CARD_DECLINED.
 */
export function declineReason(
  error: { code?: string | null; decline_code?: string | null } | null | undefined,
): DeclineReason {
  const byDecline = error?.decline_code ? DECLINE_CODES.get(error.decline_code) : undefined;
  const byCode = error?.code ? DECLINE_CODES.get(error.code) : undefined;
  return byDecline ?? byCode ?? 'CARD_DECLINED';
}

/** The page where the customer authenticates, from `next_action` (null when there is none). */
export function actionUrl(nextAction: Stripe.PaymentIntent.NextAction | null | undefined): string | null {
  if (!nextAction) return null;
  if (nextAction.type === 'redirect_to_url') return nextAction.redirect_to_url?.url ?? null;
  if (nextAction.type === 'use_stripe_sdk') {
    // Stripe.js' payload; a 3-D Secure redirect carries its page as `stripe_js`.
    const sdk = nextAction.use_stripe_sdk as Record<string, unknown> | undefined;
    const url = sdk?.['stripe_js'];
    return typeof url === 'string' && /^https?:\/\//.test(url) ? url : null;
  }
  return null;
}

/** A PaymentIntent in a state the interface has no outcome for (processing, requires_capture, ...). */
export class UnsettledIntentError extends Error {
  constructor(readonly intent: Pick<Stripe.PaymentIntent, 'id' | 'status'>) {
    super(`Stripe PaymentIntent ${intent.id} is ${intent.status}; its webhook settles it`);
    this.name = 'UnsettledIntentError';
  }
}

/** The authentication a cancelled or failed intent ended in, in the customer's words. */
function failureMessage(intent: Stripe.PaymentIntent): string {
  if (intent.last_payment_error?.message) return intent.last_payment_error.message;
  if (intent.status === 'canceled') {
    return `The payment was cancelled${intent.cancellation_reason ? ` (${intent.cancellation_reason})` : ''}`;
  }
  return 'The card was declined';
}

/**
 * A PaymentIntent as a ChargeResult. `actionTtlSeconds` from its creation is when we stop waiting
 * for an authentication (Stripe itself waits until the intent is cancelled). A `requires_action`
 * without a page to send the customer to, and the states a card payment does not stay in
 * (processing, requires_capture, requires_confirmation), throw UnsettledIntentError.
 */
export function intentResult(
  intent: Stripe.PaymentIntent,
  actionTtlSeconds: number,
  paymentMethod?: Stripe.PaymentMethod | null,
): ChargeResult {
  const card = cardOf(intent, paymentMethod);
  switch (intent.status) {
    case 'succeeded':
      return { outcome: 'SUCCEEDED', chargeId: intent.id, card: card ?? UNKNOWN_CARD };
    case 'requires_action': {
      const url = actionUrl(intent.next_action);
      if (!url) throw new UnsettledIntentError(intent);
      const expiresAt = new Date((intent.created + actionTtlSeconds) * 1000);
      return {
        outcome: 'REQUIRES_ACTION',
        chargeId: intent.id,
        card: card ?? UNKNOWN_CARD,
        action: { url, expiresAt },
      };
    }
    case 'requires_payment_method':
      return {
        outcome: 'DECLINED',
        chargeId: intent.id,
        card,
        reason: declineReason(intent.last_payment_error),
        message: failureMessage(intent),
      };
    case 'canceled':
      return {
        outcome: 'DECLINED',
        chargeId: intent.id,
        card,
        // A cancelled intent was one awaiting authentication (ours are confirmed at once).
        reason: intent.last_payment_error
          ? declineReason(intent.last_payment_error)
          : 'AUTHENTICATION_FAILED',
        message: failureMessage(intent),
      };
    default:
      throw new UnsettledIntentError(intent);
  }
}

const EVENT_TYPES = new Map<string, ProviderEvent['type']>([
  ['payment_intent.succeeded', 'charge.succeeded'],
  ['payment_intent.payment_failed', 'charge.failed'],
  ['payment_intent.canceled', 'charge.failed'],
]);

function metadataId(metadata: Stripe.Metadata | null | undefined, key: string): string | null {
  const value = metadata && Object.hasOwn(metadata, key) ? metadata[key] : undefined;
  return typeof value === 'string' && value.length > 0 && value.length <= 200 ? value : null;
}

/**
 * A verified event as ours: the three PaymentIntent outcomes with our metadata (paymentId and
 * orderId, set on every intent we create). Any other type, an object that is not a PaymentIntent,
 * and an intent we did not create (no metadata) are null: acknowledged and ignored.
 */
export function providerEvent(event: Stripe.Event): ProviderEvent | null {
  const type = EVENT_TYPES.get(event.type);
  if (!type) return null;
  const intent = event.data?.object as Partial<Stripe.PaymentIntent> | undefined;
  if (!intent || intent.object !== 'payment_intent' || typeof intent.id !== 'string') return null;
  const paymentId = metadataId(intent.metadata, 'paymentId');
  const orderId = metadataId(intent.metadata, 'orderId');
  if (!paymentId || !orderId) return null;
  if (typeof intent.amount !== 'number' || typeof intent.currency !== 'string') return null;
  const failed = type === 'charge.failed';
  const full = intent as Stripe.PaymentIntent;
  return {
    id: event.id,
    type,
    chargeId: intent.id,
    paymentId,
    orderId,
    amount: { amount: intent.amount, currency: intent.currency.toUpperCase() },
    card: cardOf(full),
    reason: failed
      ? event.type === 'payment_intent.canceled' && !intent.last_payment_error
        ? 'AUTHENTICATION_FAILED'
        : declineReason(intent.last_payment_error)
      : null,
    message: failed ? failureMessage(full) : null,
  };
}
