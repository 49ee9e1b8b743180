import { AsyncLocalStorage } from 'node:async_hooks';
import Stripe from 'stripe';
import {
  ProviderUnavailableError,
  RefundRefusedError,
  WebhookSignatureError,
  type ChargeRequest,
  type ChargeResult,
  type PaymentProvider,
  type ProviderEvent,
  type RefundRequest,
  type RefundResult,
  type WebhookHeaders,
} from './provider';
import { cardOf, declineReason, intentResult, providerEvent, UnsettledIntentError } from './stripe-events';

export interface StripeProviderOptions {
  /** Stripe's secret API key (sk_…). */
  secretKey: string;
  /** The signing secret of our webhook endpoint (whsec_…). */
  webhookSecret: string;
  /** Where the SDK sends its requests instead of api.stripe.com, e.g. stripe-mock at http://127.0.0.1:12111. */
  apiUrl?: string;
  /** A webhook whose signed timestamp is further than this from now (either way) is refused. Default 300. */
  toleranceSeconds?: number;
  /**
   * Where Stripe sends the customer back after 3-D Secure. With it Stripe answers an authentication
   * as `next_action.redirect_to_url`; without it as `use_stripe_sdk`, which has a page to open only
   * for a 3-D Secure redirect (other challenges need Stripe.js: the intent is cancelled and declined).
   */
  returnUrl?: string;
  /** The SDK's retries of connection errors, 409s and 5xx (idempotency keys make them safe). Default 2. */
  maxNetworkRetries?: number;
  /** The SDK's timeout per attempt, in ms. Default 20,000 (payOrder aborts earlier, PROVIDER_TIMEOUT_MS). */
  timeoutMs?: number;
  /** How long after its creation an intent awaiting authentication is waited for. Default 600. */
  actionTtlSeconds?: number;
}

/** Stripe refused a request of ours for good (a bug or a misconfiguration, not the customer's card). */
export class StripeRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StripeRequestError';
  }
}

/** A PaymentMethod id from Stripe.js (`pm_…`; Stripe's test fixtures are `pm_card_visa` and the like). */
const PAYMENT_METHOD_ID = /^pm_[A-Za-z0-9_]{1,250}$/;
/** A PaymentIntent id, the chargeId we hand out. */
const PAYMENT_INTENT_ID = /^pi_[A-Za-z0-9]{1,250}$/;
/** Invalid-request codes that say the payment method, not our request, is at fault. */
const PAYMENT_METHOD_CODES = new Set([
  'payment_method_unexpected_state',
  'payment_method_invalid_parameter',
  'payment_method_not_available',
  'payment_method_unactivated',
  'payment_intent_incompatible_payment_method',
]);
/** SDK error types that mean "Stripe could not be asked or did not decide": nothing we can act on. */
const UNAVAILABLE_TYPES = new Set([
  'StripeConnectionError',
  'StripeAPIError',
  'StripeRateLimitError',
  'StripeAuthenticationError',
  'StripePermissionError',
]);
const EXPAND = ['latest_charge', 'payment_method'];

/**
 * The signal of the call in progress, read by the SDK's fetch below: an abort drops the HTTP
 * request itself (the SDK has no per-request signal). AsyncLocalStorage follows the SDK's promise
 * chain and its retry timers.
 */
const callSignal = new AsyncLocalStorage<AbortSignal>();

const abortableFetch: typeof fetch = (input, init) => {
  const call = callSignal.getStore();
  if (!call) return fetch(input, init);
  const signal = init?.signal ? AbortSignal.any([init.signal, call]) : call;
  return fetch(input, { ...init, signal });
};

function stripeError(error: unknown): Stripe.errors.StripeError | null {
  return error instanceof Stripe.errors.StripeError ? error : null;
}

