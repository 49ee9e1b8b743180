import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { endpoints, waitFor } from '@shop/testing';
import {
  ProviderUnavailableError,
  type ChargeRequest,
  type ChargeResult,
  type PaymentProvider,
  type ProviderEvent,
  type RefundRequest,
  type RefundResult,
} from '../src/providers/provider';
import { bootPayments, type Harness } from './helpers';

/**
 * Finding 3 of issue 16 on the payments side (pay and cancel at once: charged and cancelled).
 * Orders holds a payment lease from its payable answer on (a cancel is refused meanwhile); payments
 * must take the charge only inside it: payable is asked under the order's charge lock, the charge
 * starts after its yes, and a processor that does not answer within PROVIDER_TIMEOUT_MS is aborted
 * (and a charge it still takes after that is refunded), so no charge lands after the lease.
 * Real Redis and NATS, a stub orders.payable, PROVIDER_TIMEOUT_MS=300 and ORDERS_TIMEOUT_MS=400.
 */
const PROVIDER_TIMEOUT_MS = 300;
const ORDERS_TIMEOUT_MS = 400;

type Mode = 'fast' | 'hangs' | 'ignores-abort';

/** A processor whose speed the test picks, logging when each call started and ended. */
class ControlledProvider implements PaymentProvider {
  readonly name = 'controlled';
  mode: Mode = 'fast';
  readonly calls: { orderId: string; startedAt: number; endedAt?: number; aborted?: boolean }[] = [];
  readonly charged: { orderId: string; chargeId: string }[] = [];
  readonly refunds: string[] = [];

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    const call: (typeof this.calls)[number] = { orderId: request.orderId, startedAt: Date.now() };
    this.calls.push(call);
    request.signal.addEventListener('abort', () => {
      call.aborted = true;
      call.endedAt = Date.now();
    });
    if (this.mode === 'hangs') {
      await sleep(10_000, undefined, { signal: request.signal }).catch(() => undefined);
      throw new ProviderUnavailableError('aborted');
    }
    if (this.mode === 'ignores-abort') await sleep(PROVIDER_TIMEOUT_MS + 400);
    const chargeId = `ch_${randomUUID()}`;
    this.charged.push({ orderId: request.orderId, chargeId });
    call.endedAt ??= Date.now();
    return { outcome: 'SUCCEEDED', chargeId, card: CARD };
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    this.refunds.push(request.chargeId);
    return { refundId: `re_${request.idempotencyKey}` };
  }

  async retrieveCharge(chargeId: string): Promise<ChargeResult> {
    return { outcome: 'SUCCEEDED', chargeId, card: CARD };
  }

  async cancelCharge(chargeId: string): Promise<ChargeResult> {
    return this.retrieveCharge(chargeId);
  }

  parseWebhook(): ProviderEvent | null {
    return null;
  }
}

const CARD = { brand: 'VISA', last4: '4242', expMonth: 12, expYear: 2099 } as const;

const provider = new ControlledProvider();
let h: Harness;
let redis: Redis;
beforeAll(async () => {
  h = await bootPayments(
    'lease',
    { provider },
    {
      env: { PROVIDER_TIMEOUT_MS: String(PROVIDER_TIMEOUT_MS), ORDERS_TIMEOUT_MS: String(ORDERS_TIMEOUT_MS) },
    },
  );
  redis = new Redis(endpoints.redis);
});
afterAll(async () => {
  await redis?.quit();
  await h?.close();
});
afterEach(() => {
  provider.mode = 'fast';
  h.setPayableHook(undefined);
});

/** What the stub saw at each payable request: when, and whether the order's charge lock was held. */
function watchPayable() {
  const seen: { orderId: string; at: number; lockHeld: boolean }[] = [];
  h.setPayableHook(async (orderId) => {
    const lockHeld = (await redis.exists(`${h.redisPrefix}order:${orderId}:lock`)) === 1;
    seen.push({ orderId, at: Date.now(), lockHeld });
  });
  return seen;
}

