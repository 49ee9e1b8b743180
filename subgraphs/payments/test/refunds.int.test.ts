import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { jest } from '@jest/globals';
import { Redis } from 'ioredis';
import {
  jetstream,
  jetstreamManager,
  PaymentRefundedEvent,
  type RefundReason,
  type RefundRequestedEvent,
} from '@shop/messaging';
import { endpoints, waitFor } from '@shop/testing';
import { TEST_CARDS, TestPaymentProvider } from '../src/index';
import { refundKey } from '../src/payments.service';
import { bootPayments, card, type Harness } from './helpers';

/**
 * Refunds as a capability of payments (issue 16), against real Redis and NATS: orders.refund_requested
 * events on the ORDERS stream, the consumer, the test processor's ledger, the refund records in Redis
 * and payments.refunded in the PAYMENTS stream. Every count is read from the ledger, Redis and the
 * stream, not from the API.
 */
const provider = new TestPaymentProvider();
let h: Harness;
let redis: Redis;

beforeAll(async () => {
  h = await bootPayments(
    'refunds',
    { provider },
    { env: { REFUND_BACKOFF_MS: '150', PENDING_REFUND_INTERVAL_MS: '200' } },
  );
  redis = new Redis(endpoints.redis);
});
afterAll(async () => {
  await redis?.quit();
  await h?.close();
});
afterEach(() => {
  provider.refundsDown = false;
  jest.restoreAllMocks();
});

const AMOUNT = 4999;

/** A successful payment of a fresh stub order: its ids and the processor's charge id. */
async function paid() {
  const user = h.customer();
  const orderId = h.newOrder(user.id, AMOUNT);
  const res = await h.pay(user, { orderId, card: card(TEST_CARDS.SUCCESS), idempotencyKey: randomUUID() });
  expect(res.data?.payOrder.__typename).toBe('PaymentSucceeded');
  const paymentId = res.data!.payOrder.payment!.id;
  const [payment] = await h.app.repository.paymentsByIds([paymentId]);
  return { user, orderId, paymentId, chargeId: payment!.chargeId! };
}
type Paid = Awaited<ReturnType<typeof paid>>;

const request = (p: Paid, amount: number, reason: RefundReason, extra: Partial<RefundRequestedEvent> = {}) =>
  ({
    eventId: randomUUID(),
    orderId: p.orderId,
    userId: p.user.id,
    paymentId: p.paymentId,
    amount: { amount, currency: 'EUR' },
    reason,
    requestedAt: new Date().toISOString(),
    ...extra,
  }) satisfies RefundRequestedEvent;

/**
 * Publishes a refund request to the ORDERS stream. Each publish gets its own Nats-Msg-Id, so even the
 * same event sent again is stored again (as a redelivery after JetStream's duplicate window would be).
 */
async function publish(event: RefundRequestedEvent) {
  await jetstream(h.nc).publish(h.names.events.ordersRefundRequested, JSON.stringify(event), {
    msgID: randomUUID(),
  });
}

/** How many refund requests of this payment the consumer finished (acked). */
const handled = (paymentId: string) =>
  h.log.lines.filter((l) => l.includes('refund request handled') && l.includes(paymentId)).length;

/** What the processor's ledger, Redis and the PAYMENTS stream hold for a payment. */
async function books(p: Paid) {
  const ledger = provider.refunds.filter((r) => r.chargeId === p.chargeId);
  const records = await redis.hgetall(`${h.redisPrefix}payment:${p.paymentId}:refunds`);
  const refundedAmount = Number(await redis.hget(`${h.redisPrefix}payment:${p.paymentId}`, 'refundedAmount'));
  return {
    ledger,
    records,
    refundedAmount,
    events: (await refundedEvents()).filter((e) => e.paymentId === p.paymentId),
  };
}

/** Every payments.refunded event in this run's PAYMENTS stream. */
async function refundedEvents(): Promise<PaymentRefundedEvent[]> {
  const jsm = await jetstreamManager(h.nc);
  const info = await jsm.streams.info(h.names.streams.payments);
  const out: PaymentRefundedEvent[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const msg = await jsm.streams.getMessage(h.names.streams.payments, { seq }).catch(() => null);
    if (msg && msg.subject === h.names.events.paymentsRefunded)
      out.push(PaymentRefundedEvent.parse(msg.json()));
  }
  return out;
}

