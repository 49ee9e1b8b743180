import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  ProviderUnavailableError,
  RefundRefusedError,
  type ChargeRequest,
  type RefundRequest,
} from '../src/providers/provider';
import { StripeRequestError, type StripeProvider } from '../src/providers/stripe-provider';
import { paymentIntent, startCannedStripe, stripeErrorBody, stripeProvider } from './stripe-mock';

/**
 * The outcomes stripe-mock cannot give (it answers its fixture, whatever the card): a local server
 * answers what Stripe answers for them, through the real SDK and HTTP. The wire requests are read
 * back from the server (Idempotency-Key, form body, a dropped connection).
 */

let canned: Awaited<ReturnType<typeof startCannedStripe>>;
let provider: StripeProvider;

beforeAll(async () => {
  canned = await startCannedStripe();
  provider = stripeProvider(canned.url);
});
afterAll(async () => {
  await canned?.stop();
});
beforeEach(() => {
  canned.requests.length = 0;
});

const card = (brand: string, last4: string) => ({
  id: 'pm_1Canned',
  object: 'payment_method',
  type: 'card',
  card: { brand, last4, exp_month: 12, exp_year: 2031 },
});

function chargeRequest(signal = new AbortController().signal): ChargeRequest {
  return {
    paymentId: 'c0ffee00-0000-4000-8000-000000000001',
    orderId: 'order-77',
    amount: { amount: 1250, currency: 'GBP' },
    paymentMethod: 'pm_1Canned',
    description: 'Order order-77',
    signal,
  };
}

const refundRequest: RefundRequest = {
  paymentId: 'payment-9',
  chargeId: 'pi_3Paid',
  amount: { amount: 300, currency: 'GBP' },
  idempotencyKey: 'refund:payment-9:RETURN',
};

