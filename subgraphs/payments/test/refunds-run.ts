import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { Redis } from 'ioredis';
import type { Viewer } from '@shop/auth';
import {
  jetstream,
  jetstreamManager,
  PaymentRefundedEvent,
  type RefundReason,
  type RefundRequestedEvent,
} from '@shop/messaging';
import { endpoints, waitFor } from '@shop/testing';
import { bootPayments, TestPsp, type Harness } from './helpers';

/** The amount of every order `paid()` pays. */
export const AMOUNT = 4999;

/** A successful payment of a fresh stub order: its ids and the processor's charge id. */
export interface Paid {
  user: Viewer;
  orderId: string;
  paymentId: string;
  chargeId: string;
}

/**
 * One refunds test file's run against real Redis and NATS: a payments harness with its own
 * test PSP (the real one, in-process: the ledger every count is read from), a Redis client of its own, and the
 * refund tools of the file: orders.refund_requested events on the ORDERS stream, what the ledger,
 * Redis and the PAYMENTS stream hold for a payment. After each test the processor is up again and
 * every spy restored. `expectEachRefundOnce` is the file's last test: the whole run checked.
 */
export function refundsRun(label: string) {
  const provider = new TestPsp();
  let booted: Harness | undefined;
  let client: Redis | undefined;
  beforeAll(async () => {
    booted = await bootPayments(
      label,
      {},
      { psp: provider, env: { REFUND_BACKOFF_MS: '150', PENDING_REFUND_INTERVAL_MS: '200' } },
    );
    client = new Redis(endpoints.redis);
  });
  afterAll(async () => {
    await client?.quit();
    await booted?.close();
  });
  afterEach(() => {
    provider.refundsDown = false;
    jest.restoreAllMocks();
  });
  const harness = (): Harness => {
    if (!booted) throw new Error(`the ${label} harness is not booted (use it inside tests)`);
    return booted;
  };
  const redis = (): Redis => {
    if (!client) throw new Error(`the ${label} Redis client is not connected (use it inside tests)`);
    return client;
  };

  /** Every payments.refunded event in this run's PAYMENTS stream. */
  async function refundedEvents(): Promise<PaymentRefundedEvent[]> {
    const h = harness();
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
  const drained = () => waitFor(async () => (await harness().app.repository.outboxLength()) === 0);

  return {
    provider,
    harness,
    redis,
    refundedEvents,
    drained,

    /** A successful payment of a fresh stub order of AMOUNT. */
    async paid(): Promise<Paid> {
      const h = harness();
      const user = h.customer();
      const orderId = h.newOrder(user.id, AMOUNT);
      const res = await h.pay(user, {
        orderId,
        paymentMethodToken: await h.token(),
        idempotencyKey: randomUUID(),
      });
      expect(res.data?.payOrder.__typename).toBe('PaymentSucceeded');
      const paymentId = res.data!.payOrder.payment!.id;
      const [payment] = await h.app.repository.paymentsByIds([paymentId]);
      return { user, orderId, paymentId, chargeId: payment!.chargeId! };
    },

    /** An orders.refund_requested event for the payment (a new eventId each time). */
    request: (p: Paid, amount: number, reason: RefundReason, extra: Partial<RefundRequestedEvent> = {}) =>
      ({
        eventId: randomUUID(),
        orderId: p.orderId,
        userId: p.user.id,
        paymentId: p.paymentId,
        amount: { amount, currency: 'EUR' },
        reason,
        requestedAt: new Date().toISOString(),
        ...extra,
      }) satisfies RefundRequestedEvent,

    /**
     * Publishes a refund request to the ORDERS stream. Each publish gets its own Nats-Msg-Id, so even the
     * same event sent again is stored again (as a redelivery after JetStream's duplicate window would be).
     */
    async publish(event: RefundRequestedEvent) {
      const h = harness();
      await jetstream(h.nc).publish(h.names.events.ordersRefundRequested, JSON.stringify(event), {
        msgID: randomUUID(),
      });
    },

    /** How many refund requests of this payment the consumer finished (acked). */
    handled: (paymentId: string) =>
      harness().log.lines.filter((l) => l.includes('refund request handled') && l.includes(paymentId)).length,

    /** What the processor's ledger, Redis and the PAYMENTS stream hold for a payment. */
    async books(p: Paid) {
      const h = harness();
      const ledger = provider.refunds.filter((r) => r.chargeId === p.chargeId);
      const records = await redis().hgetall(`${h.redisPrefix}payment:${p.paymentId}:refunds`);
      const refundedAmount = Number(
        await redis().hget(`${h.redisPrefix}payment:${p.paymentId}`, 'refundedAmount'),
      );
      return {
        ledger,
        records,
        refundedAmount,
        events: (await refundedEvents()).filter((e) => e.paymentId === p.paymentId),
      };
    },

    /**
     * The whole run, once the outbox has drained: payments.refunded is in the stream once per refund
     * (one per payment and reason), with the refund id as its event id, and every refund the
     * processor made is one event, and the other way round.
     */
    async expectEachRefundOnce() {
      await drained();
      const events = await refundedEvents();
      expect(events.length).toBeGreaterThan(0);
      expect(new Set(events.map((e) => e.refundId)).size).toBe(events.length);
      expect(new Set(events.map((e) => `${e.paymentId}:${e.reason}`)).size).toBe(events.length);
      expect(events.every((e) => e.eventId === e.refundId)).toBe(true);
      expect(events).toHaveLength(provider.refunds.length);
    },
  };
}
