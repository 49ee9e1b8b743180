import { card, TEST_CARDS, TestPsp, type Harness } from './helpers';
import { paymentsRun } from './run-checks';

/**
 * payOrder's idempotency keys against real Redis and NATS with a stub orders.payable responder:
 * concurrent calls, replays, reuse with other input, two keys for one order. The last test checks
 * this file's events and scans what it wrote for secrets.
 */
const provider = new TestPsp({ LATENCY_MS: '20' });
const run = paymentsRun('idem', {}, { psp: provider });
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
    const token = await h.token();
    const results = await Promise.all(
      Array.from({ length: 50 }, () => payWith(user, orderId, token, 'k-concurrent')),
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
    const token = await h.token(TEST_CARDS.DECLINED);
    const first = await payWith(user, orderId, token, 'k-declined');
    const before = provider.charges;
    const second = await payWith(user, orderId, token, 'k-declined');
    expect(second).toEqual(first);
    expect(provider.charges).toBe(before);
  });

  it('the same key with another token (even of the same card), the token in another letter case, or another order, is PaymentIdempotencyKeyReusedError', async () => {
    const user = h.customer();
    const orderId = h.newOrder(user.id);
    const token = await h.token();
    expect((await payWith(user, orderId, token, 'k-reuse')).__typename).toBe('PaymentSucceeded');
    const before = provider.charges;
    for (const other of [
      await h.token(TEST_CARDS.SUCCESS_MASTERCARD),
      await h.token(TEST_CARDS.SUCCESS),
      token.toUpperCase(),
      ` ${token}`.trim() + '0',
    ]) {
      const again = await payWith(user, orderId, other, 'k-reuse');
      expect(again).toMatchObject({
        __typename: 'PaymentIdempotencyKeyReusedError',
        idempotencyKey: 'k-reuse',
      });
    }
    const otherOrder = await payWith(user, h.newOrder(user.id), token, 'k-reuse');
    expect(otherOrder.__typename).toBe('PaymentIdempotencyKeyReusedError');
    expect(provider.charges).toBe(before);
    // the same token and key replay the success without a charge
    expect((await payWith(user, orderId, token, 'k-reuse')).__typename).toBe('PaymentSucceeded');
    expect(provider.charges).toBe(before);
  });

  it('the idempotency record holds no token: only a hash over the order and the token', async () => {
    const user = h.customer();
    const orderId = h.newOrder(user.id);
    const token = await h.token();
    await payWith(user, orderId, token, 'k-hash');
    const record = await h.app.repository.readIdempotency(user.id, 'k-hash');
    expect(record).toMatchObject({ state: 'DONE', fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(JSON.stringify(record)).not.toContain(token);
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
