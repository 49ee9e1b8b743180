import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { dumpRedis, waitFor } from '@shop/testing';
import { card, PSP_SECRET_KEY, TEST_CARDS, TestPsp, type Harness } from './helpers';
import { paymentsRun } from './run-checks';
import { scaTools } from './sca-run';

/**
 * POST /webhooks/provider as an attacker and as a flaky network would use it. The PSP's own
 * webhooks go nowhere here (its WEBHOOK_URL is a closed port), so every event payments sees is one
 * the test posts: the PSP's real charge (GET /v1/charges/:id), signed with the PSP's secret or not.
 * The relay is off: outbox entries are read from Redis.
 */
const psp = new TestPsp();
const run = paymentsRun(
  'hooks',
  { relay: false },
  { psp, webhookUrl: 'http://127.0.0.1:9/webhooks/provider' },
);
const { payWith, expectNoSecrets } = run;
const t = scaTools(run.harness);
let h: Harness;
beforeAll(() => {
  h = run.harness();
});
afterAll(() => t.close());
afterEach(() => jest.restoreAllMocks());

/** A payment awaiting action whose customer completed (or failed) the challenge at the PSP. */
async function authenticated(result: 'succeed' | 'fail' = 'succeed') {
  const user = h.customer();
  const orderId = h.newOrder(user.id, 4_100);
  const pay = await payWith(user, orderId, card(TEST_CARDS.REQUIRES_AUTHENTICATION), randomUUID());
  expect(pay.__typename).toBe('PaymentRequiresAction');
  const payment = await t.payment(pay.payment!.id);
  expect(await psp.authenticate(payment.chargeId!, result)).toBe(200);
  const charge = psp.processor.retrieve(payment.chargeId!)!;
  const type = result === 'succeed' ? ('charge.succeeded' as const) : ('charge.failed' as const);
  return { user, orderId, payment, charge, type, body: t.body(`evt_${randomUUID()}`, type, charge) };
}

describe('webhook signatures', () => {
  it('a forged, missing, malformed, wrong-secret, old (replayed) or future signature is 400, logged without the body, and changes nothing; the real one then settles', async () => {
    const { orderId, payment, body } = await authenticated();
    const before = (await dumpRedis(h.redisPrefix)).sort();
    const forged = t.sign(body).replace(/v1=([0-9a-f])/, (_m, c: string) => `v1=${c === '0' ? '1' : '0'}`);
    const attempts: [string, string | undefined][] = [
      ['forged', forged],
      ['missing', undefined],
      ['empty', ''],
      ['no v1', `t=${Math.floor(Date.now() / 1000)}`],
      ['not hex', `t=${Math.floor(Date.now() / 1000)},v1=${'z'.repeat(64)}`],
      ['short', `t=${Math.floor(Date.now() / 1000)},v1=abcd`],
      ['wrong secret', t.sign(body, 'another-webhook-secret-of-someone')],
      ['the API key as secret', t.sign(body, PSP_SECRET_KEY)],
      ['301 s old', t.sign(body, undefined, Date.now() - 301_000)],
      ['an hour old', t.sign(body, undefined, Date.now() - 3_600_000)],
      ['10 min ahead', t.sign(body, undefined, Date.now() + 600_000)],
      ['signed over another body', t.sign(body.replace('succeeded', 'failed'))],
    ];
    for (const [label, signature] of attempts) {
      const res = await t.post(body, signature);
      expect([label, res.status]).toEqual([label, 400]);
    }
    // a valid signature over a tampered body
    const tampered = body.replace(String(payment.amount.amount), '1');
    expect((await t.post(tampered, t.sign(body))).status).toBe(400);
    expect((await dumpRedis(h.redisPrefix)).sort()).toEqual(before);
    expect((await t.payment(payment.id)).status).toBe('REQUIRES_ACTION');
    const warnings = h.log.lines.filter((l) => l.includes('webhook refused'));
    expect(warnings.length).toBe(attempts.length + 1);
    for (const w of warnings) {
      expect(JSON.parse(w)).toMatchObject({ level: expect.anything(), reason: expect.any(String) });
      expect(w).not.toContain(payment.chargeId!);
      expect(w).not.toContain(orderId);
    }
    // the genuine delivery is not spoilt by the refused ones
    const ok = await t.post(body, t.sign(body));
    expect(ok.status).toBe(200);
    expect(await t.payment(payment.id)).toMatchObject({ status: 'SUCCEEDED' });
    expect(await t.outboxOf(payment.id)).toEqual(['SUCCEEDED']);
  });

  it('a body over 64 KiB is 413, unread and unhandled', async () => {
    const big = JSON.stringify({ id: 'evt_big', pad: 'x'.repeat(70 * 1024) });
    expect((await t.post(big, t.sign(big))).status).toBe(413);
  });

  it('a signed body that is not an event payments acts on is 200 and changes nothing', async () => {
    const before = (await dumpRedis(h.redisPrefix)).sort();
    for (const body of [
      'not json',
      '{}',
      JSON.stringify({ id: 'evt_x', type: 'charge.refunded', data: {} }),
    ]) {
      expect((await t.post(body, t.sign(body))).status).toBe(200);
    }
    expect((await dumpRedis(h.redisPrefix)).sort()).toEqual(before);
  });
});