describe('finding 3: the charge is taken only inside the payment lease', () => {
  it('finding 3: orders.payable is asked while the order charge lock is held, and the charge starts only after its yes', async () => {
    const user = h.customer();
    const orderId = h.newOrder(user.id);
    const seen = watchPayable();
    const res = await h.pay(user, {
      orderId,
      paymentMethodToken: await h.token(),
      idempotencyKey: 'k-order',
    });
    expect(res.data?.payOrder.__typename).toBe('PaymentSucceeded');
    expect(seen).toEqual([{ orderId, at: expect.any(Number), lockHeld: true }]);
    const call = provider.calls.find((c) => c.orderId === orderId)!;
    expect(call.startedAt).toBeGreaterThanOrEqual(seen[0]!.at);
    // The lock is given back once the payment is recorded.
    expect(await redis.exists(`${h.redisPrefix}order:${orderId}:lock`)).toBe(0);
  });

  it('finding 3: a processor slower than PROVIDER_TIMEOUT_MS is aborted in time: nothing charged or recorded, lock and key free, a retry runs again', async () => {
    const user = h.customer();
    const orderId = h.newOrder(user.id);
    const seen = watchPayable();
    provider.mode = 'hangs';
    const started = Date.now();
    const res = await h.pay(user, { orderId, paymentMethodToken: await h.token(), idempotencyKey: 'k-slow' });
    const elapsed = Date.now() - started;
    expect(res.errors).toBeUndefined();
    expect(res.data?.payOrder.__typename).toBe('PaymentProviderUnavailableError');
    expect(elapsed).toBeGreaterThanOrEqual(PROVIDER_TIMEOUT_MS);
    expect(elapsed).toBeLessThan(PROVIDER_TIMEOUT_MS + 1_500);
    const call = provider.calls.find((c) => c.orderId === orderId)!;
    expect(call.aborted).toBe(true);
    // Aborted no later than payable's question + ORDERS_TIMEOUT_MS + PROVIDER_TIMEOUT_MS (plus timer slack).
    expect(call.endedAt! - seen[0]!.at).toBeLessThanOrEqual(ORDERS_TIMEOUT_MS + PROVIDER_TIMEOUT_MS + 200);
    expect(provider.charged.filter((c) => c.orderId === orderId)).toEqual([]);
    expect(await h.app.repository.paymentsByOrders([orderId])).toEqual([[]]);
    expect(await redis.exists(`${h.redisPrefix}order:${orderId}:lock`)).toBe(0);
    expect(await h.app.repository.readIdempotency(user.id, 'k-slow')).toBeNull();
    expect(h.log.lines.some((l) => l.includes(orderId) && l.includes('payment provider unavailable'))).toBe(
      true,
    );

    provider.mode = 'fast';
    const retry = await h.pay(user, {
      orderId,
      paymentMethodToken: await h.token(),
      idempotencyKey: 'k-slow',
    });
    expect(retry.data?.payOrder.__typename).toBe('PaymentSucceeded');
    expect(provider.charged.filter((c) => c.orderId === orderId)).toHaveLength(1);
  });

  it('finding 3: a processor that ignores the abort and charges after the timeout has that charge refunded, recorded as a fully refunded payment that pays nothing', async () => {
    const user = h.customer();
    const orderId = h.newOrder(user.id);
    provider.mode = 'ignores-abort';
    const res = await h.pay(user, { orderId, paymentMethodToken: await h.token(), idempotencyKey: 'k-late' });
    expect(res.data?.payOrder.__typename).toBe('PaymentProviderUnavailableError');
    const late = await waitFor(() => provider.charged.find((c) => c.orderId === orderId));
    await waitFor(() => provider.refunds.includes(late.chargeId));
    expect(provider.refunds.filter((c) => c === late.chargeId)).toHaveLength(1);
    // Recorded like any refund: the charge as a payment of the order, given back in full, no guard.
    const [payments] = await waitFor(async () => {
      const found = await h.app.repository.paymentsByOrders([orderId]);
      return found[0]?.[0]?.refundedAmount ? found : null;
    });
    expect(payments).toHaveLength(1);
    expect(payments![0]).toMatchObject({
      chargeId: late.chargeId,
      refundedAmount: 4999,
      status: 'SUCCEEDED',
    });
    const [refunds] = await h.app.refunds.refundsOf([payments![0]!.id]);
    expect(refunds!.map((r) => [r.reason, r.amount.amount])).toEqual([['DUPLICATE_CHARGE', 4999]]);
    expect(await h.app.repository.paidPaymentId(orderId)).toBeNull();
    expect(
      await waitFor(() =>
        h.log.lines.find(
          (l) => l.includes(late.chargeId) && l.includes('completed after its timeout; refunded'),
        ),
      ),
    ).toBeTruthy();
  });
});
