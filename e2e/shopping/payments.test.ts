/**
 * Paying through the gateway with tokens (docs/payment-provider.md): the shopper's browser posts the
 * card to the test PSP and gets a single-use token; payOrder takes the token. A success pays the
 * order at once; a decline leaves it payable; a card that asks for 3-D Secure answers
 * PaymentRequiresAction and the order is PAID only when the PSP's signed webhook says so; a failed
 * or abandoned authentication releases the order like a decline. Webhooks that are forged, replayed
 * or duplicated change nothing, and tokens are single use, exact and bound to their idempotency key.
 * Every outcome is read back from the stores (payments' Redis, orders' MySQL) and the PSP's ledger.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { dumpRedis, mailpit, waitFor } from '@shop/testing';
import { createTestEnvironment, type TestEnvironment } from '../environment';
import { authenticate, pspLedger, TEST_CARDS, tokenFor, type LedgerCharge } from '../psp';
import { expectNoInternalErrors, openStores, shopClient } from './support';

/** Short, so the abandoned authentication is given up within the test. */
const AUTHENTICATION_TTL_SECONDS = 6;

const PAY = `mutation($i: PayOrderInput!) {
  payOrder(input: $i) {
    __typename
    ... on PaymentSucceeded { payment { id status amount { amount } card { brand last4 } } }
    ... on PaymentRequiresAction { payment { id status } action { type url expiresAt } }
    ... on CardDeclinedError { reason payment { id status failureReason } }
    ... on PaymentIdempotencyKeyReusedError { idempotencyKey }
    ... on OrderNotPayableError { status }
    ... on Error { message }
  }
}`;
const PLACE = `mutation($i: PlaceOrderInput!) {
  placeOrder(input: $i) { __typename ... on Order { id number total { amount } } ... on Error { message } }
}`;

interface PayResult {
  __typename: string;
  payment?: { id: string; status: string; failureReason?: string | null; card?: { last4: string } };
  action?: { type: string; url: string; expiresAt: string };
  reason?: string;
  idempotencyKey?: string;
}

let env: TestEnvironment;
let shop: ReturnType<typeof shopClient>;
let stores: Awaited<ReturnType<typeof openStores>>;
let redis: Redis;
let productId: string;

beforeAll(async () => {
  env = await createTestEnvironment({ authenticationTtlSeconds: AUTHENTICATION_TTL_SECONDS });
  shop = shopClient(env);
  stores = await openStores(env);
  redis = new Redis(env.stores.redisUrl);
  productId = (await shop.products(1))[0]!.id;
}, 120_000);

afterAll(async () => {
  redis?.disconnect();
  await stores?.close();
  await env?.stop();
});

afterAll(() => expectNoInternalErrors(shop.responses));

async function placed(who: { headers: Record<string, string> }) {
  const res = await shop.ok<{
    placeOrder: { __typename: string; id: string; number: string; total: { amount: number } };
  }>(PLACE, { i: { idempotencyKey: randomUUID(), items: [{ productId, quantity: 1 }] } }, who.headers);
  if (res.placeOrder.__typename !== 'Order') throw new Error(`placeOrder: ${JSON.stringify(res)}`);
  return res.placeOrder;
}

async function pay(
  who: { headers: Record<string, string> },
  orderId: string,
  token: string,
  key = randomUUID(),
) {
  const res = await shop.ok<{ payOrder: PayResult }>(
    PAY,
    { i: { orderId, paymentMethodToken: token, idempotencyKey: key } },
    who.headers,
  );
  return res.payOrder;
}

/** The order's status in orders' own table. */
const orderStatus = async (id: string) =>
  (await stores.rows<{ status: string }>('SELECT status FROM orders WHERE id = ?', [id]))[0]?.status;

/** A payment's record in payments' Redis. */
const paymentRecord = (id: string) => redis.hgetall(`${env.stores.redisPrefix}payment:${id}`);

const chargesOf = async (orderId: string): Promise<LedgerCharge[]> =>
  (await pspLedger(env.pspUrl, env.pspSecretKey)).charges.filter((c) => c.orderId === orderId);

const paidWithEmail = async (orderId: string, number: string, email: string) => {
  await waitFor(async () => (await orderStatus(orderId)) === 'PAID', { timeoutMs: 20_000 });
  const mails = await waitFor(
    async () => {
      const found = await mailpit.messagesTo(email);
      return found.length > 0 ? found : null;
    },
    { timeoutMs: 20_000 },
  );
  expect(mails).toHaveLength(1);
  expect((await mailpit.message(mails[0]!.ID)).Subject).toContain(number);
};