/** Waits until the relay has published everything in the outbox. */
const drained = () => waitFor(async () => (await h.app.repository.outboxLength()) === 0);

describe('refunds: exactly once per (payment, reason)', () => {
  it('the same refund request delivered 3 times, and 3 requests with other eventIds for the same payment and reason, refund once', async () => {
    const p = await paid();
    const same = request(p, AMOUNT, 'CANCELLED_ORDER');
    for (let i = 0; i < 3; i++) await publish(same);
    for (let i = 0; i < 3; i++) await publish(request(p, AMOUNT, 'CANCELLED_ORDER'));
    await waitFor(() => handled(p.paymentId) === 6, { timeoutMs: 10_000 });
    await drained();
    const b = await books(p);
    expect(b.ledger).toHaveLength(1);
    expect(b.ledger[0]!.amount.amount).toBe(AMOUNT);
    expect(Object.keys(b.records)).toEqual(['CANCELLED_ORDER']);
    expect(b.refundedAmount).toBe(AMOUNT);
    expect(b.events).toHaveLength(1);
    expect(b.events[0]).toMatchObject({
      paymentId: p.paymentId,
      orderId: p.orderId,
      userId: p.user.id,
      reason: 'CANCELLED_ORDER',
    });
    expect(b.events[0]!.amount).toEqual({ amount: AMOUNT, currency: 'EUR' });
  });

  it('10 concurrent refunds of one payment for one reason move the money once (one key at the processor)', async () => {
    const p = await paid();
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, () =>
        h.app.service.refund({
          paymentId: p.paymentId,
          amount: { amount: 1000, currency: 'EUR' },
          reason: 'DUPLICATE_CHARGE',
        }),
      ),
    );
    expect(outcomes.filter((o) => o.kind === 'REFUNDED')).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind === 'ALREADY_REFUNDED')).toHaveLength(9);
    const ids = new Set(outcomes.map((o) => (o.kind === 'REFUSED' ? null : o.refund.id)));
    expect(ids.size).toBe(1);
    await drained();
    const b = await books(p);
    expect(b.ledger).toHaveLength(1);
    expect(b.refundedAmount).toBe(1000);
    expect(b.events).toHaveLength(1);
  });

  it('a processor that is down is retried with backoff (nak) and the request refunds once when it is up', async () => {
    const p = await paid();
    provider.refundsDown = true;
    const callsBefore = provider.refundCalls;
    await publish(request(p, AMOUNT, 'ADMIN_REFUND'));
    await waitFor(() => provider.refundCalls - callsBefore >= 3, { timeoutMs: 10_000 });
    expect((await books(p)).ledger).toHaveLength(0);
    expect(await redis.exists(`${h.redisPrefix}payment:${p.paymentId}:refunds`)).toBe(0);
    provider.refundsDown = false;
    await waitFor(() => handled(p.paymentId) === 1, { timeoutMs: 10_000 });
    await drained();
    const b = await books(p);
    expect(b.ledger).toHaveLength(1);
    expect(b.refundedAmount).toBe(AMOUNT);
    expect(b.events).toHaveLength(1);
  });

  it('a crash between the processor and Redis (the refund write fails once): the redelivery reuses the key, one refund at the processor', async () => {
    const p = await paid();
    const spy = jest
      .spyOn(h.app.repository, 'recordRefund')
      .mockRejectedValueOnce(new Error('Redis connection lost'));
    const callsBefore = provider.refundCalls;
    await publish(request(p, 2500, 'WRONG_AMOUNT'));
    await waitFor(() => handled(p.paymentId) === 1, { timeoutMs: 10_000 });
    expect(spy).toHaveBeenCalledTimes(2);
    expect(provider.refundCalls - callsBefore).toBe(2); // asked twice ...
    await drained();
    const b = await books(p);
    expect(b.ledger).toHaveLength(1); // ... moved once
    expect(b.ledger[0]!.idempotencyKey).toBe(refundKey(p.paymentId, 'WRONG_AMOUNT'));
    expect(JSON.parse(b.records.WRONG_AMOUNT!).providerRefundId).toBe(b.ledger[0]!.refundId);
    expect(b.refundedAmount).toBe(2500);
    expect(b.events).toHaveLength(1);
  });
});