/** ProviderUnavailableError for an outage, a rate limit, a 5xx or a refused key; null otherwise. */
function unavailable(error: unknown, what: string): ProviderUnavailableError | null {
  if (error instanceof ProviderUnavailableError) return error;
  const e = stripeError(error);
  if (!e) return null;
  if (UNAVAILABLE_TYPES.has(e.type) || (e.statusCode ?? 0) >= 500) {
    return new ProviderUnavailableError(
      `Stripe ${what} failed (${e.type}${e.statusCode ? ` ${e.statusCode}` : ''}): ${e.message}`,
    );
  }
  return null;
}

function isAboutPaymentMethod(e: Stripe.errors.StripeError): boolean {
  const param = 'param' in e && typeof e.param === 'string' ? e.param : '';
  return (
    param === 'payment_method' ||
    param.startsWith('payment_method[') ||
    PAYMENT_METHOD_CODES.has(e.code ?? '')
  );
}

/** The objects Stripe attaches to an error about a PaymentIntent (a decline, an unexpected state). */
function errorObjects(e: Stripe.errors.StripeError): {
  intent: Stripe.PaymentIntent | null;
  paymentMethod: Stripe.PaymentMethod | null;
} {
  const raw = (e.raw ?? {}) as Stripe.StripeRawError;
  const intent = raw.payment_intent && typeof raw.payment_intent === 'object' ? raw.payment_intent : null;
  const paymentMethod =
    raw.payment_method && typeof raw.payment_method === 'object' ? raw.payment_method : null;
  return { intent, paymentMethod };
}

/**
 * Stripe's PaymentIntents behind the provider interface. A charge is an intent created and confirmed
 * at once, with our payment id as its Idempotency-Key and our order and payment ids as metadata
 * (which come back in its webhooks). See docs/payment-provider.md.
 */
export class StripeProvider implements PaymentProvider {
  readonly name = 'stripe';
  /** The SDK client (tests listen to its `request` and `response` events). */
  readonly client: Stripe;
  private readonly webhookSecret: string;
  private readonly toleranceSeconds: number;
  private readonly returnUrl: string | undefined;
  private readonly actionTtlSeconds: number;

