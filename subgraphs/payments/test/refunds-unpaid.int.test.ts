import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { jest } from '@jest/globals';
import type { Redis } from 'ioredis';
import { jetstreamManager } from '@shop/messaging';
import { waitFor } from '@shop/testing';
import type { Harness } from './helpers';
import { AMOUNT, refundsRun, type Paid } from './refunds-run';

/**
 * The refunds payments owes by itself, against real Redis and NATS: a successful charge that paid
 * nothing (a second charge of an order paid meanwhile) is refunded in full once, through the
 * pending-refunds job when the processor is down. Counts are read from the test processor's ledger,
 * Redis and the PAYMENTS stream. Refund requests from orders are in refunds.int.test.ts.
 */
const run = refundsRun('unpaid');
const { provider, request, publish, handled, books, drained } = run;
let h: Harness;
let redis: Redis;
beforeAll(() => {
  h = run.harness();
  redis = run.redis();
});

describe('refunds: charges that paid nothing', () => {
  /** Pays an order whose guard another payment sets while this charge is at the processor. */
  async function doubleCharge(duringCharge: () => void = () => undefined) {
    const user = h.customer();
    const orderId = h.newOrder(user.id, AMOUNT);
    const app = h.app.provider;
    const real = app.charge.bind(app);
    jest.spyOn(app, 'charge').mockImplementationOnce(async (req) => {
      const result = await real(req);
      await redis.set(`${h.redisPrefix}order:${orderId}:paid`, randomUUID());
      duringCharge();
      return result;
    });
    const res = await h.pay(user, {
      orderId,
      paymentMethodToken: await h.token(),
      idempotencyKey: randomUUID(),
    });
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
    await run.expectEachRefundOnce();
  });
});