describe('refunds: amounts', () => {
  it('a partial refund then the rest for another reason: PARTIALLY_REFUNDED, then REFUNDED, as GraphQL shows it', async () => {
    const p = await paid();
    const QUERY = /* GraphQL */ `
      query ($reps: [_Any!]!) {
        _entities(representations: $reps) {
          ... on Payment {
            status
            refundedAmount {
              amount
              currency
            }
            refunds {
              id
              reason
              createdAt
              amount {
                amount
                currency
              }
            }
          }
        }
      }
    `;
    type R = {
      _entities: {
        status: string;
        refundedAmount: { amount: number };
        refunds: { id: string; reason: string; amount: { amount: number } }[];
      }[];
    };
    const show = async () =>
      (await h.query<R>(p.user, QUERY, { reps: [{ __typename: 'Payment', id: p.paymentId }] })).data!
        ._entities[0]!;

    expect(await show()).toMatchObject({ status: 'SUCCEEDED', refundedAmount: { amount: 0 }, refunds: [] });

    await publish(request(p, 1000, 'WRONG_AMOUNT'));
    await waitFor(() => handled(p.paymentId) === 1, { timeoutMs: 10_000 });
    const partial = await show();
    expect(partial.status).toBe('PARTIALLY_REFUNDED');
    expect(partial.refundedAmount).toEqual({ amount: 1000, currency: 'EUR' });
    expect(partial.refunds.map((r) => [r.reason, r.amount.amount])).toEqual([['WRONG_AMOUNT', 1000]]);

    await publish(request(p, AMOUNT - 1000, 'ADMIN_REFUND')); // exactly what is left
    await waitFor(() => handled(p.paymentId) === 2, { timeoutMs: 10_000 });
    const full = await show();
    expect(full.status).toBe('REFUNDED');
    expect(full.refundedAmount.amount).toBe(AMOUNT);
    expect(full.refunds.map((r) => [r.reason, r.amount.amount])).toEqual([
      ['WRONG_AMOUNT', 1000],
      ['ADMIN_REFUND', AMOUNT - 1000],
    ]);
    // Another customer sees no payment at all, so no refunds.
    const other = await h.query<R>(h.customer(), QUERY, {
      reps: [{ __typename: 'Payment', id: p.paymentId }],
    });
    expect(other.data!._entities[0]).toBeNull();

    await drained();
    const b = await books(p);
    expect(b.ledger.map((r) => r.amount.amount)).toEqual([1000, AMOUNT - 1000]);
    expect(b.events.map((e) => e.refundId).sort()).toEqual(full.refunds.map((r) => r.id).sort());
  });

  it('more than what is left to refund is refused (logged, acked): nothing moves, nothing is written', async () => {
    const p = await paid();
    const fresh = await paid();
    await publish(request(fresh, AMOUNT + 1, 'ADMIN_REFUND')); // beyond the charge
    await publish(request(p, 4000, 'CANCELLED_ORDER'));
    await waitFor(() => handled(p.paymentId) === 1, { timeoutMs: 10_000 });
    await publish(request(p, AMOUNT - 4000 + 1, 'ADMIN_REFUND')); // one cent more than is left
    await waitFor(() => handled(p.paymentId) === 2 && handled(fresh.paymentId) === 1, { timeoutMs: 10_000 });
    await drained();
    const b = await books(p);
    expect(b.ledger.map((r) => r.amount.amount)).toEqual([4000]);
    expect(Object.keys(b.records)).toEqual(['CANCELLED_ORDER']);
    expect(b.refundedAmount).toBe(4000);
    expect(b.events).toHaveLength(1);
    const f = await books(fresh);
    expect([f.ledger.length, Object.keys(f.records).length, f.refundedAmount, f.events.length]).toEqual([
      0, 0, 0, 0,
    ]);
    expect(
      h.log.lines.filter((l) => l.includes('refund refused') && l.includes('more than what is left')),
    ).toHaveLength(2);
  });

  it('zero, negative, fractional and other-currency amounts are refused by the service before the processor', async () => {
    const p = await paid();
    const calls = provider.refundCalls;
    for (const amount of [
      { amount: 0, currency: 'EUR' },
      { amount: -1, currency: 'EUR' },
      { amount: 1.5, currency: 'EUR' },
      { amount: 100, currency: 'USD' },
    ]) {
      const outcome = await h.app.service.refund({ paymentId: p.paymentId, amount, reason: 'ADMIN_REFUND' });
      expect(outcome.kind).toBe('REFUSED');
    }
    expect(provider.refundCalls).toBe(calls);
    expect(await redis.exists(`${h.redisPrefix}payment:${p.paymentId}:refunds`)).toBe(0);
  });
});

