import { randomUUID } from 'node:crypto';
import { bootPayments, card, TEST_CARDS, TestPsp, type Harness } from './helpers';
import { scaTools } from './sca-run';

/**
 * Abandoned authentications and webhooks racing payOrder, with the real PSP and payments' own job
 * running (no test calls it): AUTHENTICATION_TTL_SECONDS=1 at the PSP, PENDING_ACTION_INTERVAL_MS=200.
 * `delivered` gets the PSP's webhooks; `lost` has the PSP's WEBHOOK_URL pointing nowhere, so only
 * the job can settle its payments. The relay is off: outbox entries are read from Redis.
 */
const env = { PENDING_ACTION_INTERVAL_MS: '200' };
const deliveredPsp = new TestPsp({ AUTHENTICATION_TTL_SECONDS: '1', LATENCY_MS: '150' });
const lostPsp = new TestPsp({ AUTHENTICATION_TTL_SECONDS: '1' });
let delivered: Harness;
let lost: Harness;
const d = scaTools(() => delivered);
const l = scaTools(() => lost);
beforeAll(async () => {
  delivered = await bootPayments('abandon', { relay: false }, { psp: deliveredPsp, env });
  lost = await bootPayments(
    'lost',
    { relay: false },
    { psp: lostPsp, env, webhookUrl: 'http://127.0.0.1:9/webhooks/provider' },
  );
});
afterAll(async () => {
  await d.close();
  await l.close();
  await delivered?.close();
  await lost?.close();
});

async function payAs(h: Harness, number: string, amount = 5_100) {
  const user = h.customer();
  const orderId = h.newOrder(user.id, amount);
  const res = await h.pay(user, {
    orderId,
    paymentMethodToken: await h.psp.tokenize(card(number)),
    idempotencyKey: randomUUID(),
  });
  expect(res.errors).toBeUndefined();
  return { user, orderId, result: res.data!.payOrder };
}

describe('an abandoned authentication releases like a decline', () => {
  it('abandoned at the PSP (1 s): its charge.failed webhook makes the payment FAILED / AUTHENTICATION_FAILED with one payments.failed entry; the order is payable again', async () => {
    const { user, orderId, result } = await payAs(delivered, TEST_CARDS.REQUIRES_AUTHENTICATION);
    expect(result.__typename).toBe('PaymentRequiresAction');
    const id = result.payment!.id;
    expect(await d.settled(id, 10_000)).toMatchObject({
      status: 'FAILED',
      failureReason: 'AUTHENTICATION_FAILED',
    });
    expect(await d.outboxOf(id)).toEqual(['FAILED']);
    expect(await d.marks(orderId)).toMatchObject({ paid: null, action: null });
    expect((await d.marks(orderId)).pending).not.toContain(id);
    // the challenge page now refuses the customer
    expect(await deliveredPsp.authenticate(result.action!.url, 'succeed')).toBe(409);
    const again = await delivered.pay(user, {
      orderId,
      paymentMethodToken: await deliveredPsp.tokenize(card(TEST_CARDS.SUCCESS)),
      idempotencyKey: randomUUID(),
    });
    expect(again.data?.payOrder.__typename).toBe('PaymentSucceeded');
  });

  it('no webhook at all: the job looks the charge up once its action expired and settles it (abandoned → FAILED; completed → SUCCEEDED)', async () => {
    const abandoned = await payAs(lost, TEST_CARDS.REQUIRES_AUTHENTICATION);
    const completed = await payAs(lost, TEST_CARDS.REQUIRES_AUTHENTICATION);
    expect(await lostPsp.authenticate(completed.result.action!.url, 'succeed')).toBe(200);
    const a = await l.settled(abandoned.result.payment!.id, 10_000);
    const c = await l.settled(completed.result.payment!.id, 10_000);
    expect(a).toMatchObject({ status: 'FAILED', failureReason: 'AUTHENTICATION_FAILED' });
    expect(c).toMatchObject({ status: 'SUCCEEDED' });
    expect(await l.outboxOf(a.id)).toEqual(['FAILED']);
    expect(await l.outboxOf(c.id)).toEqual(['SUCCEEDED']);
    expect(await l.marks(completed.orderId)).toMatchObject({ paid: c.id, action: null });
    expect(await lost.app.actions.pendingActions()).toEqual([]);
    expect(lostPsp.app!.webhooks.stats.delivered).toBe(0);
  });
});

describe('webhooks racing the synchronous answer', () => {
  it('10 payOrders whose charge.succeeded / charge.failed webhooks arrive while they record (150 ms PSP latency): one payment and one outbox entry each, no refund, every webhook answered 2xx', async () => {
    const before = deliveredPsp.app!.webhooks.stats.delivered;
    const paid = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        payAs(delivered, i % 3 === 0 ? TEST_CARDS.DECLINED : TEST_CARDS.SUCCESS, 6_000 + i),
      ),
    );
    await deliveredPsp.webhooksIdle();
    expect(deliveredPsp.app!.webhooks.stats.delivered - before).toBe(10);
    for (const { orderId, result } of paid) {
      expect(['PaymentSucceeded', 'CardDeclinedError']).toContain(result.__typename);
      const payments = (await delivered.app.repository.paymentsByOrders([orderId]))[0]!;
      expect(payments).toHaveLength(1);
      expect(await d.outboxOf(payments[0]!.id)).toEqual([
        result.__typename === 'PaymentSucceeded' ? 'SUCCEEDED' : 'FAILED',
      ]);
      expect(payments[0]!.refundedAmount).toBe(0);
    }
    expect(deliveredPsp.refunds).toEqual([]);
  });
});
