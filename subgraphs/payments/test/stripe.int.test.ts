import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ProviderUnavailableError, RefundRefusedError, type ChargeRequest } from '../src/providers/provider';
import { StripeProvider, StripeRequestError } from '../src/providers/stripe-provider';
import { closedPort, startStripeMock, STRIPE_MOCK_BIN, stripeProvider, type StripeMock } from './stripe-mock';

/**
 * StripeProvider against stripe-mock (.bin/stripe-mock, built by tools/build.sh): every request the
 * driver sends must pass stripe-mock's validation against Stripe's OpenAPI description, and its
 * answers (fixtures: stripe-mock keeps no state) must map. What stripe-mock received is read back
 * from its own log (-verbose prints the decoded form of every request).
 */

let mock: StripeMock;
let provider: StripeProvider;
/** The SDK's view of every request: method, path, Idempotency-Key. */
const sent: { method: string; path: string; idempotencyKey: string | undefined }[] = [];
const answered: { path: string; status: number }[] = [];

beforeAll(async () => {
  mock = await startStripeMock();
  provider = stripeProvider(mock.url);
  provider.client.on('request', (e: { method: string; path: string; idempotency_key?: string }) =>
    sent.push({ method: e.method, path: e.path, idempotencyKey: e.idempotency_key }),
  );
  provider.client.on('response', (e: { path: string; status: number }) =>
    answered.push({ path: e.path, status: e.status }),
  );
});

afterAll(async () => {
  await mock?.stop();
});

function chargeRequest(overrides: Partial<ChargeRequest> = {}): ChargeRequest {
  return {
    paymentId: randomUUID(),
    orderId: randomUUID(),
    amount: { amount: 2599, currency: 'EUR' },
    paymentMethod: 'pm_card_visa',
    description: 'Order test',
    signal: new AbortController().signal,
    ...overrides,
  };
}

/**
 * The decoded form stripe-mock logged for the request to `path` whose data contains `marker` (an id
 * unique to the test). Its log arrives through a pipe and may trail the HTTP answer: wait up to 5 s.
 */