describe('charge outcomes', () => {
  it('succeeded is SUCCEEDED with the card of the expanded payment method; the wire carries our key and metadata', async () => {
    canned.answer({
      status: 200,
      body: paymentIntent({ id: 'pi_3Ok', payment_method: card('mastercard', '4444') as never }),
    });
    const result = await provider.charge(chargeRequest());
    expect(result).toEqual({
      outcome: 'SUCCEEDED',
      chargeId: 'pi_3Ok',
      card: { brand: 'MASTERCARD', last4: '4444', expMonth: 12, expYear: 2031 },
    });
    const [request] = canned.requests;
    expect(request?.headers['idempotency-key']).toBe('c0ffee00-0000-4000-8000-000000000001');
    const form = new URLSearchParams(request?.body);
    expect(form.get('metadata[orderId]')).toBe('order-77');
    expect(form.get('metadata[paymentId]')).toBe('c0ffee00-0000-4000-8000-000000000001');
    expect(form.get('currency')).toBe('gbp');
    expect(form.get('confirm')).toBe('true');
  });

  it('requires_action with redirect_to_url is REQUIRES_ACTION with the page and the intent creation + 600 s', async () => {
    const created = Math.floor(Date.now() / 1000) - 10;
    canned.answer({
      status: 200,
      body: paymentIntent({
        id: 'pi_3Auth',
        status: 'requires_action',
        created,
        next_action: {
          type: 'redirect_to_url',
          redirect_to_url: { url: 'https://hooks.stripe.com/3ds/x', return_url: null },
        },
        payment_method: card('visa', '3155') as never,
      }),
    });
    const result = await provider.charge(chargeRequest());
    expect(result).toEqual({
      outcome: 'REQUIRES_ACTION',
      chargeId: 'pi_3Auth',
      card: { brand: 'VISA', last4: '3155', expMonth: 12, expYear: 2031 },
      action: { url: 'https://hooks.stripe.com/3ds/x', expiresAt: new Date((created + 600) * 1000) },
    });
  });

  it('requires_action that only Stripe.js can complete is cancelled at once and answered AUTHENTICATION_FAILED', async () => {
    canned.answer(
      {
        status: 200,
        body: paymentIntent({
          id: 'pi_3Sdk',
          status: 'requires_action',
          next_action: {
            type: 'use_stripe_sdk',
            use_stripe_sdk: { type: 'stripe_3ds2_fingerprint' },
          } as never,
        }),
      },
      { status: 200, body: paymentIntent({ id: 'pi_3Sdk', status: 'canceled' }) },
    );
    const result = await provider.charge(chargeRequest());
    expect(result).toMatchObject({
      outcome: 'DECLINED',
      chargeId: 'pi_3Sdk',
      reason: 'AUTHENTICATION_FAILED',
    });
    expect(canned.requests.map((r) => [r.method, r.path])).toEqual([
      ['POST', '/v1/payment_intents'],
      ['POST', '/v1/payment_intents/pi_3Sdk/cancel'],
    ]);
  });

  it('processing (no outcome yet) is ProviderUnavailableError: a success comes by webhook and is refunded', async () => {
    canned.answer({ status: 200, body: paymentIntent({ id: 'pi_3Slow', status: 'processing' }) });
    await expect(provider.charge(chargeRequest())).rejects.toBeInstanceOf(ProviderUnavailableError);
  });

  it.each([
    ['card_declined', 'generic_decline', 'CARD_DECLINED'],
    ['card_declined', 'do_not_honor', 'CARD_DECLINED'],
    ['card_declined', 'insufficient_funds', 'INSUFFICIENT_FUNDS'],
    ['expired_card', undefined, 'EXPIRED_CARD'],
    ['incorrect_cvc', undefined, 'INCORRECT_CVC'],
    ['card_declined', 'authentication_required', 'AUTHENTICATION_FAILED'],
    ['payment_intent_authentication_failure', undefined, 'AUTHENTICATION_FAILED'],
  ])(
    'a 402 card_error %s/%s is DECLINED %s with the intent and card Stripe attaches',
    async (code, decline, reason) => {
      canned.answer({
        status: 402,
        body: stripeErrorBody({
          type: 'card_error',
          code,
          decline_code: decline,
          message: 'Your card was declined.',
          payment_intent: paymentIntent({ id: 'pi_3Declined', status: 'requires_payment_method' }),
          payment_method: card('amex', '0005'),
        }),
      });
      const result = await provider.charge(chargeRequest());
      expect(result).toEqual({
        outcome: 'DECLINED',
        chargeId: 'pi_3Declined',
        card: { brand: 'AMEX', last4: '0005', expMonth: 12, expYear: 2031 },
        reason,
        message: 'Your card was declined.',
      });
    },
  );

  it.each([
    [{ code: 'resource_missing', param: 'payment_method', message: "No such PaymentMethod: 'pm_1Canned'" }],
    [{ code: 'payment_method_unexpected_state', message: 'The PaymentMethod was previously used' }],
  ])('a 400 about the payment method (%o) is INVALID_PAYMENT_METHOD', async (error) => {
    canned.answer({ status: 400, body: stripeErrorBody({ type: 'invalid_request_error', ...error }) });
    expect(await provider.charge(chargeRequest())).toEqual({
      outcome: 'INVALID_PAYMENT_METHOD',
      message: error.message,
    });
  });

  it('a 400 about our request (an unknown parameter) is StripeRequestError', async () => {
    canned.answer({
      status: 400,
      body: stripeErrorBody({ type: 'invalid_request_error', code: 'parameter_unknown', param: 'foo' }),
    });
    await expect(provider.charge(chargeRequest())).rejects.toBeInstanceOf(StripeRequestError);
  });

  it.each([
    [500, 'api_error'],
    [503, 'api_error'],
    [429, 'rate_limit_error'],
    [401, 'authentication_error'],
  ])(
    '%i %s is ProviderUnavailableError (nothing to act on; retry with the same key)',
    async (status, type) => {
      canned.answer({ status, body: stripeErrorBody({ type }) });
      await expect(provider.charge(chargeRequest())).rejects.toBeInstanceOf(ProviderUnavailableError);
    },
  );

  it('the SDK retries a 500 with the same Idempotency-Key, and the retry answers', async () => {
    const retrying = stripeProvider(canned.url, { maxNetworkRetries: 2 });
    canned.answer(
      { status: 500, body: stripeErrorBody({ type: 'api_error' }) },
      {
        status: 200,
        body: paymentIntent({ id: 'pi_3Retried', payment_method: card('visa', '4242') as never }),
      },
    );
    const result = await retrying.charge(chargeRequest());
    expect(result).toMatchObject({ outcome: 'SUCCEEDED', chargeId: 'pi_3Retried' });
    expect(canned.requests.map((r) => r.headers['idempotency-key'])).toEqual([
      'c0ffee00-0000-4000-8000-000000000001',
      'c0ffee00-0000-4000-8000-000000000001',
    ]);
  });

  it('an abort in flight answers ProviderUnavailableError at once and drops the HTTP request', async () => {
    canned.answer({ status: 200, body: paymentIntent(), delayMs: 3_000 });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 100);
    await expect(provider.charge(chargeRequest(controller.signal))).rejects.toBeInstanceOf(
      ProviderUnavailableError,
    );
    expect(Date.now() - started).toBeLessThan(1_500);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(canned.requests).toHaveLength(1);
    expect(canned.requests[0]?.dropped).toBe(true);
  });
});