/** Payments' Redis without the router's rate-limit windows and short-lived locks. */
const paymentsState = async () =>
  (await dumpRedis(env.stores.redisPrefix, env.stores.redisUrl))
    .filter((line) => !/ratelimit:|:lock/.test(line))
    .sort();

/** Posts a webhook body to payments as the PSP would, signed with `secret` at `t`. */
async function deliver(body: string, secret: string | null, t = Math.floor(Date.now() / 1000)) {
  const signature = createHmac('sha256', secret ?? 'x')
    .update(`${t}.${body}`)
    .digest('hex');
  const res = await fetch(env.webhookUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(secret === null ? {} : { 'psp-signature': `t=${t},v1=${signature}` }),
    },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

const event = (type: string, charge: LedgerCharge) =>
  JSON.stringify({
    id: `evt_${randomUUID().replace(/-/g, '')}`,
    type,
    created: Math.floor(Date.now() / 1000),
    data: { charge },
  });

describe('paying with a token through the gateway', () => {
  it('token → payOrder → PaymentSucceeded → the order PAID, one charge at the PSP, the confirmation email', async () => {
    const who = await shop.customer('paid');
    const order = await placed(who);
    const result = await pay(who, order.id, await tokenFor(env.pspUrl, TEST_CARDS.visa));
    expect(result).toMatchObject({
      __typename: 'PaymentSucceeded',
      payment: {
        status: 'SUCCEEDED',
        amount: { amount: order.total.amount },
        card: { brand: 'VISA', last4: '4242' },
      },
    });
    expect((await paymentRecord(result.payment!.id)).status).toBe('SUCCEEDED');
    const charges = await chargesOf(order.id);
    expect(charges.map((c) => [c.status, c.amount.amount, c.paymentId])).toEqual([
      ['succeeded', order.total.amount, result.payment!.id],
    ]);
    await paidWithEmail(order.id, order.number, who.email);
  });

  it('a declined card: CardDeclinedError, a FAILED payment, the order still payable; another token then pays it', async () => {
    const who = await shop.customer('declined');
    const order = await placed(who);
    const declined = await pay(who, order.id, await tokenFor(env.pspUrl, TEST_CARDS.insufficientFunds));
    expect(declined).toMatchObject({
      __typename: 'CardDeclinedError',
      reason: 'INSUFFICIENT_FUNDS',
      payment: { status: 'FAILED', failureReason: 'INSUFFICIENT_FUNDS' },
    });
    expect(await orderStatus(order.id)).toBe('PENDING_PAYMENT');
    const paid = await pay(who, order.id, await tokenFor(env.pspUrl, TEST_CARDS.mastercard));
    expect(paid.__typename).toBe('PaymentSucceeded');
    expect((await chargesOf(order.id)).map((c) => c.status)).toEqual(['declined', 'succeeded']);
    await paidWithEmail(order.id, order.number, who.email);
  });
});

describe('3-D Secure', () => {
  it('PaymentRequiresAction with the challenge url; the order is PAID only after the customer authenticates and the webhook arrives', async () => {
    const who = await shop.customer('threeds');
    const order = await placed(who);
    const result = await pay(who, order.id, await tokenFor(env.pspUrl, TEST_CARDS.threeDSecure));
    expect(result).toMatchObject({
      __typename: 'PaymentRequiresAction',
      payment: { status: 'REQUIRES_ACTION' },
    });
    expect(result.action!.type).toBe('REDIRECT_TO_URL');
    expect(result.action!.url.startsWith(`${env.pspUrl}/v1/authentications/`)).toBe(true);
    expect(Date.parse(result.action!.expiresAt)).toBeGreaterThan(Date.now());
    // Not paid yet: in orders, in payments, and at the PSP.
    await sleep(500);
    expect(await orderStatus(order.id)).toBe('PENDING_PAYMENT');
    expect((await paymentRecord(result.payment!.id)).status).toBe('REQUIRES_ACTION');
    expect((await chargesOf(order.id)).map((c) => c.status)).toEqual(['requires_action']);
    // The challenge page is a page, then the customer authenticates.
    const page = await fetch(result.action!.url);
    expect([page.status, (await page.text()).length > 0]).toEqual([200, true]);
    expect(await authenticate(result.action!.url, 'succeed')).toBe(200);
    await paidWithEmail(order.id, order.number, who.email);
    expect((await paymentRecord(result.payment!.id)).status).toBe('SUCCEEDED');
    expect((await chargesOf(order.id)).map((c) => c.status)).toEqual(['succeeded']);
    // The page is final now: a second answer is refused and changes nothing.
    expect(await authenticate(result.action!.url, 'fail')).toBe(409);
    expect(await orderStatus(order.id)).toBe('PAID');
  });

  it('a failed authentication: the payment FAILED (AUTHENTICATION_FAILED), the order payable again and then paid with 4242', async () => {
    const who = await shop.customer('threedsfail');
    const order = await placed(who);
    const result = await pay(who, order.id, await tokenFor(env.pspUrl, TEST_CARDS.threeDSecure));
    expect(result.__typename).toBe('PaymentRequiresAction');
    expect(await authenticate(result.action!.url, 'fail')).toBe(200);
    const record = await waitFor(async () => {
      const r = await paymentRecord(result.payment!.id);
      return r.status === 'FAILED' ? r : null;
    });
    expect(record.failureReason).toBe('AUTHENTICATION_FAILED');
    expect(await orderStatus(order.id)).toBe('PENDING_PAYMENT');
    expect((await pay(who, order.id, await tokenFor(env.pspUrl, TEST_CARDS.visa))).__typename).toBe(
      'PaymentSucceeded',
    );
    await paidWithEmail(order.id, order.number, who.email);
  });

  it('an abandoned authentication is released like a decline: FAILED when the PSP gives up, the order payable, 4242 pays it', async () => {
    const who = await shop.customer('abandoned');
    const order = await placed(who);
    const result = await pay(who, order.id, await tokenFor(env.pspUrl, TEST_CARDS.threeDSecure));
    expect(result.__typename).toBe('PaymentRequiresAction');
    // Nobody authenticates. The PSP abandons it after its TTL and tells payments (charge.failed).
    const record = await waitFor(
      async () => {
        const r = await paymentRecord(result.payment!.id);
        return r.status === 'FAILED' ? r : null;
      },
      { timeoutMs: (AUTHENTICATION_TTL_SECONDS + 20) * 1000 },
    );
    expect(record.failureReason).toBe('AUTHENTICATION_FAILED');
    expect((await chargesOf(order.id)).map((c) => c.status)).toEqual(['failed']);
    expect(await orderStatus(order.id)).toBe('PENDING_PAYMENT');
    // Too late to authenticate now.
    expect(await authenticate(result.action!.url, 'succeed')).toBe(409);
    expect((await pay(who, order.id, await tokenFor(env.pspUrl, TEST_CARDS.visa))).__typename).toBe(
      'PaymentSucceeded',
    );
    await paidWithEmail(order.id, order.number, who.email);
  }, 60_000);
});

describe('webhooks', () => {
  it('a forged, an unsigned and a replayed (old timestamp) charge.succeeded are refused (400) and change nothing', async () => {
    const who = await shop.customer('forged');
    const order = await placed(who);
    const result = await pay(who, order.id, await tokenFor(env.pspUrl, TEST_CARDS.threeDSecure));
    expect(result.__typename).toBe('PaymentRequiresAction');
    const [charge] = await chargesOf(order.id);
    const before = await paymentsState();
    const succeeded = event('charge.succeeded', { ...charge!, status: 'succeeded' });
    expect(await deliver(succeeded, `${env.pspWebhookSecret}-not-it`)).toBe(400);
    expect(await deliver(succeeded, null)).toBe(400);
    expect(await deliver(succeeded, env.pspWebhookSecret, Math.floor(Date.now() / 1000) - 600)).toBe(400);
    expect(await deliver(succeeded, env.pspWebhookSecret, Math.floor(Date.now() / 1000) + 600)).toBe(400);
    // The signed body with another body under it.
    const t = Math.floor(Date.now() / 1000);
    const other = createHmac('sha256', env.pspWebhookSecret).update(`${t}.{}`).digest('hex');
    const swapped = await fetch(env.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'psp-signature': `t=${t},v1=${other}` },
      body: succeeded,
    });
    expect(swapped.status).toBe(400);
    await sleep(300);
    expect(await paymentsState()).toEqual(before);
    expect((await paymentRecord(result.payment!.id)).status).toBe('REQUIRES_ACTION');
    expect(await orderStatus(order.id)).toBe('PENDING_PAYMENT');
    // Refused deliveries are logged as warnings without their body.
    const warned = env.logs.filter(
      (line) => line.includes('"service":"payments"') && /webhook refused/i.test(line),
    );
    expect(warned.length).toBeGreaterThanOrEqual(5);
    expect(warned.every((line) => !line.includes(charge!.id) && !line.includes(succeeded))).toBe(true);
    // The real authentication still completes it.
    expect(await authenticate(result.action!.url, 'succeed')).toBe(200);
    await waitFor(async () => (await orderStatus(order.id)) === 'PAID');
  });

  it('a correctly signed charge.failed after the synchronous success is answered 200 and changes nothing, twice', async () => {
    const who = await shop.customer('duplicate');
    const order = await placed(who);
    const result = await pay(who, order.id, await tokenFor(env.pspUrl, TEST_CARDS.visa));
    expect(result.__typename).toBe('PaymentSucceeded');
    await waitFor(async () => (await orderStatus(order.id)) === 'PAID');
    await sleep(500); // the PSP's own charge.succeeded delivery has arrived
    const [charge] = await chargesOf(order.id);
    // Handled event ids are remembered (webhook:{sha256(id)}); everything else stays as it was.
    const withoutEvents = async () => (await paymentsState()).filter((line) => !line.includes('webhook:'));
    const events = async () => (await paymentsState()).filter((line) => line.includes('webhook:')).length;
    const [before, eventsBefore] = [await withoutEvents(), await events()];
    const failed = event('charge.failed', { ...charge!, status: 'declined', declineReason: 'CARD_DECLINED' });
    expect(await deliver(failed, env.pspWebhookSecret)).toBe(200);
    expect(await deliver(failed, env.pspWebhookSecret)).toBe(200);
    await sleep(300);
    expect(await withoutEvents()).toEqual(before);
    expect(await events()).toBe(eventsBefore + 1);
    expect((await paymentRecord(result.payment!.id)).status).toBe('SUCCEEDED');
    expect(await orderStatus(order.id)).toBe('PAID');
  });
});