async function requestData(path: string, marker: string): Promise<string> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const blocks = mock
      .output()
      .split('Request: ')
      .filter((b) => b.startsWith(path + '\n') || b.startsWith(path + '?'));
    const data = blocks.map((b) => /Request data = (.*)/.exec(b)?.[1] ?? '').find((d) => d.includes(marker));
    if (data || Date.now() > deadline) return data ?? '';
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('charges against stripe-mock', () => {
  it('creates and confirms a PaymentIntent that passes validation, with our payment id as Idempotency-Key', async () => {
    const request = chargeRequest();
    const before = sent.length;
    const result = await provider.charge(request);

    expect(sent.slice(before)).toEqual([
      { method: 'POST', path: '/v1/payment_intents', idempotencyKey: request.paymentId },
    ]);
    expect(answered.at(-1)).toEqual({ path: '/v1/payment_intents', status: 200 });
    const data = await requestData('POST /v1/payment_intents', request.paymentId);
    expect(data).toContain('amount:2599');
    expect(data).toContain('currency:eur'); // lower case, as Stripe wants it
    expect(data).toContain('confirm:true');
    expect(data).toContain('payment_method:pm_card_visa');
    expect(data).toContain('payment_method_types:[card]');
    expect(data).toContain(`metadata:map[orderId:${request.orderId} paymentId:${request.paymentId}]`);
    expect(data).toContain('expand:[latest_charge payment_method]');

    // stripe-mock answers its fixture: an intent requiring a payment method, whose latest charge is
    // a Visa ending 4242 (08/2030). That maps to a decline with the card known.
    expect(result).toMatchObject({
      outcome: 'DECLINED',
      reason: 'CARD_DECLINED',
      card: { brand: 'VISA', last4: '4242', expMonth: 8, expYear: 2030 },
    });
    expect(result.outcome === 'DECLINED' && result.chargeId).toMatch(/^pi_/);
  });

  it('sends the same Idempotency-Key for the same payment (a retried charge is one charge at Stripe)', async () => {
    const request = chargeRequest();
    const before = sent.length;
    await provider.charge(request);
    await provider.charge({ ...request, signal: new AbortController().signal });
    const keys = sent.slice(before).map((s) => s.idempotencyKey);
    expect(keys).toEqual([request.paymentId, request.paymentId]);
  });

  it('passes a return URL for 3-D Secure redirects when configured, and stripe-mock accepts it', async () => {
    const withReturn = stripeProvider(mock.url, { returnUrl: 'https://shop.example/payments/return' });
    const statuses: number[] = [];
    withReturn.client.on('response', (e: { status: number }) => statuses.push(e.status));
    const request = chargeRequest();
    await withReturn.charge(request);
    expect(statuses).toEqual([200]);
    expect(await requestData('POST /v1/payment_intents', request.paymentId)).toContain(
      'return_url:https://shop.example/payments/return',
    );
  });

  it('an amount stripe-mock refuses (not a whole number) surfaces as StripeRequestError, not as a decline or an outage', async () => {
    const error = await provider
      .charge(chargeRequest({ amount: { amount: 10.5, currency: 'EUR' } }))
      .catch((e) => e);
    expect(error).toBeInstanceOf(StripeRequestError);
    expect((error as Error).message).toMatch(/Request validation error/);
    expect(answered.at(-1)).toEqual({ path: '/v1/payment_intents', status: 400 });
  });

  it('stripe-mock does validate: an unknown parameter is refused (so what it accepted above was checked)', async () => {
    const error = await provider.client.paymentIntents
      .create({ amount: 100, currency: 'eur', card_number: '4242424242424242' } as never)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ type: 'StripeInvalidRequestError', statusCode: 400 });
    expect((error as Error).message).toMatch(/additional properties are not allowed/);
  });

  it.each(['tok_visa', 'PM_card_visa', 'pm_card_visa/../../v1/refunds', 'pm_', '', 'pm_card visa', 'pi_123'])(
    'a payment method that is not a Stripe PaymentMethod id (%j) is INVALID_PAYMENT_METHOD and nothing is sent',
    async (paymentMethod) => {
      const before = sent.length;
      const result = await provider.charge(chargeRequest({ paymentMethod }));
      expect(result.outcome).toBe('INVALID_PAYMENT_METHOD');
      expect(sent.length).toBe(before);
    },
  );

  it('an already aborted call is not sent at all', async () => {
    const controller = new AbortController();
    controller.abort();
    const before = sent.length;
    await expect(provider.charge(chargeRequest({ signal: controller.signal }))).rejects.toBeInstanceOf(
      ProviderUnavailableError,
    );
    expect(sent.length).toBe(before);
  });
});

