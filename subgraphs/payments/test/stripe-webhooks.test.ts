import { describe, expect, it } from '@jest/globals';
import { WebhookSignatureError } from '../src/providers/provider';
import { event, paymentIntent, signedHeader, stripeProvider, TEST_WEBHOOK_SECRET } from './stripe-mock';

/**
 * parseWebhook with Stripe's signature scheme: deliveries signed by the SDK's own test signer
 * (`generateTestHeaderString`, what Stripe sends: `t=<unix>,v1=<HMAC-SHA256>`), then forged, re-signed
 * with another secret, replayed late, tampered with. No network: the provider never calls Stripe here.
 */

const provider = stripeProvider('http://127.0.0.1:9', { toleranceSeconds: 300 });
const now = () => Math.floor(Date.now() / 1000);

function deliver(body: string, header: string | string[] | undefined, name = 'stripe-signature') {
  return provider.parseWebhook(Buffer.from(body), { [name]: header, 'content-type': 'application/json' });
}

const succeeded = event('payment_intent.succeeded', paymentIntent(), 'evt_1Succeeded');

describe('Stripe webhook signatures', () => {
  it('a delivery signed with our secret parses to charge.succeeded with our ids from the metadata', () => {
    expect(deliver(succeeded, signedHeader(succeeded))).toEqual({
      id: 'evt_1Succeeded',
      type: 'charge.succeeded',
      chargeId: 'pi_3TestIntent0001',
      paymentId: 'payment-1',
      orderId: 'order-1',
      amount: { amount: 2599, currency: 'EUR' },
      card: null, // the event's payment method and charge are ids, not expanded
      reason: null,
      message: null,
    });
  });

  it('the header is found in any letter case, and a redelivery parses to the same event id (payments handles it once)', () => {
    const first = deliver(succeeded, signedHeader(succeeded), 'Stripe-Signature');
    const again = deliver(succeeded, signedHeader(succeeded), 'STRIPE-SIGNATURE');
    expect(first?.id).toBe('evt_1Succeeded');
    expect(again?.id).toBe(first?.id);
  });

  it('a forged signature is refused', () => {
    const forged = `t=${now()},v1=${'0'.repeat(64)}`;
    expect(() => deliver(succeeded, forged)).toThrow(WebhookSignatureError);
  });

  it('a signature made with another secret is refused', () => {
    expect(() => deliver(succeeded, signedHeader(succeeded, { secret: 'whsec_someone_else' }))).toThrow(
      WebhookSignatureError,
    );
    expect(() =>
      deliver(succeeded, signedHeader(succeeded, { secret: TEST_WEBHOOK_SECRET.toUpperCase() })),
    ).toThrow(WebhookSignatureError);
  });

  it('a body changed after signing is refused (another amount, another payment id, re-serialised JSON)', () => {
    const header = signedHeader(succeeded);
    expect(() => deliver(succeeded.replace('"amount":2599', '"amount":1'), header)).toThrow(
      WebhookSignatureError,
    );
    expect(() => deliver(succeeded.replace('payment-1', 'payment-2'), header)).toThrow(WebhookSignatureError);
    expect(() => deliver(JSON.stringify(JSON.parse(succeeded), null, 2), header)).toThrow(
      WebhookSignatureError,
    );
  });

  it('a replay beyond the tolerance is refused; one inside it is accepted', () => {
    expect(() => deliver(succeeded, signedHeader(succeeded, { timestamp: now() - 301 }))).toThrow(
      /tolerance/,
    );
    expect(() => deliver(succeeded, signedHeader(succeeded, { timestamp: now() - 24 * 3600 }))).toThrow(
      WebhookSignatureError,
    );
    expect(deliver(succeeded, signedHeader(succeeded, { timestamp: now() - 290 }))?.id).toBe(
      'evt_1Succeeded',
    );
  });

  it('a timestamp further in the future than the tolerance is refused too (the SDK checks only the past)', () => {
    expect(() => deliver(succeeded, signedHeader(succeeded, { timestamp: now() + 3600 }))).toThrow(
      /tolerance/,
    );
    expect(deliver(succeeded, signedHeader(succeeded, { timestamp: now() + 60 }))?.id).toBe('evt_1Succeeded');
  });

  it('a valid signature moved to another timestamp is refused (t is signed)', () => {
    const header = signedHeader(succeeded, { timestamp: now() - 1000 });
    const v1 = header.split(',').find((p) => p.startsWith('v1='));
    expect(() => deliver(succeeded, `t=${now()},${v1}`)).toThrow(WebhookSignatureError);
  });

  it('two timestamps in one header are refused', () => {
    const header = signedHeader(succeeded);
    expect(() => deliver(succeeded, `${header},t=${now() - 5000}`)).toThrow(WebhookSignatureError);
  });

  it('a missing, empty or repeated Stripe-Signature header is refused', () => {
    expect(() => deliver(succeeded, undefined)).toThrow(/no Stripe-Signature/);
    expect(() => deliver(succeeded, '')).toThrow(WebhookSignatureError);
    expect(() => deliver(succeeded, [signedHeader(succeeded), signedHeader(succeeded)])).toThrow(
      /more than one/,
    );
    expect(() => deliver(succeeded, signedHeader(succeeded), 'psp-signature')).toThrow(/no Stripe-Signature/);
  });

  it("a refusal's message does not carry the body", () => {
    const error = (() => {
      try {
        deliver(succeeded, `t=${now()},v1=deadbeef`);
      } catch (e) {
        return e as Error;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(WebhookSignatureError);
    expect(error?.message).not.toContain('payment-1');
    expect(error?.message).not.toContain('pi_3TestIntent0001');
  });

  it('a signed body that is not JSON is refused', () => {
    expect(() => deliver('not json', signedHeader('not json'))).toThrow(WebhookSignatureError);
  });
});

describe('Stripe webhook events', () => {
  const parse = (type: string, object: unknown) => {
    const body = event(type, object);
    return deliver(body, signedHeader(body));
  };

  it('payment_intent.payment_failed is charge.failed with the decline mapped and Stripe message', () => {
    const failed = paymentIntent({
      status: 'requires_payment_method',
      last_payment_error: {
        type: 'card_error',
        code: 'card_declined',
        decline_code: 'insufficient_funds',
        message: 'Your card has insufficient funds.',
      },
    });
    expect(parse('payment_intent.payment_failed', failed)).toMatchObject({
      type: 'charge.failed',
      reason: 'INSUFFICIENT_FUNDS',
      message: 'Your card has insufficient funds.',
      paymentId: 'payment-1',
    });
  });

  it('a failed authentication (payment_intent_authentication_failure) is AUTHENTICATION_FAILED', () => {
    const failed = paymentIntent({
      status: 'requires_payment_method',
      last_payment_error: {
        type: 'invalid_request_error',
        code: 'payment_intent_authentication_failure',
        message: 'We are unable to authenticate your payment method.',
      },
    });
    expect(parse('payment_intent.payment_failed', failed)).toMatchObject({ reason: 'AUTHENTICATION_FAILED' });
  });

  it('payment_intent.canceled (an abandoned authentication) is charge.failed AUTHENTICATION_FAILED', () => {
    const cancelled = paymentIntent({ status: 'canceled', cancellation_reason: 'abandoned' });
    expect(parse('payment_intent.canceled', cancelled)).toMatchObject({
      type: 'charge.failed',
      reason: 'AUTHENTICATION_FAILED',
      message: 'The payment was cancelled (abandoned)',
    });
  });

  it('the card is taken from an expanded latest charge when the event carries one', () => {
    const withCharge = paymentIntent({
      latest_charge: {
        id: 'ch_1',
        object: 'charge',
        payment_method_details: {
          type: 'card',
          card: { brand: 'discover', last4: '1117', exp_month: 3, exp_year: 2030 },
        },
      } as never,
    });
    expect(parse('payment_intent.succeeded', withCharge)?.card).toEqual({
      brand: 'DISCOVER',
      last4: '1117',
      expMonth: 3,
      expYear: 2030,
    });
  });

  it.each([
    ['no metadata', paymentIntent({ metadata: {} })],
    ['only a payment id', paymentIntent({ metadata: { paymentId: 'payment-1' } })],
    ['only an order id', paymentIntent({ metadata: { orderId: 'order-1' } })],
    ['empty ids', paymentIntent({ metadata: { paymentId: '', orderId: '' } })],
    ['a charge object', { ...paymentIntent(), object: 'charge' }],
    ['no amount', { ...paymentIntent(), amount: undefined }],
  ])('an intent with %s (not one of our charges) is null: acknowledged, ignored', (_what, object) => {
    expect(parse('payment_intent.succeeded', object)).toBeNull();
  });

  it.each([
    'payment_intent.created',
    'payment_intent.requires_action',
    'charge.succeeded',
    'charge.refunded',
    'customer.created',
    'constructor',
    '__proto__',
    'toString',
  ])('a %s event is null', (type) => {
    expect(parse(type, paymentIntent())).toBeNull();
  });
});