describe('concurrent calls', () => {
  it("aborting one call in flight drops only its request: the others' signals are their own", async () => {
    canned.answer(
      {
        status: 200,
        body: paymentIntent({ id: 'pi_3A', payment_method: card('visa', '4242') as never }),
        delayMs: 400,
      },
      {
        status: 200,
        body: paymentIntent({ id: 'pi_3B', payment_method: card('visa', '4242') as never }),
        delayMs: 400,
      },
      {
        status: 200,
        body: paymentIntent({ id: 'pi_3C', payment_method: card('visa', '4242') as never }),
        delayMs: 400,
      },
    );
    const doomed = new AbortController();
    const calls = [
      provider.charge({ ...chargeRequest(), paymentId: 'key-a' }),
      provider.charge({ ...chargeRequest(doomed.signal), paymentId: 'key-b' }),
      provider.charge({ ...chargeRequest(), paymentId: 'key-c' }),
    ];
    setTimeout(() => doomed.abort(), 100);
    const [a, b, c] = await Promise.allSettled(calls);
    expect(a).toMatchObject({ status: 'fulfilled', value: { outcome: 'SUCCEEDED' } });
    expect(b?.status === 'rejected' ? b.reason : b).toBeInstanceOf(ProviderUnavailableError);
    expect(c).toMatchObject({ status: 'fulfilled', value: { outcome: 'SUCCEEDED' } });
    const dropped = canned.requests.filter((r) => r.dropped).map((r) => r.headers['idempotency-key']);
    expect(dropped).toEqual(['key-b']);
  });
});

describe('refund outcomes', () => {
  it('sends our refund key on the wire', async () => {
    canned.answer({
      status: 200,
      body: { id: 're_3Ok', object: 'refund', status: 'succeeded', amount: 300 },
    });
    expect(await provider.refund(refundRequest)).toEqual({ refundId: 're_3Ok' });
    expect(canned.requests[0]?.headers['idempotency-key']).toBe('refund:payment-9:RETURN');
    expect(new URLSearchParams(canned.requests[0]?.body).get('payment_intent')).toBe('pi_3Paid');
  });

  it.each([
    [400, { type: 'invalid_request_error', code: 'charge_already_refunded' }],
    [400, { type: 'invalid_request_error', code: 'amount_too_large', param: 'amount' }],
    [404, { type: 'invalid_request_error', code: 'resource_missing', param: 'payment_intent' }],
    [
      400,
      {
        type: 'idempotency_error',
        message: 'Keys for idempotent requests can only be used with the same parameters',
      },
    ],
  ])('%i %o is RefundRefusedError', async (status, error) => {
    canned.answer({ status, body: stripeErrorBody(error) });
    await expect(provider.refund(refundRequest)).rejects.toBeInstanceOf(RefundRefusedError);
  });

  it('a refund Stripe answers as failed is RefundRefusedError', async () => {
    canned.answer({
      status: 200,
      body: { id: 're_3Failed', object: 'refund', status: 'failed', amount: 300 },
    });
    await expect(provider.refund(refundRequest)).rejects.toThrow(/re_3Failed is failed/);
  });

  it.each([500, 503])('%i is ProviderUnavailableError (retry with the same key)', async (status) => {
    canned.answer({ status, body: stripeErrorBody({ type: 'api_error' }) });
    await expect(provider.refund(refundRequest)).rejects.toBeInstanceOf(ProviderUnavailableError);
  });
});