describe('refunds: who and which payment', () => {
  it('a request whose payment is of another order or another user, or does not exist, is refused and moves nothing', async () => {
    const p = await paid();
    const calls = provider.refundCalls;
    await publish(request(p, 100, 'ADMIN_REFUND', { orderId: randomUUID() }));
    await publish(request(p, 100, 'ADMIN_REFUND', { userId: randomUUID() }));
    const ghost = randomUUID();
    await publish(request(p, 100, 'ADMIN_REFUND', { paymentId: ghost }));
    await waitFor(() => handled(p.paymentId) === 2 && handled(ghost) === 1, { timeoutMs: 10_000 });
    expect(provider.refundCalls).toBe(calls);
    expect(await redis.exists(`${h.redisPrefix}payment:${p.paymentId}:refunds`)).toBe(0);
    expect(await redis.exists(`${h.redisPrefix}payment:${ghost}`)).toBe(0);
  });

  it('ids in another letter case or form are dead-lettered at once: no processor call, no Redis key', async () => {
    const p = await paid();
    const calls = provider.refundCalls;
    const variants = [
      { paymentId: p.paymentId.toUpperCase() },
      { paymentId: `{${p.paymentId}}` },
      { orderId: p.orderId.toUpperCase() },
      { userId: ` ${p.user.id}` },
    ];
    for (const v of variants) await publish(request(p, 100, 'ADMIN_REFUND', v));
    await waitFor(
      () =>
        h.log.lines.filter((l) => l.includes('event dead-lettered') && l.includes('malformed event'))
          .length >= 4,
      { timeoutMs: 10_000 },
    );
    await sleep(200);
    expect(provider.refundCalls).toBe(calls);
    const keys = await redis.keys(`${h.redisPrefix}*`);
    expect(keys.filter((k) => k.toLowerCase().includes(p.paymentId) && k.endsWith(':refunds'))).toEqual([]);
    expect(
      keys.filter((k) => k.includes(p.paymentId.toUpperCase()) || k.includes(p.orderId.toUpperCase())),
    ).toEqual([]);
  });

  it('a declined payment charged nothing and is not refunded', async () => {
    const user = h.customer();
    const orderId = h.newOrder(user.id, AMOUNT);
    const res = await h.pay(user, { orderId, card: card(TEST_CARDS.DECLINED), idempotencyKey: 'k-declined' });
    const paymentId = res.data!.payOrder.payment!.id;
    const calls = provider.refundCalls;
    const outcome = await h.app.service.refund({
      paymentId,
      amount: { amount: 100, currency: 'EUR' },
      reason: 'ADMIN_REFUND',
    });
    expect(outcome).toEqual({ kind: 'REFUSED', message: 'the payment charged nothing' });
    expect(provider.refundCalls).toBe(calls);
  });
});

