import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { dumpRedis } from '@shop/testing';
import { bootPayments, type Harness } from './helpers';
import {
  event,
  paymentIntent,
  signedHeader,
  startStripeMock,
  TEST_SECRET_KEY,
  TEST_WEBHOOK_SECRET,
  type StripeMock,
} from './stripe-mock';

/**
 * The payments app with PAYMENT_PROVIDER=stripe pointed at stripe-mock (STRIPE_API_URL): payOrder
 * goes through the real StripeProvider to a server that validates the request against Stripe's API
 * description; /webhooks/provider verifies Stripe's signature scheme.
 */

let mock: StripeMock;
let h: Harness;

beforeAll(async () => {
  mock = await startStripeMock();
  h = await bootPayments(
    'stripe-app',
    {},
    {
      env: {
        PAYMENT_PROVIDER: 'stripe',
        STRIPE_SECRET_KEY: TEST_SECRET_KEY,
        STRIPE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
        STRIPE_API_URL: mock.url,
      },
    },
  );
});

afterAll(async () => {
  await h?.close();
  await mock?.stop();
});

/** Decoded request bodies stripe-mock logged for POST /v1/payment_intents. */
const intentsCreated = () =>
  mock
    .output()
    .split('Request: ')
    .filter((b) => b.startsWith('POST /v1/payment_intents\n'))
    .map((b) => /Request data = (.*)/.exec(b)?.[1] ?? '');

async function waitForCreated(marker: string): Promise<string | undefined> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const found = intentsCreated().find((d) => d.includes(marker));
    if (found || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const post = (body: string, signature?: string) =>
  fetch(`${h.url.replace(/\/graphql$/, '')}/webhooks/provider`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(signature === undefined ? {} : { 'stripe-signature': signature }),
    },
    body,
  });

describe('payments with PAYMENT_PROVIDER=stripe against stripe-mock', () => {
  it("payOrder creates a PaymentIntent stripe-mock accepts, with the order's amount and our ids, and records its answer", async () => {
    const user = h.customer();
    const orderId = h.newOrder(user.id, 3_150);
    const res = await h.pay(user, {
      orderId,
      paymentMethodToken: 'pm_card_visa',
      idempotencyKey: randomUUID(),
    });
    const result = res.data?.payOrder;
    // stripe-mock's fixture is an intent requiring a payment method: a decline, with its Visa 4242.
    expect(result).toMatchObject({
      __typename: 'CardDeclinedError',
      declineReason: 'CARD_DECLINED',
      payment: { status: 'FAILED' },
    });
    const paymentId = (result as { payment: { id: string } }).payment.id;
    const data = await waitForCreated(paymentId);
    expect(data).toContain('amount:3150');
    expect(data).toContain('currency:eur');
    expect(data).toContain(`metadata:map[orderId:${orderId} paymentId:${paymentId}]`);
    expect(data).toContain('payment_method:pm_card_visa');
  });

  it('a token that is not a PaymentMethod id is PaymentMethodInvalidError and Stripe is not asked', async () => {
    const user = h.customer();
    const orderId = h.newOrder(user.id);
    const before = intentsCreated().length;
    for (const token of ['tok_visa', 'PM_CARD_VISA', 'pm_card_visa/../../v1/refunds']) {
      const res = await h.pay(user, { orderId, paymentMethodToken: token, idempotencyKey: randomUUID() });
      expect([token, res.data?.payOrder?.__typename]).toEqual([token, 'PaymentMethodInvalidError']);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(intentsCreated().length).toBe(before);
  });
});

describe("/webhooks/provider with Stripe's signatures", () => {
  const ours = () =>
    event(
      'payment_intent.succeeded',
      paymentIntent({ metadata: { orderId: randomUUID(), paymentId: randomUUID() } }),
      `evt_${randomUUID().replace(/-/g, '')}`,
    );

  it('a forged, missing, other-secret, replayed, future or moved signature is 400 and writes nothing', async () => {
    const body = ours();
    const before = (await dumpRedis(h.redisPrefix)).sort();
    const now = Math.floor(Date.now() / 1000);
    const attempts: [string, string | undefined][] = [
      ['forged', `t=${now},v1=${'a'.repeat(64)}`],
      ['missing', undefined],
      ['other secret', signedHeader(body, { secret: 'whsec_not_ours' })],
      ['replayed (an hour old)', signedHeader(body, { timestamp: now - 3600 })],
      ['an hour ahead', signedHeader(body, { timestamp: now + 3600 })],
      ['over another body', signedHeader(body.replace('succeeded', 'canceled'))],
    ];
    for (const [label, signature] of attempts) {
      const res = await post(body, signature);
      expect([label, res.status]).toEqual([label, 400]);
    }
    expect((await dumpRedis(h.redisPrefix)).sort()).toEqual(before);
  });

  it('a signed event about an intent we did not create is acknowledged and ignored', async () => {
    const body = event('payment_intent.succeeded', paymentIntent({ metadata: {} }), 'evt_notours');
    const before = (await dumpRedis(h.redisPrefix)).sort();
    const res = await post(body, signedHeader(body));
    expect(res.status).toBe(200);
    expect((await dumpRedis(h.redisPrefix)).sort()).toEqual(before);
  });
});
