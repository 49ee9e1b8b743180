import { describe, expect, it } from '@jest/globals';
import {
  actionUrl,
  cardBrand,
  cardOf,
  declineReason,
  intentResult,
  UNKNOWN_CARD,
  UnsettledIntentError,
} from '../src/providers/stripe-events';
import { paymentIntent } from './stripe-mock';

/** The pure mappings from Stripe's objects (stripe-events.ts), status by status and code by code. */

describe('cardBrand', () => {
  it.each([
    ['visa', 'VISA'],
    ['mastercard', 'MASTERCARD'],
    ['amex', 'AMEX'],
    ['American_Express', 'AMEX'],
    ['discover', 'DISCOVER'],
    ['VISA', 'VISA'],
    ['diners', 'UNKNOWN'],
    ['jcb', 'UNKNOWN'],
    ['unionpay', 'UNKNOWN'],
    ['', 'UNKNOWN'],
    [null, 'UNKNOWN'],
    ['__proto__', 'UNKNOWN'],
    ['constructor', 'UNKNOWN'],
  ])('%p is %s', (brand, expected) => {
    expect(cardBrand(brand)).toBe(expected);
  });
});

describe('declineReason', () => {
  it.each([
    [{ code: 'card_declined', decline_code: 'generic_decline' }, 'CARD_DECLINED'],
    [{ code: 'card_declined' }, 'CARD_DECLINED'],
    [{ code: 'card_declined', decline_code: 'fraudulent' }, 'CARD_DECLINED'],
    [{ code: 'card_declined', decline_code: 'insufficient_funds' }, 'INSUFFICIENT_FUNDS'],
    [{ code: 'card_declined', decline_code: 'expired_card' }, 'EXPIRED_CARD'],
    [{ code: 'expired_card' }, 'EXPIRED_CARD'],
    [{ code: 'incorrect_cvc', decline_code: 'incorrect_cvc' }, 'INCORRECT_CVC'],
    [{ code: 'invalid_cvc' }, 'INCORRECT_CVC'],
    [{ code: 'card_declined', decline_code: 'authentication_required' }, 'AUTHENTICATION_FAILED'],
    [{ code: 'payment_intent_authentication_failure' }, 'AUTHENTICATION_FAILED'],
    // The issuer's decline code wins over the generic error code.
    [{ code: 'expired_card', decline_code: 'insufficient_funds' }, 'INSUFFICIENT_FUNDS'],
    [{ code: 'toString' }, 'CARD_DECLINED'],
    [{}, 'CARD_DECLINED'],
    [null, 'CARD_DECLINED'],
  ])('%o is %s', (error, expected) => {
    expect(declineReason(error)).toBe(expected);
  });
});

describe('cardOf', () => {
  const pm = { card: { brand: 'visa', last4: '4242', exp_month: 1, exp_year: 2030 } };
  const charge = {
    object: 'charge',
    payment_method_details: { card: { brand: 'amex', last4: '0005', exp_month: 2, exp_year: 2031 } },
  };

  it('prefers the expanded payment method, then the latest charge', () => {
    expect(
      cardOf(paymentIntent({ payment_method: pm as never, latest_charge: charge as never })),
    ).toMatchObject({
      brand: 'VISA',
    });
    expect(cardOf(paymentIntent({ latest_charge: charge as never }))).toMatchObject({
      brand: 'AMEX',
      last4: '0005',
    });
    expect(cardOf(null, pm as never)).toMatchObject({ last4: '4242', expMonth: 1, expYear: 2030 });
  });

  it('ids only (an unexpanded intent) is null', () => {
    expect(cardOf(paymentIntent())).toBeNull();
  });
});

describe('actionUrl', () => {
  it('redirect_to_url answers its url; use_stripe_sdk only an http(s) stripe_js page', () => {
    expect(
      actionUrl({
        type: 'redirect_to_url',
        redirect_to_url: { url: 'https://hooks.stripe.com/a', return_url: null },
      }),
    ).toBe('https://hooks.stripe.com/a');
    expect(
      actionUrl({
        type: 'use_stripe_sdk',
        use_stripe_sdk: { stripe_js: 'https://hooks.stripe.com/b' },
      } as never),
    ).toBe('https://hooks.stripe.com/b');
    expect(
      actionUrl({ type: 'use_stripe_sdk', use_stripe_sdk: { stripe_js: 'javascript:alert(1)' } } as never),
    ).toBeNull();
    expect(
      actionUrl({ type: 'use_stripe_sdk', use_stripe_sdk: { type: 'stripe_3ds2_fingerprint' } } as never),
    ).toBeNull();
    expect(actionUrl({ type: 'verify_with_microdeposits' } as never)).toBeNull();
    expect(actionUrl(null)).toBeNull();
  });
});

describe('intentResult', () => {
  it('succeeded without card details is SUCCEEDED with the UNKNOWN card (a charge taken is never failed)', () => {
    expect(intentResult(paymentIntent({ id: 'pi_1' }), 600)).toEqual({
      outcome: 'SUCCEEDED',
      chargeId: 'pi_1',
      card: UNKNOWN_CARD,
    });
  });

  it('requires_action expires actionTtlSeconds after the intent was created', () => {
    const result = intentResult(
      paymentIntent({
        status: 'requires_action',
        created: 1_800_000_000,
        next_action: {
          type: 'redirect_to_url',
          redirect_to_url: { url: 'https://x.example/3ds', return_url: null },
        },
      }),
      120,
    );
    expect(result).toMatchObject({
      outcome: 'REQUIRES_ACTION',
      action: { url: 'https://x.example/3ds', expiresAt: new Date(1_800_000_120_000) },
    });
  });

  it('requires_payment_method is DECLINED with the last error', () => {
    const result = intentResult(
      paymentIntent({
        status: 'requires_payment_method',
        last_payment_error: { type: 'card_error', code: 'incorrect_cvc', message: 'Bad CVC' } as never,
      }),
      600,
    );
    expect(result).toMatchObject({
      outcome: 'DECLINED',
      reason: 'INCORRECT_CVC',
      message: 'Bad CVC',
      card: null,
    });
  });

  it('canceled after a decline keeps the decline; canceled without one is AUTHENTICATION_FAILED', () => {
    expect(
      intentResult(
        paymentIntent({
          status: 'canceled',
          last_payment_error: { type: 'card_error', decline_code: 'expired_card' } as never,
        }),
        600,
      ),
    ).toMatchObject({ reason: 'EXPIRED_CARD' });
    expect(intentResult(paymentIntent({ status: 'canceled' }), 600)).toMatchObject({
      outcome: 'DECLINED',
      reason: 'AUTHENTICATION_FAILED',
      message: 'The payment was cancelled',
    });
  });

  it.each(['processing', 'requires_capture', 'requires_confirmation'] as const)(
    '%s is unsettled',
    (status) => {
      expect(() => intentResult(paymentIntent({ status }), 600)).toThrow(UnsettledIntentError);
    },
  );

  it('requires_action without a page is unsettled', () => {
    expect(() =>
      intentResult(
        paymentIntent({ status: 'requires_action', next_action: { type: 'use_stripe_sdk' } as never }),
        600,
      ),
    ).toThrow(UnsettledIntentError);
  });
});
