import { TEST_CARDS, TestPaymentProvider } from '../src/index';
import { bootPayments, card, dumpRedis, leaks, YEAR, type Harness } from './helpers';
import { waitFor } from '@shop/testing';

/**
 * payOrder end to end against real Redis and NATS (own prefixes) with a stub orders.payable
 * responder. Tests run in order; the last one scans everything this run wrote.
 */
const provider = new TestPaymentProvider({ latencyMs: 20 });
let h: Harness;
const usedNumbers = new Set<string>();
const usedCvcs = new Set<string>(['739']);

const payWith = async (
  viewer: Parameters<Harness['pay']>[0],
  orderId: string,
  c: ReturnType<typeof card>,
  key: string,
) => {
  usedNumbers.add(c.number.replace(/[\s-]/g, ''));
  usedCvcs.add(c.cvc);
  const res = await h.pay(viewer, { orderId, card: c, idempotencyKey: key });
  expect(res.errors).toBeUndefined();
  return res.data!.payOrder;
};

beforeAll(async () => {
  h = await bootPayments('pay', { provider });
});
afterAll(async () => {
  await h?.close();
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
    const res = await h.pay(null, { orderId: 'o1', card: card(TEST_CARDS.SUCCESS), idempotencyKey: 'anon' });
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
    ['bad Luhn', card('4242424242424241'), 'card.number', 'LUHN_CHECK_FAILED'],
    ['too short', card('42424242'), 'card.number', 'INVALID_NUMBER_LENGTH'],
    ['letters', card('4242x24242424242'), 'card.number', 'INVALID_NUMBER_LENGTH'],
    ['expired', card(TEST_CARDS.SUCCESS, { expMonth: 1, expYear: YEAR - 1 }), 'card.expYear', 'EXPIRED'],
    ['month 13', card(TEST_CARDS.SUCCESS, { expMonth: 13 }), 'card.expMonth', 'INVALID_EXPIRY'],
    ['2-digit CVC', card(TEST_CARDS.SUCCESS, { cvc: '73' }), 'card.cvc', 'INVALID_CVC'],
    ['5-digit CVC', card(TEST_CARDS.SUCCESS, { cvc: '73911' }), 'card.cvc', 'INVALID_CVC'],
    [
      'blank holder',
      card(TEST_CARDS.SUCCESS, { holderName: '   ' }),
      'card.holderName',
      'INVALID_HOLDER_NAME',
    ],
    [
      'lone surrogate in the holder name',
      card(TEST_CARDS.SUCCESS, { holderName: 'Ada \uD800 Lovelace' }),
      'card.holderName',
      'INVALID_HOLDER_NAME',
    ],
  ])(
    '%s is an InvalidCardError that never reaches the provider or Redis',
    async (_label, c, field, reason) => {
      const user = h.customer();
      const orderId = h.newOrder(user.id);
      const before = provider.charges;
      const keysBefore = (await dumpRedis(h.redisPrefix)).length;
      const result = await payWith(user, orderId, c, `k-invalid-${field}-${reason}`);
      expect(result).toMatchObject({ __typename: 'InvalidCardError', field, reason });
      expect(result.message).not.toContain(c.number);
      expect(provider.charges).toBe(before);
      expect((await dumpRedis(h.redisPrefix)).length).toBe(keysBefore);
    },
  );

  it('an empty idempotency key is an InvalidInputError', async () => {
    const user = h.customer();
    const result = await payWith(user, h.newOrder(user.id), card(TEST_CARDS.SUCCESS), '  ');
    expect(result).toMatchObject({ __typename: 'InvalidInputError', field: 'idempotencyKey' });
  });

  it('an idempotency key with a lone surrogate is an InvalidInputError that writes nothing', async () => {
    // Redis would store U+FFFD in its place, so "k-\uD800" and "k-\uDBFF" would be the same key.
    const user = h.customer();
    const before = provider.charges;
    const keysBefore = (await dumpRedis(h.redisPrefix)).length;
    const result = await payWith(user, h.newOrder(user.id), card(TEST_CARDS.SUCCESS), 'k-\uD800');
    expect(result).toMatchObject({ __typename: 'InvalidInputError', field: 'idempotencyKey' });
    expect(provider.charges).toBe(before);
    expect((await dumpRedis(h.redisPrefix)).length).toBe(keysBefore);
  });

  it("someone else's order and an unknown order are both PaymentOrderNotFoundError, charging nothing", async () => {
    const owner = h.customer();
    const other = h.customer();
    const orderId = h.newOrder(owner.id);
    const before = provider.charges;
    expect((await payWith(other, orderId, card(TEST_CARDS.SUCCESS), 'k-other')).__typename).toBe(
      'PaymentOrderNotFoundError',
    );
    expect((await payWith(owner, 'o-missing', card(TEST_CARDS.SUCCESS), 'k-missing')).__typename).toBe(
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
    await new Promise((r) => setTimeout(r, 2_100)); // let the slow stub replies drain
    const retry = await payWith(user, orderId, card(TEST_CARDS.SUCCESS), 'k-orders-down');
    expect(retry.__typename).toBe('PaymentSucceeded');
  });
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

describe('Order.payment and Payment entities', () => {
  const ORDER_PAYMENT = /* GraphQL */ `
    query ($reps: [_Any!]!) {
      _entities(representations: $reps) {
        ... on Order {
          id
          payment {
            id
            status
            failureReason
          }
        }
      }
    }
  `;
  const PAYMENT = /* GraphQL */ `
    query ($reps: [_Any!]!) {
      _entities(representations: $reps) {
        ... on Payment {
          id
          status
          order {
            id
          }
        }
      }
    }
  `;
  type Entities = {
    _entities: ({
      id: string;
      payment?: { id: string; status: string; failureReason: string | null } | null;
      status?: string;
    } | null)[];
  };

  it('shows the success over earlier failures, the latest failure otherwise, null without payments, to the owner and admins only', async () => {
    const owner = h.customer();
    const paid = h.newOrder(owner.id);
    const failed = h.newOrder(owner.id);
    const none = h.newOrder(owner.id);
    await payWith(owner, paid, card(TEST_CARDS.DECLINED), 'k-e1');
    const success = await payWith(owner, paid, card(TEST_CARDS.SUCCESS), 'k-e2');
    await payWith(owner, failed, card(TEST_CARDS.DECLINED), 'k-e3');
    const latest = await payWith(owner, failed, card(TEST_CARDS.INSUFFICIENT_FUNDS), 'k-e4');
    const reps = [paid, failed, none].map((id) => ({ __typename: 'Order', id }));

    const mine = await h.query<Entities>(owner, ORDER_PAYMENT, { reps });
    expect(mine.errors).toBeUndefined();
    expect(mine.data!._entities.map((e) => e?.payment?.id ?? null)).toEqual([
      success.payment!.id,
      latest.payment!.id,
      null,
    ]);
    expect(mine.data!._entities[1]?.payment?.failureReason).toBe('INSUFFICIENT_FUNDS');

    const admin = await h.query<Entities>(h.admin(), ORDER_PAYMENT, { reps });
    expect(admin.data!._entities.map((e) => e?.payment?.id ?? null)).toEqual([
      success.payment!.id,
      latest.payment!.id,
      null,
    ]);

    const stranger = await h.query<Entities>(h.customer(), ORDER_PAYMENT, { reps });
    expect(stranger.data!._entities.map((e) => e?.payment ?? null)).toEqual([null, null, null]);
    const anonymous = await h.query<Entities>(null, ORDER_PAYMENT, { reps });
    expect(anonymous.data!._entities.map((e) => e?.payment ?? null)).toEqual([null, null, null]);

    const payment = await h.query<Entities>(owner, PAYMENT, {
      reps: [{ __typename: 'Payment', id: success.payment!.id }],
    });
    expect(payment.data!._entities[0]).toMatchObject({ id: success.payment!.id, status: 'SUCCEEDED' });
    const hidden = await h.query<Entities>(h.customer(), PAYMENT, {
      reps: [{ __typename: 'Payment', id: success.payment!.id }],
    });
    expect(hidden.data!._entities).toEqual([null]);
  });

  it('answers null for Payment and Order representations whose id is not a string, keeping the rest', async () => {
    const owner = h.customer();
    const orderId = h.newOrder(owner.id);
    const paid = await payWith(owner, orderId, card(TEST_CARDS.SUCCESS), 'k-entities');
    const bad: unknown[] = [{ $gt: '' }, 42, null, '', ['x']];
    const payments = await h.query<Entities>(owner, PAYMENT, {
      reps: [paid.payment!.id, ...bad].map((id) => ({ __typename: 'Payment', id })),
    });
    expect(payments.errors).toBeUndefined();
    expect(payments.data!._entities.map((e) => e?.id ?? null)).toEqual([
      paid.payment!.id,
      ...bad.map(() => null),
    ]);
    const orders = await h.query<Entities>(owner, ORDER_PAYMENT, {
      reps: [orderId, ...bad].map((id) => ({ __typename: 'Order', id })),
    });
    expect(orders.errors).toBeUndefined();
    expect(orders.data!._entities.map((e) => e?.payment?.id ?? null)).toEqual([
      paid.payment!.id,
      ...bad.map(() => null),
    ]);
    expect(orders.data!._entities.slice(1)).toEqual(bad.map(() => null));
  });

  it('refuses requests without the router secret', async () => {
    const res = await fetch(h.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ _service { sdl } }' }),
    });
    expect(res.status).toBe(403);
  });
});

