import { TEST_CARDS, TestPaymentProvider } from '../src/index';
import { card, YEAR, type Harness } from './helpers';
import { paymentsRun } from './run-checks';

/**
 * payOrder's idempotency keys against real Redis and NATS with a stub orders.payable responder:
 * concurrent calls, replays, reuse with other input, two keys for one order. The last test checks
 * this file's events and scans what it wrote for secrets.
 */
const provider = new TestPaymentProvider({ latencyMs: 20 });
const run = paymentsRun('idem', { provider });
const { payWith, expectEachEventOnce, expectNoSecrets } = run;
let h: Harness;
beforeAll(() => {
  h = run.harness();
});

describe('idempotency', () => {
  it('50 concurrent payOrder with one key charge once and give 50 identical answers', async () => {
    const user = h.customer();
    const orderId = h.newOrder(user.id, 2_500);
    const before = provider.charges;
    const results = await Promise.all(
      Array.from({ length: 50 }, () => payWith(user, orderId, card(TEST_CARDS.SUCCESS), 'k-concurrent')),
    );
    expect(provider.charges - before).toBe(1);
    expect(results[0]!.__typename).toBe('PaymentSucceeded');
    const first = JSON.stringify(results[0]);
    expect(results.filter((r) => JSON.stringify(r) === first)).toHaveLength(50);
    expect((await h.app.repository.paymentsByOrders([orderId]))[0]).toHaveLength(1);
  });

  it('a declined charge is remembered too: the same key replays the decline without a second charge', async () => {
    const user = h.customer();
    const orderId = h.newOrder(user.id);
    const first = await payWith(user, orderId, card(TEST_CARDS.DECLINED), 'k-declined');
    const before = provider.charges;
    const second = await payWith(user, orderId, card(TEST_CARDS.DECLINED), 'k-declined');
    expect(second).toEqual(first);
    expect(provider.charges).toBe(before);
  });

  it('the same key with another card, or another order, is PaymentIdempotencyKeyReusedError', async () => {
    const user = h.customer();
    const orderId = h.newOrder(user.id);
    expect((await payWith(user, orderId, card(TEST_CARDS.SUCCESS), 'k-reuse')).__typename).toBe(
      'PaymentSucceeded',
    );
    const before = provider.charges;
    const otherCard = await payWith(user, orderId, card(TEST_CARDS.SUCCESS_MASTERCARD), 'k-reuse');
    expect(otherCard).toMatchObject({ __typename: 'PaymentIdempotencyKeyReusedError' });
    const otherExpiry = await payWith(
      user,
      orderId,
      card(TEST_CARDS.SUCCESS, { expYear: YEAR + 3 }),
      'k-reuse',
    );
    expect(otherExpiry.__typename).toBe('PaymentIdempotencyKeyReusedError');
    const otherOrder = await payWith(user, h.newOrder(user.id), card(TEST_CARDS.SUCCESS), 'k-reuse');
    expect(otherOrder.__typename).toBe('PaymentIdempotencyKeyReusedError');
    expect(provider.charges).toBe(before);
  });

  it('keys are per user: another user may use the same key string', async () => {
    const a = h.customer();
    const b = h.customer();
    expect((await payWith(a, h.newOrder(a.id), card(TEST_CARDS.SUCCESS), 'k-shared')).__typename).toBe(
      'PaymentSucceeded',
    );
    expect((await payWith(b, h.newOrder(b.id), card(TEST_CARDS.SUCCESS), 'k-shared')).__typename).toBe(
      'PaymentSucceeded',
    );
  });

  it('two different keys for one order, concurrently: one success, one refusal, one charge', async () => {
    const user = h.customer();
    const orderId = h.newOrder(user.id);
    const before = provider.charges;
    const results = await Promise.all([
      payWith(user, orderId, card(TEST_CARDS.SUCCESS), 'k-two-a'),
      payWith(user, orderId, card(TEST_CARDS.SUCCESS), 'k-two-b'),
    ]);
    const names = results.map((r) => r.__typename).sort();
    expect(names).toEqual(['OrderNotPayableError', 'PaymentSucceeded']);
    expect(results.find((r) => r.__typename === 'OrderNotPayableError')?.status).toBe('PAID');
    expect(provider.charges - before).toBe(1);
    const payments = (await h.app.repository.paymentsByOrders([orderId]))[0]!;
    expect(payments.filter((p) => p.status === 'SUCCEEDED')).toHaveLength(1);
  });

  it('after a decline, another key may still pay the order', async () => {
    const user = h.customer();
    const orderId = h.newOrder(user.id);
    expect((await payWith(user, orderId, card(TEST_CARDS.INSUFFICIENT_FUNDS), 'k-retry-1')).__typename).toBe(
      'CardDeclinedError',
    );
    expect((await payWith(user, orderId, card(TEST_CARDS.SUCCESS), 'k-retry-2')).__typename).toBe(
      'PaymentSucceeded',
    );
  });
});

describe('after the run', () => {
  it('every recorded payment was published once, and no Redis key or log line holds a card number or CVC', async () => {
    await expectEachEventOnce();
    await expectNoSecrets();
  });
});
