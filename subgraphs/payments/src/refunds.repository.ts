import type { Redis } from 'ioredis';
import { isPaymentId, type PaymentRefundedEvent, type RefundReason } from '@shop/messaging';
import type { PaymentModel, RefundModel } from './models';
import { canonical, paymentKeys, toHash, type PaymentKeys } from './payments.keys';

/** What recording a refund did: written now, found written before (same payment and reason), or refused. */
export type RecordRefundResult =
  | { kind: 'RECORDED' }
  | { kind: 'EXISTS'; refund: RefundModel }
  | { kind: 'NO_PAYMENT' }
  | { kind: 'OVER_REFUND' };

/**
 * Records one refund of a payment atomically with its payments.refunded outbox entry: at most one
 * refund per (payment, reason) — a second one answers the first ('EXISTS' + its JSON) — and never
 * more in total than the payment's amount ('OVER_REFUND'; nothing written). A pending internal
 * refund of the payment for this reason is done with once it is recorded (or found recorded).
 * KEYS: payment, refunds, outbox, pendingRefunds
 * ARGV: reason, refundJson, amount, eventJson, paymentId
 */
const REFUND_SCRIPT = `
local existing = redis.call('HGET', KEYS[2], ARGV[1])
if existing then
  if redis.call('HGET', KEYS[4], ARGV[5]) == ARGV[1] then redis.call('HDEL', KEYS[4], ARGV[5]) end
  return {'EXISTS', existing}
end
local paid = redis.call('HGET', KEYS[1], 'amount')
if not paid then return {'NO_PAYMENT'} end
local refunded = tonumber(redis.call('HGET', KEYS[1], 'refundedAmount') or '0')
if refunded + tonumber(ARGV[3]) > tonumber(paid) then return {'OVER_REFUND'} end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('HINCRBY', KEYS[1], 'refundedAmount', ARGV[3])
redis.call('XADD', KEYS[3], '*', 'paymentId', ARGV[5], 'status', 'REFUNDED', 'event', ARGV[4])
if redis.call('HGET', KEYS[4], ARGV[5]) == ARGV[1] then redis.call('HDEL', KEYS[4], ARGV[5]) end
return {'RECORDED'}
`;

/**
 * Writes an unpaid charge (hash, order index, pending refund mark) unless the payment exists.
 * KEYS: payment, orderPayments, pendingRefunds; ARGV: paymentId, createdAtMs, reason, field/value pairs
 */
const UNPAID_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local fields = {}
for i = 4, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
return 1
`;

function refundToJson(r: RefundModel): string {
  return JSON.stringify({ ...r, createdAt: r.createdAt.toISOString() });
}

function refundFromJson(json: string): RefundModel {
  const raw = JSON.parse(json) as Omit<RefundModel, 'createdAt'> & { createdAt: string };
  return { ...raw, createdAt: new Date(raw.createdAt) };
}

export interface RefundsRepositoryDeps {
  redis: Redis;
  /** Every key starts with it (REDIS_PREFIX); the same prefix as PaymentsRepository's. */
  prefix: string;
}

/**
 * Every Redis call of refunds: the refund records of a payment (`payment:{id}:refunds`, one field
 * per reason), the pending refunds payments owes by itself (`refunds:pending`) and the unpaid
 * charges those are for. The keys are PaymentsRepository's (payments.keys.ts).
 */
export class RefundsRepository {
  private readonly redis: Redis;
  readonly keys: PaymentKeys;

  constructor(deps: RefundsRepositoryDeps) {
    this.redis = deps.redis;
    this.keys = paymentKeys(deps.prefix);
  }

  /** Records a refund and its payments.refunded outbox entry in one atomic script (REFUND_SCRIPT). */
  async recordRefund(refund: RefundModel, event: PaymentRefundedEvent): Promise<RecordRefundResult> {
    const reply = (await this.redis.eval(
      REFUND_SCRIPT,
      4,
      this.keys.payment(refund.paymentId),
      this.keys.refunds(refund.paymentId),
      this.keys.outbox(),
      this.keys.pendingRefunds(),
      refund.reason,
      refundToJson(refund),
      String(refund.amount.amount),
      JSON.stringify(event),
      refund.paymentId,
    )) as [string, string?];
    switch (reply[0]) {
      case 'RECORDED':
        return { kind: 'RECORDED' };
      case 'EXISTS':
        return { kind: 'EXISTS', refund: refundFromJson(reply[1]!) };
      case 'NO_PAYMENT':
        return { kind: 'NO_PAYMENT' };
      default:
        return { kind: 'OVER_REFUND' };
    }
  }

  /** The refund of a payment for one reason, if any. */
  async refundFor(paymentId: string, reason: RefundReason): Promise<RefundModel | null> {
    const json = await this.redis.hget(this.keys.refunds(paymentId), reason);
    return json === null ? null : refundFromJson(json);
  }

  /** Every refund of each payment, oldest first, in one round trip. */
  async refundsOf(paymentIds: readonly string[]): Promise<RefundModel[][]> {
    if (paymentIds.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of paymentIds) pipeline.hvals(this.keys.refunds(id));
    return ((await pipeline.exec()) ?? []).map(([error, value]) => {
      if (error) throw error;
      return (value as string[])
        .map(refundFromJson)
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    });
  }

  // ---- refunds payments owes by itself ----------------------------------------------------------

  /**
   * Writes a successful charge that no order paid with (it completed after its timeout) as a payment of
   * its order, with a pending refund for `reason`: hash, index and pending mark in one MULTI, no guard,
   * no event, so that its refund is recorded like any other and retried until it is. Answers false
   * (and writes nothing) when the payment exists already.
   */
  async recordUnpaidCharge(payment: PaymentModel, reason: RefundReason): Promise<boolean> {
    // Only if the payment is not written yet: the late answer and the webhook of one charge may
    // both report it, and a second write would reset its refundedAmount.
    const written = await this.redis.eval(
      UNPAID_SCRIPT,
      3,
      this.keys.payment(payment.id),
      this.keys.orderPayments(payment.orderId),
      this.keys.pendingRefunds(),
      payment.id,
      String(payment.createdAt.getTime()),
      reason,
      ...toHash(payment),
    );
    return written === 1;
  }

  /** The refunds payments owes by itself and has not recorded yet (paymentId, reason). */
  async pendingRefunds(): Promise<{ paymentId: string; reason: RefundReason }[]> {
    const all = await this.redis.hgetall(this.keys.pendingRefunds());
    return Object.entries(all)
      .filter(([paymentId]) => isPaymentId(paymentId))
      .map(([paymentId, reason]) => ({ paymentId, reason: reason as RefundReason }));
  }

  /** Gives up a pending refund (it was refused for good; logged by the service). */
  async dropPendingRefund(paymentId: string): Promise<void> {
    await this.redis.hdel(this.keys.pendingRefunds(), canonical('payment', paymentId));
  }
}