describe('events and secrets', () => {
  it('every recorded payment is published once to payments.succeeded / payments.failed, and the outbox drains', async () => {
    const user = h.customer();
    const orderId = h.newOrder(user.id, 777);
    const ok = await payWith(user, orderId, card(TEST_CARDS.SUCCESS), 'k-event');
    const recorded = (await h.app.repository.paymentsByIds([ok.payment!.id]))[0]!;
    const events = await waitFor(async () => {
      const all = await h.streamEvents();
      return all.some((e) => e.event.paymentId === recorded.id) &&
        (await h.app.repository.outboxLength()) === 0
        ? all
        : null;
    });
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
    // Every payment recorded in this file has exactly one event; failures go to payments.failed.
    const ids = events.map((e) => e.event.paymentId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const e of events) {
      expect(e.subject).toBe(
        e.event.status === 'SUCCEEDED' ? h.names.events.paymentsSucceeded : h.names.events.paymentsFailed,
      );
    }
    expect(events.some((e) => e.event.status === 'FAILED' && e.event.failureReason === 'CARD_DECLINED')).toBe(
      true,
    );
  });

  it('after the run, no Redis key or log line holds a card number or CVC', async () => {
    const redis = await dumpRedis(h.redisPrefix);
    expect(redis.length).toBeGreaterThan(10);
    expect(redis.some((line) => line.includes('4242'))).toBe(true); // last4 is there, so the scan sees data
    expect(leaks(redis, [...usedNumbers], [...usedCvcs])).toEqual([]);
    expect(redis.filter((line) => /\bcvc\b|holder|Ada Lovelace/i.test(line))).toEqual([]);
    expect(h.log.lines.length).toBeGreaterThan(10);
    expect(leaks(h.log.lines, [...usedNumbers], [...usedCvcs])).toEqual([]);
    expect(h.log.lines.filter((line) => /Ada Lovelace/.test(line))).toEqual([]);
  });
});
