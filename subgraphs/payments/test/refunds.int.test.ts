import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { jest } from '@jest/globals';
import type { Redis } from 'ioredis';
import { waitFor } from '@shop/testing';
import { refundKey } from '../src/payments.service';
import { TEST_CARDS, type Harness } from './helpers';
import { AMOUNT, refundsRun } from './refunds-run';

/**
 * Refunds as a capability of payments (issue 16), against real Redis and NATS: orders.refund_requested
 * events on the ORDERS stream, the consumer, the test processor's ledger, the refund records in Redis
 * and payments.refunded in the PAYMENTS stream. Every count is read from the ledger, Redis and the
 * stream, not from the API. The refunds payments owes by itself (charges that paid nothing) are in
 * refunds-unpaid.int.test.ts; the shared run and tools in refunds-run.ts.
 */
const run = refundsRun('refunds');
const { provider, paid, request, publish, handled, books, drained } = run;
let h: Harness;
let redis: Redis;
beforeAll(() => {
  h = run.harness();
  redis = run.redis();
});

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
      .spyOn(h.app.refunds, 'recordRefund')
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
    const res = await h.pay(user, {
      orderId,
      paymentMethodToken: await h.token(TEST_CARDS.DECLINED),
      idempotencyKey: 'k-declined',
    });
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

describe('refunds: published', () => {
  it('payments.refunded is in the stream once per refund, with the refund id as its event id', async () => {
    await run.expectEachRefundOnce();
  });
});