  constructor(options: StripeProviderOptions) {
    if (!options.secretKey) throw new Error('StripeProvider needs a secret key');
    if (!options.webhookSecret) throw new Error('StripeProvider needs a webhook signing secret');
    this.webhookSecret = options.webhookSecret;
    this.toleranceSeconds = options.toleranceSeconds ?? 300;
    this.returnUrl = options.returnUrl;
    this.actionTtlSeconds = options.actionTtlSeconds ?? 600;
    const config: Stripe.StripeConfig = {
      maxNetworkRetries: options.maxNetworkRetries ?? 2,
      timeout: options.timeoutMs ?? 20_000,
      telemetry: false,
      httpClient: Stripe.createFetchHttpClient(abortableFetch),
    };
    if (options.apiUrl) {
      const url = new URL(options.apiUrl);
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        throw new Error(`STRIPE_API_URL must be http or https, not ${url.protocol}`);
      const protocol = url.protocol === 'http:' ? 'http' : 'https';
      config.host = url.hostname;
      config.port = url.port || (protocol === 'http' ? 80 : 443);
      config.protocol = protocol;
    }
    this.client = new Stripe(options.secretKey, config);
  }

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    if (!PAYMENT_METHOD_ID.test(request.paymentMethod)) {
      return {
        outcome: 'INVALID_PAYMENT_METHOD',
        message: 'The payment method is not a Stripe PaymentMethod (pm_…)',
      };
    }
    const params: Stripe.PaymentIntentCreateParams = {
      amount: request.amount.amount,
      currency: request.amount.currency.toLowerCase(),
      payment_method: request.paymentMethod,
      confirm: true,
      description: request.description,
      metadata: { orderId: request.orderId, paymentId: request.paymentId },
      payment_method_types: ['card'],
      expand: EXPAND,
      ...(this.returnUrl ? { return_url: this.returnUrl } : {}),
    };
    let intent: Stripe.PaymentIntent;
    try {
      intent = await this.call(request.signal, 'charge', () =>
        this.client.paymentIntents.create(params, { idempotencyKey: request.paymentId }),
      );
    } catch (error) {
      return this.chargeFailure(error);
    }
    try {
      return intentResult(intent, this.actionTtlSeconds);
    } catch (error) {
      if (!(error instanceof UnsettledIntentError)) throw error;
      if (intent.status === 'requires_action') return this.declineUnredirectable(intent);
      // processing and the like: no answer now; a success comes by webhook, unrecorded, and is refunded.
      throw new ProviderUnavailableError(error.message);
    }
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    if (!PAYMENT_INTENT_ID.test(request.chargeId))
      throw new RefundRefusedError(
        `not a Stripe PaymentIntent id: ${JSON.stringify(request.chargeId.slice(0, 80))}`,
      );
    if (!Number.isSafeInteger(request.amount.amount) || request.amount.amount <= 0)
      throw new RefundRefusedError('refund amount must be a positive whole number of minor units');
    try {
      const refund = await this.call(undefined, 'refund', () =>
        this.client.refunds.create(
          {
            payment_intent: request.chargeId,
            amount: request.amount.amount,
            metadata: { paymentId: request.paymentId },
          },
          { idempotencyKey: request.idempotencyKey },
        ),
      );
      if (refund.status === 'failed' || refund.status === 'canceled')
        throw new RefundRefusedError(`Stripe refund ${refund.id} is ${refund.status}`);
      return { refundId: refund.id };
    } catch (error) {
      const down = unavailable(error, 'refund');
      if (down) throw down;
      const e = stripeError(error);
      // An invalid request (unknown intent, more than is left, already refunded), a reused key with
      // other parameters, a refused card refund: no retry helps.
      if (e) throw new RefundRefusedError(`Stripe refused the refund (${e.code ?? e.type}): ${e.message}`);
      throw error;
    }
  }

  async retrieveCharge(chargeId: string): Promise<ChargeResult> {
    const id = this.intentId(chargeId);
    try {
      const intent = await this.call(undefined, 'retrieve', () =>
        this.client.paymentIntents.retrieve(id, { expand: EXPAND }),
      );
      return this.settled(intent);
    } catch (error) {
      throw this.lookupFailure(error, 'retrieve');
    }
  }

  async cancelCharge(chargeId: string): Promise<ChargeResult> {
    const id = this.intentId(chargeId);
    try {
      const intent = await this.call(undefined, 'cancel', () =>
        this.client.paymentIntents.cancel(id, { cancellation_reason: 'abandoned', expand: EXPAND }),
      );
      return this.settled(intent);
    } catch (error) {
      const e = stripeError(error);
      if (e?.type === 'StripeInvalidRequestError' && e.code === 'payment_intent_unexpected_state') {
        // Final already (succeeded, or cancelled before): Stripe attaches the intent as it is.
        const { intent } = errorObjects(e);
        return intent ? this.settled(intent) : this.retrieveCharge(id);
      }
      throw this.lookupFailure(error, 'cancel');
    }
  }

  parseWebhook(rawBody: Buffer, headers: WebhookHeaders): ProviderEvent | null {
    const header = signatureHeader(headers);
    let event: Stripe.Event;
    try {
      event = this.client.webhooks.constructEvent(rawBody, header, this.webhookSecret, this.toleranceSeconds);
    } catch (error) {
      throw new WebhookSignatureError(
        `Stripe webhook refused: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
      );
    }
    // The SDK refuses only timestamps too old; one too far in the future is no better.
    const timestamps = header
      .split(',')
      .filter((part) => part.trim().startsWith('t='))
      .map((part) => Number(part.trim().slice(2)));
    const now = Date.now() / 1000;
    if (
      timestamps.length !== 1 ||
      !Number.isFinite(timestamps[0]) ||
      Math.abs(now - timestamps[0]!) > this.toleranceSeconds
    )
      throw new WebhookSignatureError('Stripe webhook refused: timestamp outside the tolerance');
    return providerEvent(event);
  }

  /**
   * Runs one SDK call under `signal`: not sent when already aborted; an abort drops the request
   * (abortableFetch) and answers ProviderUnavailableError at once.
   */
  private async call<T>(signal: AbortSignal | undefined, what: string, run: () => Promise<T>): Promise<T> {
    if (!signal) return run();
    if (signal.aborted) throw new ProviderUnavailableError(`Stripe ${what} not sent: the call was aborted`);
    const pending = callSignal.run(signal, run);
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(new ProviderUnavailableError(`Stripe ${what} aborted`));
      signal.addEventListener('abort', onAbort, { once: true });
      pending.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /** A failed create: a decline, a payment method Stripe does not take, an outage, or our bug. */
  private chargeFailure(error: unknown): ChargeResult {
    const down = unavailable(error, 'charge');
    if (down) throw down;
    const e = stripeError(error);
    if (!e) throw error;
    if (e.type === 'StripeCardError') {
      const { intent, paymentMethod } = errorObjects(e);
      return {
        outcome: 'DECLINED',
        chargeId: intent?.id ?? null,
        card: cardOf(intent, paymentMethod),
        reason: declineReason(e as { code?: string; decline_code?: string }),
        message: e.message,
      };
    }
    if (e.type === 'StripeInvalidRequestError' && isAboutPaymentMethod(e)) {
      return { outcome: 'INVALID_PAYMENT_METHOD', message: e.message };
    }
    throw new StripeRequestError(`Stripe refused the charge (${e.code ?? e.type}): ${e.message}`);
  }

  /**
   * An authentication with no page to send the customer to (no returnUrl, a challenge that needs
   * Stripe.js): given up at once, so that nothing stays pending, and answered as a failed one.
   */
  private async declineUnredirectable(intent: Stripe.PaymentIntent): Promise<ChargeResult> {
    await this.call(undefined, 'cancel', () =>
      this.client.paymentIntents.cancel(intent.id, { cancellation_reason: 'abandoned' }),
    ).catch(() => undefined);
    return {
      outcome: 'DECLINED',
      chargeId: intent.id,
      card: cardOf(intent),
      reason: 'AUTHENTICATION_FAILED',
      message: 'The card requires an authentication this shop cannot redirect to (no Stripe return URL)',
    };
  }

  private settled(intent: Stripe.PaymentIntent): ChargeResult {
    try {
      return intentResult(intent, this.actionTtlSeconds);
    } catch (error) {
      if (error instanceof UnsettledIntentError) throw new ProviderUnavailableError(error.message);
      throw error;
    }
  }

  private lookupFailure(error: unknown, what: string): Error {
    const down = unavailable(error, what);
    if (down) return down;
    const e = stripeError(error);
    if (e) return new StripeRequestError(`Stripe refused the ${what} (${e.code ?? e.type}): ${e.message}`);
    return error instanceof Error ? error : new Error(String(error));
  }

  private intentId(chargeId: string): string {
    if (!PAYMENT_INTENT_ID.test(chargeId))
      throw new StripeRequestError(`not a Stripe PaymentIntent id: ${JSON.stringify(chargeId.slice(0, 80))}`);
    return chargeId;
  }
}

/** The one Stripe-Signature header (any letter case); missing or repeated is refused. */
function signatureHeader(headers: WebhookHeaders): string {
  const values = Object.entries(headers)
    .filter(([name]) => name.toLowerCase() === 'stripe-signature')
    .flatMap(([, value]) => (Array.isArray(value) ? value : value === undefined ? [] : [value]));
  if (values.length === 0 || !values[0])
    throw new WebhookSignatureError('Stripe webhook refused: no Stripe-Signature header');
  if (values.length > 1)
    throw new WebhookSignatureError('Stripe webhook refused: more than one Stripe-Signature header');
  return values[0];
}
