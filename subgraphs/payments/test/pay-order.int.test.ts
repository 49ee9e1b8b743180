import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { card, quietKeys, TEST_CARDS, TestPsp, YEAR, type Harness } from './helpers';
import { paymentsRun } from './run-checks';

/**
 * payOrder end to end against real Redis and NATS (own prefixes), a stub orders.payable responder
 * and the real test PSP (cards tokenised there as the browser does): every answer it gives, and the
 * events it publishes. Tests run in order; the last one scans everything this file wrote.
 */
const provider = new TestPsp({ LATENCY_MS: '20' });
const run = paymentsRun('pay', {}, { psp: provider });
const { payWith, expectEachEventOnce, expectNoSecrets } = run;
let h: Harness;
beforeAll(() => {
  h = run.harness();
});

describe('payOrder', () => {
  it('charges the amount quoted by orders and records a SUCCEEDED payment with only brand, last4 and expiry', async () => {
    const user = h.customer();
    const orderId = h.newOrder(user.id, 12_345);
    const result = await payWith(user, orderId, card(TEST_CARDS.SUCCESS), 'k-success');
    expect(result.__typename).toBe('PaymentSucceeded');
    expect(result.payment).toMatchObject({
      status: 'SUCCEEDED',
      failureReason: null,
      amount: { amount: 12_345, currency: 'EUR' },
      card: { brand: 'VISA', last4: '4242', expMonth: 12, expYear: YEAR + 2 },
      order: { id: orderId },
    });
    const stored = await h.app.repository.paymentsByIds([result.payment!.id]);
    expect(stored[0]).toMatchObject({ userId: user.id, status: 'SUCCEEDED' });
  });

  it('refuses an anonymous caller with UNAUTHENTICATED', async () => {
    const res = await h.pay(null, { orderId: 'o1', paymentMethodToken: 'tok_x', idempotencyKey: 'anon' });
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it.each([
    [TEST_CARDS.SUCCESS_MASTERCARD, 'PaymentSucceeded', null, 'MASTERCARD'],
    [TEST_CARDS.DECLINED, 'CardDeclinedError', 'CARD_DECLINED', 'VISA'],
    [TEST_CARDS.INSUFFICIENT_FUNDS, 'CardDeclinedError', 'INSUFFICIENT_FUNDS', 'VISA'],
    [TEST_CARDS.EXPIRED_CARD, 'CardDeclinedError', 'EXPIRED_CARD', 'VISA'],
    [TEST_CARDS.INCORRECT_CVC, 'CardDeclinedError', 'INCORRECT_CVC', 'VISA'],
  ])('test card %s gives %s (%s)', async (number, typename, reason, brand) => {
    const user = h.customer();
    const orderId = h.newOrder(user.id);
    const result = await payWith(user, orderId, card(number), `k-${number}`);
    expect(result.__typename).toBe(typename);
    expect(result.payment?.status).toBe(reason ? 'FAILED' : 'SUCCEEDED');
    expect(result.payment?.failureReason ?? null).toBe(reason);
    expect(result.payment?.card.brand).toBe(brand);
    if (reason) expect(result.declineReason).toBe(reason);
  });

  it('Amex takes a 4-digit CVC', async () => {
    const user = h.customer();
    const result = await payWith(
      user,
      h.newOrder(user.id),
      card(TEST_CARDS.SUCCESS_AMEX, { cvc: '7391' }),
      'k-amex',
    );
    expect(result.__typename).toBe('PaymentSucceeded');
    expect(result.payment?.card).toMatchObject({ brand: 'AMEX', last4: '0005' });
  });

  it('the processor-down card records nothing and releases the key, so a retry with a good card... is refused as other input, and the same input retried runs again', async () => {
    const user = h.customer();
    const orderId = h.newOrder(user.id);
    const before = provider.charges;
    const down = await payWith(user, orderId, card(TEST_CARDS.PROCESSOR_DOWN), 'k-down');
    expect(down.__typename).toBe('PaymentProviderUnavailableError');
    expect(provider.charges).toBe(before + 1);
    expect(await h.app.repository.paymentsByOrders([orderId])).toEqual([[]]);
    expect(await h.app.repository.readIdempotency(user.id, 'k-down')).toBeNull();
    // The key is free again: the same request runs again (and reaches the provider again).
    const again = await payWith(user, orderId, card(TEST_CARDS.PROCESSOR_DOWN), 'k-down');
    expect(again.__typename).toBe('PaymentProviderUnavailableError');
    expect(provider.charges).toBe(before + 2);
    // A fresh key with a working card then pays the order.
    const ok = await payWith(user, orderId, card(TEST_CARDS.SUCCESS), 'k-down-2');
    expect(ok.__typename).toBe('PaymentSucceeded');
  });

  it.each([
    ['empty', ''],
    ['blank', '   '],
    ['a space inside', 'tok_ab cd'],
    ['256 characters', `tok_${'a'.repeat(252)}`],
    ['a line break', 'tok_abc\n'],
    ['a NUL', 'tok_abc\u0000'],
    ['non-ASCII', 'tok_\u00e9t\u00e9'],
    ['a lone surrogate', 'tok_\uD800'],
    ['a card number', `${TEST_CARDS.SUCCESS} 12/30 739`],
  ])(
    'a token with %s is an InvalidInputError on paymentMethodToken that reaches neither the PSP nor Redis',
    async (_label, token) => {
      const user = h.customer();
      const orderId = h.newOrder(user.id);
      const before = provider.charges;
      const keysBefore = (await quietKeys(h, provider)).length;
      const res = await h.pay(user, {
        orderId,
        paymentMethodToken: token,
        idempotencyKey: `k-bad-${_label}`,
      });
      expect(res.errors).toBeUndefined();
      expect(res.data!.payOrder).toMatchObject({
        __typename: 'InvalidInputError',
        field: 'paymentMethodToken',
      });
      expect(h.payableAsked).not.toContain(orderId);
      expect(provider.charges).toBe(before);
      expect((await quietKeys(h, provider)).length).toBe(keysBefore);
    },
  );

  it('255 characters is the longest token accepted (the PSP then refuses an unknown one)', async () => {
    const user = h.customer();
    const result = await payWith(user, h.newOrder(user.id), `tok_${'a'.repeat(251)}`, 'k-255');
    expect(result.__typename).toBe('PaymentMethodInvalidError');
  });

  it('an unknown, used or re-cased token is PaymentMethodInvalidError: nothing recorded, the key released', async () => {
    const user = h.customer();
    const orderId = h.newOrder(user.id);
    const token = await h.token();
    for (const [i, bad] of [
      'tok_0123456789abcdef0123456789abcdef',
      token.toUpperCase(),
      `${token}x`,
    ].entries()) {
      const result = await payWith(user, orderId, bad, `k-unknown-${i}`);
      expect(result.__typename).toBe('PaymentMethodInvalidError');
      expect(await h.app.repository.readIdempotency(user.id, `k-unknown-${i}`)).toBeNull();
    }
    expect(await h.app.repository.paymentsByOrders([orderId])).toEqual([[]]);
    // the real token still works, under a key that was refused before (released)
    expect((await payWith(user, orderId, token, 'k-unknown-0')).__typename).toBe('PaymentSucceeded');
    // and is used up now: another order refuses it
    const other = h.newOrder(user.id);
    expect((await payWith(user, other, token, 'k-used')).__typename).toBe('PaymentMethodInvalidError');
    expect(await h.app.repository.paymentsByOrders([other])).toEqual([[]]);
  });

  it('an empty idempotency key is an InvalidInputError', async () => {
    const user = h.customer();
    const result = await payWith(user, h.newOrder(user.id), card(TEST_CARDS.SUCCESS), '  ');
    expect(result).toMatchObject({ __typename: 'InvalidInputError', field: 'idempotencyKey' });
  });

  it('an idempotency key with a lone surrogate is an InvalidInputError that writes nothing', async () => {
    // Redis would store U+FFFD in its place, so "k-\uD800" and "k-\uDBFF" would be the same key.
    const user = h.customer();
    const before = provider.charges;
    const keysBefore = (await quietKeys(h, provider)).length;
    const result = await payWith(user, h.newOrder(user.id), card(TEST_CARDS.SUCCESS), 'k-\uD800');
    expect(result).toMatchObject({ __typename: 'InvalidInputError', field: 'idempotencyKey' });
    expect(provider.charges).toBe(before);
    expect((await quietKeys(h, provider)).length).toBe(keysBefore);
  });

  it("someone else's order and an unknown order are both PaymentOrderNotFoundError, charging nothing", async () => {
    const owner = h.customer();
    const other = h.customer();
    const orderId = h.newOrder(owner.id);
    const before = provider.charges;
    expect((await payWith(other, orderId, card(TEST_CARDS.SUCCESS), 'k-other')).__typename).toBe(
      'PaymentOrderNotFoundError',
    );
    expect((await payWith(owner, randomUUID(), card(TEST_CARDS.SUCCESS), 'k-missing')).__typename).toBe(
      'PaymentOrderNotFoundError',
    );
    expect(provider.charges).toBe(before);
  });

  it('an order orders calls not payable gives OrderNotPayableError with its status', async () => {
    const user = h.customer();
    const orderId = h.newOrder(user.id, 100, 'CANCELLED');
    const result = await payWith(user, orderId, card(TEST_CARDS.SUCCESS), 'k-cancelled');
    expect(result).toMatchObject({ __typename: 'OrderNotPayableError', status: 'CANCELLED' });
  });

  it('orders not answering gives OrderServiceUnavailableError and frees the key for a retry', async () => {
    const user = h.customer();
    const orderId = h.newOrder(user.id);
    h.setOrdersUp(false);
    const before = provider.charges;
    try {
      const result = await payWith(user, orderId, card(TEST_CARDS.SUCCESS), 'k-orders-down');
      expect(result.__typename).toBe('OrderServiceUnavailableError');
      expect(provider.charges).toBe(before);
    } finally {
      h.setOrdersUp(true);
    }
    await sleep(2_100); // let the slow stub replies drain
    const retry = await payWith(user, orderId, card(TEST_CARDS.SUCCESS), 'k-orders-down');
    expect(retry.__typename).toBe('PaymentSucceeded');
  });
});

describe('events and secrets', () => {
  it('every recorded payment is published once to payments.succeeded / payments.failed, and the outbox drains', async () => {
    const user = h.customer();
    const orderId = h.newOrder(user.id, 777);
    const ok = await payWith(user, orderId, card(TEST_CARDS.SUCCESS), 'k-event');
    const recorded = (await h.app.repository.paymentsByIds([ok.payment!.id]))[0]!;
    // Every payment recorded in this file has exactly one event; failures go to payments.failed.
    const events = await expectEachEventOnce();
    const mine = events.filter((e) => e.event.paymentId === recorded.id);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toEqual({
      subject: h.names.events.paymentsSucceeded,
      event: {
        eventId: recorded.id,
        paymentId: recorded.id,
        orderId,
        userId: user.id,
        amount: { amount: 777, currency: 'EUR' },
        status: 'SUCCEEDED',
        failureReason: null,
        occurredAt: recorded.createdAt.toISOString(),
      },
    });
    expect(events.some((e) => e.event.status === 'FAILED' && e.event.failureReason === 'CARD_DECLINED')).toBe(
      true,
    );
  });

  it('after the run, no Redis key or log line holds a card number or CVC', async () => {
    await expectNoSecrets();
  });
});