describe('webhook deliveries', () => {
  it('the same event delivered 6 times concurrently and twice more afterwards settles once: one payments.succeeded entry, the guard once', async () => {
    const { orderId, payment, body } = await authenticated();
    const answers = await Promise.all(Array.from({ length: 6 }, () => t.post(body, t.sign(body))));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    for (let i = 0; i < 2; i++) expect((await t.post(body, t.sign(body))).status).toBe(200);
    expect(await t.outboxOf(payment.id)).toEqual(['SUCCEEDED']);
    expect(await t.marks(orderId)).toMatchObject({ paid: payment.id, action: null });
  });

  it('other events of one charge (another id, the same outcome) change nothing after the first', async () => {
    const { payment, charge, type, body } = await authenticated('fail');
    expect((await t.post(body, t.sign(body))).status).toBe(200);
    const again = t.body(`evt_${randomUUID()}`, type, charge);
    expect((await t.post(again, t.sign(again))).status).toBe(200);
    // even a forged-outcome event with a valid signature cannot turn a final failure into a success
    const flipped = t.body(`evt_${randomUUID()}`, 'charge.succeeded', { ...charge, status: 'succeeded' });
    expect((await t.post(flipped, t.sign(flipped))).status).toBe(200);
    expect(await t.payment(payment.id)).toMatchObject({
      status: 'FAILED',
      failureReason: 'AUTHENTICATION_FAILED',
    });
    expect(await t.outboxOf(payment.id)).toEqual(['FAILED']);
  });

  it('a handling that fails is answered 500 and not remembered: the redelivery settles it', async () => {
    const { payment, body } = await authenticated();
    jest.spyOn(h.app.actions, 'settle').mockRejectedValueOnce(new Error('Redis went away'));
    expect((await t.post(body, t.sign(body))).status).toBe(500);
    expect((await t.payment(payment.id)).status).toBe('REQUIRES_ACTION');
    expect((await t.post(body, t.sign(body))).status).toBe(200);
    expect((await t.payment(payment.id)).status).toBe('SUCCEEDED');
    expect(await t.outboxOf(payment.id)).toEqual(['SUCCEEDED']);
  });

  it('a webhook of a synchronous success (before or after the answer) changes nothing: one payment, one event', async () => {
    const user = h.customer();
    const orderId = h.newOrder(user.id);
    const pay = await payWith(user, orderId, card(TEST_CARDS.SUCCESS), randomUUID());
    const payment = await t.payment(pay.payment!.id);
    const charge = psp.processor.retrieve(payment.chargeId!)!;
    for (let i = 0; i < 2; i++) {
      const body = t.body(`evt_${randomUUID()}`, 'charge.succeeded', charge);
      expect((await t.post(body, t.sign(body))).status).toBe(200);
    }
    expect((await h.app.repository.paymentsByOrders([orderId]))[0]).toHaveLength(1);
    expect(await t.outboxOf(payment.id)).toEqual(['SUCCEEDED']);
    expect(psp.refunds.filter((r) => r.chargeId === payment.chargeId)).toEqual([]);
  });

  it('a success of a charge payments never recorded (payOrder gave up on it) is recorded unpaid and refunded in full, once', async () => {
    const user = h.customer();
    const orderId = h.newOrder(user.id, 2_222);
    const paymentId = randomUUID();
    const token = await psp.tokenize(card(TEST_CARDS.SUCCESS));
    const res = await fetch(`${psp.url}/v1/charges`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${PSP_SECRET_KEY}`,
        'content-type': 'application/json',
        'idempotency-key': paymentId,
      },
      body: JSON.stringify({
        token,
        amount: { amount: 2_222, currency: 'EUR' },
        paymentId,
        orderId,
        description: 'x',
      }),
    });
    const charge = await res.json();
    expect(charge).toMatchObject({ status: 'succeeded' });
    const bodies = [0, 1].map(() => t.body(`evt_${randomUUID()}`, 'charge.succeeded', charge));
    for (const body of bodies) expect((await t.post(body, t.sign(body))).status).toBe(200);
    const payment = await t.payment(paymentId);
    expect(payment).toMatchObject({ status: 'SUCCEEDED', refundedAmount: 2_222, chargeId: charge.id });
    expect(psp.refunds.filter((r) => r.chargeId === charge.id).map((r) => r.amount.amount)).toEqual([2_222]);
    expect(await t.marks(orderId)).toMatchObject({ paid: null });
    expect(await t.outboxOf(paymentId)).toEqual(['REFUNDED']);
  });

  it('charges of other shops (ids not in our form, unknown metadata) are 200 and write nothing', async () => {
    const { charge } = await authenticated();
    const before = (await dumpRedis(h.redisPrefix)).sort();
    const variants = [
      { ...charge, paymentId: charge.paymentId.toUpperCase() },
      { ...charge, orderId: charge.orderId.toUpperCase() },
      { ...charge, paymentId: 'pi_someone_else', orderId: 'order-42' },
      { ...charge, paymentId: undefined, orderId: undefined },
    ];
    for (const c of variants) {
      const body = t.body(`evt_${randomUUID()}`, 'charge.succeeded', c);
      expect((await t.post(body, t.sign(body))).status).toBe(200);
    }
    expect((await dumpRedis(h.redisPrefix)).sort()).toEqual(before);
    // a payment of ours named with another order is not settled either
    const other = t.body(`evt_${randomUUID()}`, 'charge.succeeded', { ...charge, orderId: randomUUID() });
    expect((await t.post(other, t.sign(other))).status).toBe(200);
    expect((await t.payment(charge.paymentId)).status).toBe('REQUIRES_ACTION');
  });
});

describe('the webhook that never came', () => {
  it('a payment whose action expired is looked up at the PSP and settled by the job: completed → SUCCEEDED', async () => {
    const { orderId, payment } = await authenticated();
    // nothing arrived (the PSP's webhooks go nowhere); the job looks once the action expired
    expect(await h.app.service.settleExpiredActions(Date.now())).toBeGreaterThanOrEqual(0);
    expect((await t.payment(payment.id)).status).toBe('REQUIRES_ACTION');
    await h.app.service.settleExpiredActions(payment.action!.expiresAt.getTime() + 1);
    expect(await t.payment(payment.id)).toMatchObject({ status: 'SUCCEEDED' });
    expect(await t.outboxOf(payment.id)).toEqual(['SUCCEEDED']);
    expect(await t.marks(orderId)).toMatchObject({ paid: payment.id, action: null });
    expect((await t.marks(orderId)).pending).not.toContain(payment.id);
  });

  it('one still pending at the PSP is cancelled there and settled FAILED (the order can be paid again)', async () => {
    const user = h.customer();
    const orderId = h.newOrder(user.id);
    const pay = await payWith(user, orderId, card(TEST_CARDS.REQUIRES_AUTHENTICATION), randomUUID());
    const payment = await t.payment(pay.payment!.id);
    await h.app.service.settleExpiredActions(payment.action!.expiresAt.getTime() + 1);
    expect(await t.payment(payment.id)).toMatchObject({
      status: 'FAILED',
      failureReason: 'AUTHENTICATION_FAILED',
    });
    expect(psp.processor.retrieve(payment.chargeId!)?.status).toBe('failed');
    expect(await t.outboxOf(payment.id)).toEqual(['FAILED']);
    expect((await payWith(user, orderId, card(TEST_CARDS.SUCCESS), randomUUID())).__typename).toBe(
      'PaymentSucceeded',
    );
  });

  it('a new payOrder finds the customer completed the challenge meanwhile: the order is paid, OrderNotPayableError PAID, nothing charged again', async () => {
    const { user, orderId, payment } = await authenticated();
    const before = psp.charges;
    const again = await payWith(user, orderId, card(TEST_CARDS.SUCCESS), randomUUID());
    expect(again).toMatchObject({ __typename: 'OrderNotPayableError', status: 'PAID' });
    expect(psp.charges).toBe(before);
    expect(await t.payment(payment.id)).toMatchObject({ status: 'SUCCEEDED' });
    expect(await t.outboxOf(payment.id)).toEqual(['SUCCEEDED']);
  });

  it('the PSP down: the job leaves the payment pending and tries again later', async () => {
    const user = h.customer();
    const orderId = h.newOrder(user.id);
    const pay = await payWith(user, orderId, card(TEST_CARDS.REQUIRES_AUTHENTICATION), randomUUID());
    const payment = await t.payment(pay.payment!.id);
    jest.spyOn(h.app.provider, 'retrieveCharge').mockRejectedValueOnce(new Error('ECONNREFUSED'));
    expect(await h.app.service.settleExpiredActions(payment.action!.expiresAt.getTime() + 1)).toBeGreaterThan(
      0,
    );
    expect((await t.payment(payment.id)).status).toBe('REQUIRES_ACTION');
    await waitFor(async () => {
      await h.app.service.settleExpiredActions(payment.action!.expiresAt.getTime() + 1);
      return (await t.payment(payment.id)).status === 'FAILED';
    });
  });

  it('no card number or CVC in Redis or in the logs', async () => {
    await expectNoSecrets();
  });
});