describe('tokens', () => {
  it('a token used twice: the second payOrder is PaymentMethodInvalidError, nothing charged or recorded for that order', async () => {
    const who = await shop.customer('twice');
    const [first, second] = [await placed(who), await placed(who)];
    const token = await tokenFor(env.pspUrl, TEST_CARDS.visa);
    expect((await pay(who, first.id, token)).__typename).toBe('PaymentSucceeded');
    expect((await pay(who, second.id, token)).__typename).toBe('PaymentMethodInvalidError');
    expect(await chargesOf(second.id)).toEqual([]);
    expect(await redis.keys(`${env.stores.redisPrefix}order:${second.id}*`)).toEqual([]);
    expect(await orderStatus(second.id)).toBe('PENDING_PAYMENT');
  });

  it('the same idempotency key with another token is PaymentIdempotencyKeyReusedError; with the same token, the first answer', async () => {
    const who = await shop.customer('key');
    const order = await placed(who);
    const key = randomUUID();
    const [token, otherToken] = [
      await tokenFor(env.pspUrl),
      await tokenFor(env.pspUrl, TEST_CARDS.mastercard),
    ];
    const first = await pay(who, order.id, token, key);
    expect(first.__typename).toBe('PaymentSucceeded');
    expect(await pay(who, order.id, otherToken, key)).toMatchObject({
      __typename: 'PaymentIdempotencyKeyReusedError',
      idempotencyKey: key,
    });
    const again = await pay(who, order.id, token, key);
    expect(again).toMatchObject({ __typename: 'PaymentSucceeded', payment: { id: first.payment!.id } });
    expect((await chargesOf(order.id)).map((c) => c.status)).toEqual(['succeeded']);
    // The other token was never charged: it still pays another order.
    const next = await placed(who);
    expect((await pay(who, next.id, otherToken)).__typename).toBe('PaymentSucceeded');
  });

  it('a token in another letter case is PaymentMethodInvalidError; the token as issued then pays', async () => {
    const who = await shop.customer('case');
    const order = await placed(who);
    const token = await tokenFor(env.pspUrl);
    for (const variant of [token.toUpperCase(), token.replace(/^tok_/, 'TOK_')])
      expect((await pay(who, order.id, variant)).__typename).toBe('PaymentMethodInvalidError');
    expect(await chargesOf(order.id)).toEqual([]);
    expect(await orderStatus(order.id)).toBe('PENDING_PAYMENT');
    expect((await pay(who, order.id, token)).__typename).toBe('PaymentSucceeded');
  });
});