describe('refunds, retrieve and cancel against stripe-mock', () => {
  it('refunds the PaymentIntent with our refund key as Idempotency-Key and the payment id as metadata', async () => {
    const before = sent.length;
    const result = await provider.refund({
      paymentId: 'payment-42',
      chargeId: 'pi_3RefundMe',
      amount: { amount: 700, currency: 'EUR' },
      idempotencyKey: 'refund:payment-42:ORDER_CANCELLED',
    });
    expect(result.refundId).toMatch(/^re_/);
    expect(sent.slice(before)).toEqual([
      { method: 'POST', path: '/v1/refunds', idempotencyKey: 'refund:payment-42:ORDER_CANCELLED' },
    ]);
    const data = await requestData('POST /v1/refunds', 'payment-42');
    expect(data).toContain('amount:700');
    expect(data).toContain('payment_intent:pi_3RefundMe');
    expect(data).toContain('metadata:map[paymentId:payment-42]');
  });

  it.each([0, -5, 1.5, Number.MAX_SAFE_INTEGER + 2])(
    'a refund of %p is refused before Stripe is asked',
    async (amount) => {
      const before = sent.length;
      await expect(
        provider.refund({
          paymentId: 'p',
          chargeId: 'pi_1',
          amount: { amount, currency: 'EUR' },
          idempotencyKey: 'k',
        }),
      ).rejects.toBeInstanceOf(RefundRefusedError);
      expect(sent.length).toBe(before);
    },
  );

  it.each(['ch_123', 'PI_123', 'pi_1/../../v1/customers', ''])(
    'a refund of charge %j is refused unsent',
    async (chargeId) => {
      const before = sent.length;
      await expect(
        provider.refund({
          paymentId: 'p',
          chargeId,
          amount: { amount: 1, currency: 'EUR' },
          idempotencyKey: 'k',
        }),
      ).rejects.toBeInstanceOf(RefundRefusedError);
      expect(sent.length).toBe(before);
    },
  );

  it('retrieves the PaymentIntent with its card expanded', async () => {
    const before = sent.length;
    const result = await provider.retrieveCharge('pi_3Retrieve');
    expect(sent.slice(before).map((s) => [s.method, s.path])).toEqual([
      ['GET', '/v1/payment_intents/pi_3Retrieve?expand[0]=latest_charge&expand[1]=payment_method'],
    ]);
    // The fixture's status again (requires_payment_method), with the id from the path.
    expect(result).toMatchObject({
      outcome: 'DECLINED',
      chargeId: 'pi_3Retrieve',
      card: { brand: 'VISA', last4: '4242' },
    });
  });

  it('cancels as abandoned (a cancellation_reason stripe-mock validates against its enumeration)', async () => {
    const before = sent.length;
    const result = await provider.cancelCharge('pi_3Cancel');
    expect(sent.slice(before).map((s) => [s.method, s.path])).toEqual([
      ['POST', '/v1/payment_intents/pi_3Cancel/cancel'],
    ]);
    expect(answered.at(-1)).toEqual({ path: '/v1/payment_intents/pi_3Cancel/cancel', status: 200 });
    expect(await requestData('POST /v1/payment_intents/pi_3Cancel/cancel', 'cancellation_reason')).toContain(
      'cancellation_reason:abandoned',
    );
    expect(result).toMatchObject({ outcome: 'DECLINED', chargeId: 'pi_3Cancel' });
  });

  it.each(['PI_3Upper', 'pi_1/cancel', '../v1/balance', 'pi_', 'ch_1'])(
    'retrieve and cancel refuse %j unsent',
    async (id) => {
      const before = sent.length;
      await expect(provider.retrieveCharge(id)).rejects.toBeInstanceOf(StripeRequestError);
      await expect(provider.cancelCharge(id)).rejects.toBeInstanceOf(StripeRequestError);
      expect(sent.length).toBe(before);
    },
  );
});

describe('the stripe-mock binary', () => {
  it('is the one tools/build.sh builds, and a missing one fails naming tools/build.sh', async () => {
    expect(STRIPE_MOCK_BIN).toMatch(/\/\.bin\/stripe-mock$/);
    await expect(startStripeMock(`${STRIPE_MOCK_BIN}-missing`)).rejects.toThrow(/tools\/build\.sh/);
  });

  it('many charges at once each carry their own Idempotency-Key and all pass validation', async () => {
    const requests = Array.from({ length: 20 }, () => chargeRequest());
    const before = sent.length;
    const results = await Promise.all(requests.map((r) => provider.charge(r)));
    expect(results.every((r) => r.outcome === 'DECLINED')).toBe(true);
    const keys = sent.slice(before).map((s) => s.idempotencyKey);
    expect(new Set(keys)).toEqual(new Set(requests.map((r) => r.paymentId)));
    expect(answered.slice(-20).every((a) => a.status === 200)).toBe(true);
  });
});

describe('Stripe down', () => {
  it('a closed port is ProviderUnavailableError for every call, retries included', async () => {
    const down = stripeProvider(`http://127.0.0.1:${await closedPort()}`, { maxNetworkRetries: 1 });
    const error = await down.charge(chargeRequest()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect((error as Error).message).toMatch(/StripeConnectionError/);
    await expect(
      down.refund({
        paymentId: 'p',
        chargeId: 'pi_1',
        amount: { amount: 1, currency: 'EUR' },
        idempotencyKey: 'k',
      }),
    ).rejects.toBeInstanceOf(ProviderUnavailableError);
    await expect(down.retrieveCharge('pi_1')).rejects.toBeInstanceOf(ProviderUnavailableError);
    await expect(down.cancelCharge('pi_1')).rejects.toBeInstanceOf(ProviderUnavailableError);
  });

  it('the constructor refuses an apiUrl that is not http(s) and missing secrets', () => {
    expect(
      () => new StripeProvider({ secretKey: 'sk', webhookSecret: 'wh', apiUrl: 'ftp://127.0.0.1:1' }),
    ).toThrow(/http or https/);
    expect(() => new StripeProvider({ secretKey: '', webhookSecret: 'wh' })).toThrow(/secret key/);
    expect(() => new StripeProvider({ secretKey: 'sk', webhookSecret: '' })).toThrow(/signing secret/);
  });
});