describe('refunds: charges that paid nothing', () => {
  const real = TestPaymentProvider.prototype.charge;
  /** Pays an order whose guard another payment sets while this charge is at the processor. */
  async function doubleCharge(duringCharge: () => void = () => undefined) {
    const user = h.customer();
    const orderId = h.newOrder(user.id, AMOUNT);
    jest.spyOn(provider, 'charge').mockImplementationOnce(async (req) => {
      const result = await real.call(provider, req);
      await redis.set(`${h.redisPrefix}order:${orderId}:paid`, randomUUID());
      duringCharge();
      return result;
    });
    const res = await h.pay(user, { orderId, card: card(TEST_CARDS.SUCCESS), idempotencyKey: randomUUID() });
    expect(res.data?.payOrder).toMatchObject({ __typename: 'OrderNotPayableError', status: 'PAID' });
    const [payments] = await h.app.repository.paymentsByOrders([orderId]);
    expect(payments).toHaveLength(1);
    return { user, orderId, paymentId: payments![0]!.id, chargeId: payments![0]!.chargeId! } satisfies Paid;
  }
  const pending = async () => redis.hgetall(`${h.redisPrefix}refunds:pending`);
  const succeededEventsOf = async (paymentId: string) => {
    const jsm = await jetstreamManager(h.nc);
    const info = await jsm.streams.info(h.names.streams.payments);
    let n = 0;
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const msg = await jsm.streams.getMessage(h.names.streams.payments, { seq }).catch(() => null);
      if (msg?.subject === h.names.events.paymentsSucceeded && msg.string().includes(paymentId)) n += 1;
    }
    return n;
  };

  it('a second successful charge of an order paid meanwhile (lock lost mid-charge) is recorded without an event, refunded in full once, and a request for it moves nothing more', async () => {
    const p = await doubleCharge();
    await drained();
    let b = await books(p);
    expect(b.ledger.map((r) => r.amount.amount)).toEqual([AMOUNT]);
    expect(Object.keys(b.records)).toEqual(['DUPLICATE_CHARGE']);
    expect(b.refundedAmount).toBe(AMOUNT);
    expect(b.events).toHaveLength(1);
    expect(await succeededEventsOf(p.paymentId)).toBe(0); // orders never takes it for the order's payment
    expect((await pending())[p.paymentId]).toBeUndefined();
    await publish(request(p, AMOUNT, 'DUPLICATE_CHARGE'));
    await waitFor(() => handled(p.paymentId) === 1, { timeoutMs: 10_000 });
    await drained();
    b = await books(p);
    expect(b.ledger).toHaveLength(1);
    expect(b.events).toHaveLength(1);
  });

  it('the processor down when that charge is to be refunded: it stays pending in Redis and the job refunds it once when the processor is back', async () => {
    const p = await doubleCharge(() => {
      provider.refundsDown = true;
    });
    expect((await pending())[p.paymentId]).toBe('DUPLICATE_CHARGE');
    expect((await books(p)).ledger).toHaveLength(0);
    const calls = provider.refundCalls;
    await waitFor(() => provider.refundCalls - calls >= 2, { timeoutMs: 5_000 }); // the job keeps trying
    provider.refundsDown = false;
    await waitFor(async () => (await pending())[p.paymentId] === undefined, { timeoutMs: 5_000 });
    await sleep(500); // more job runs: nothing more moves
    await drained();
    const b = await books(p);
    expect(b.ledger.map((r) => r.amount.amount)).toEqual([AMOUNT]);
    expect(Object.keys(b.records)).toEqual(['DUPLICATE_CHARGE']);
    expect(b.events).toHaveLength(1);
  });
});

describe('refunds: published', () => {
  it('payments.refunded is in the stream once per refund, with the refund id as its event id', async () => {
    await drained();
    const events = await refundedEvents();
    expect(events.length).toBeGreaterThan(0);
    expect(new Set(events.map((e) => e.refundId)).size).toBe(events.length);
    expect(new Set(events.map((e) => `${e.paymentId}:${e.reason}`)).size).toBe(events.length);
    expect(events.every((e) => e.eventId === e.refundId)).toBe(true);
    // Every refund the processor made is one event, and the other way round.
    const ledger = provider.refunds.length;
    expect(events).toHaveLength(ledger);
  });
});