describe('retrieve and cancel outcomes', () => {
  it('cancelling an intent the customer completed first answers SUCCEEDED (Stripe attaches the intent to its 400)', async () => {
    canned.answer({
      status: 400,
      body: stripeErrorBody({
        type: 'invalid_request_error',
        code: 'payment_intent_unexpected_state',
        payment_intent: paymentIntent({
          id: 'pi_3Done',
          status: 'succeeded',
          payment_method: card('visa', '4242') as never,
        }),
      }),
    });
    expect(await provider.cancelCharge('pi_3Done')).toMatchObject({
      outcome: 'SUCCEEDED',
      chargeId: 'pi_3Done',
    });
    expect(new URLSearchParams(canned.requests[0]?.body).get('cancellation_reason')).toBe('abandoned');
  });

  it('an unexpected state without the intent attached is looked up', async () => {
    canned.answer(
      {
        status: 400,
        body: stripeErrorBody({ type: 'invalid_request_error', code: 'payment_intent_unexpected_state' }),
      },
      { status: 200, body: paymentIntent({ id: 'pi_3Gone', status: 'canceled' }) },
    );
    expect(await provider.cancelCharge('pi_3Gone')).toMatchObject({
      outcome: 'DECLINED',
      reason: 'AUTHENTICATION_FAILED',
    });
    expect(canned.requests.map((r) => r.method)).toEqual(['POST', 'GET']);
  });

  it('a cancelled intent is DECLINED with AUTHENTICATION_FAILED', async () => {
    canned.answer({
      status: 200,
      body: paymentIntent({ id: 'pi_3Abandoned', status: 'canceled', cancellation_reason: 'abandoned' }),
    });
    expect(await provider.cancelCharge('pi_3Abandoned')).toMatchObject({
      outcome: 'DECLINED',
      chargeId: 'pi_3Abandoned',
      reason: 'AUTHENTICATION_FAILED',
      message: 'The payment was cancelled (abandoned)',
    });
  });

  it('a retrieved intent still awaiting authentication keeps its expiry (creation + 600 s)', async () => {
    const created = 1_800_000_000;
    canned.answer({
      status: 200,
      body: paymentIntent({
        id: 'pi_3Wait',
        status: 'requires_action',
        created,
        next_action: {
          type: 'redirect_to_url',
          redirect_to_url: { url: 'https://hooks.stripe.com/3ds/y', return_url: null },
        },
      }),
    });
    const result = await provider.retrieveCharge('pi_3Wait');
    expect(result.outcome === 'REQUIRES_ACTION' && result.action.expiresAt.getTime()).toBe(
      (created + 600) * 1000,
    );
  });

  it('an unknown intent is StripeRequestError; an outage is ProviderUnavailableError', async () => {
    canned.answer(
      {
        status: 404,
        body: stripeErrorBody({ type: 'invalid_request_error', code: 'resource_missing', param: 'intent' }),
      },
      { status: 502, body: stripeErrorBody({ type: 'api_error' }) },
    );
    await expect(provider.retrieveCharge('pi_3Unknown')).rejects.toBeInstanceOf(StripeRequestError);
    await expect(provider.retrieveCharge('pi_3Unknown')).rejects.toBeInstanceOf(ProviderUnavailableError);
  });
});
