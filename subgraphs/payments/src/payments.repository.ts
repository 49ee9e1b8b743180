import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  isOrderId,
  isPaymentId,
  type PaymentEvent,
  type PaymentRefundedEvent,
  type RefundReason,
} from '@shop/messaging';
import type {
  CardBrand,
  DeclineReason,
  PaymentModel,
  PaymentStatus,
  RefundModel,
  StoredOutcome,
} from './models';

/** The idempotency record of one (user, key): in progress, or finished with its outcome. */
export type IdempotencyRecord =
  | { state: 'PENDING'; fingerprint: string; token: string }
  | { state: 'DONE'; fingerprint: string; outcome: StoredOutcome };

/** One outbox entry: an event waiting to be published. */
export type OutboxEntry =
  | { entryId: string; status: PaymentStatus; event: PaymentEvent }
  | { entryId: string; status: 'REFUNDED'; event: PaymentRefundedEvent };

export type RecordResult = 'RECORDED' | 'ALREADY_PAID';

/** What recording a refund did: written now, found written before (same payment and reason), or refused. */
export type RecordRefundResult =
  | { kind: 'RECORDED' }
  | { kind: 'EXISTS'; refund: RefundModel }
  | { kind: 'NO_PAYMENT' }
  | { kind: 'OVER_REFUND' };

/**
 * Records a charge attempt atomically. A second SUCCEEDED payment of an order (the guard is set) is
 * written as a payment of the order (hash and index, so its refund has something to belong to) and
 * marked as a pending refund (DUPLICATE_CHARGE, retried by a job until recorded), but sets no guard,
 * publishes no event (orders must not take it for the order's payment) and finishes no idempotency
 * key: 'ALREADY_PAID', and the caller refunds it at once. Else it writes the payment hash, the order's index, the guard, the outbox entry and the finished
 * idempotency record in one step.
 * KEYS: payment, orderPayments, orderPaid, outbox, idempotency, pendingRefunds
 * ARGV: status, paymentId, createdAtMs, eventJson, idempotencyJson, ttlSeconds, then field/value pairs
 */
const RECORD_SCRIPT = `
local fields = {}
for i = 7, #ARGV do fields[#fields + 1] = ARGV[i] end
if ARGV[1] == 'SUCCEEDED' and redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('HSET', KEYS[1], unpack(fields))
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
  redis.call('HSET', KEYS[6], ARGV[2], 'DUPLICATE_CHARGE')
  return 'ALREADY_PAID'
end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
if ARGV[1] == 'SUCCEEDED' then redis.call('SET', KEYS[3], ARGV[2]) end
redis.call('XADD', KEYS[4], '*', 'paymentId', ARGV[2], 'status', ARGV[1], 'event', ARGV[4])
redis.call('SET', KEYS[5], ARGV[5], 'EX', tonumber(ARGV[6]))
return 'RECORDED'
`;

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

/** Deletes a key only while it still holds the caller's token (a lock or a pending record). */
const RELEASE_SCRIPT = `
local value = redis.call('GET', KEYS[1])
if value and string.find(value, ARGV[1], 1, true) then return redis.call('DEL', KEYS[1]) end
return 0
`;

const RELAY_GROUP = 'relay';

/**
 * The last line of defence of canonical ids: every order and payment key is built from the issued
 * form only. The service refuses other forms first ("not found"); reaching this throw is a bug.
 */
function canonical(kind: 'order' | 'payment', id: string): string {
  if (!(kind === 'order' ? isOrderId(id) : isPaymentId(id)))
    throw new Error(`a non-canonical ${kind} id reached the payments repository`);
  return id;
}

function toHash(p: PaymentModel): string[] {
  return [
    'id',
    p.id,
    'orderId',
    p.orderId,
    'userId',
    p.userId,
    'amount',
    String(p.amount.amount),
    'currency',
    p.amount.currency,
    'status',
    p.status,
    'brand',
    p.card.brand,
    'last4',
    p.card.last4,
    'expMonth',
    String(p.card.expMonth),
    'expYear',
    String(p.card.expYear),
    'failureReason',
    p.failureReason ?? '',
    'createdAt',
    p.createdAt.toISOString(),
    'chargeId',
    p.chargeId ?? '',
    'refundedAmount',
    String(p.refundedAmount),
  ];
}

function fromHash(h: Record<string, string>): PaymentModel | null {
  if (!h.id) return null;
  return {
    id: h.id,
    orderId: h.orderId ?? '',
    userId: h.userId ?? '',
    amount: { amount: Number(h.amount), currency: h.currency ?? '' },
    status: h.status as PaymentStatus,
    card: {
      brand: h.brand as CardBrand,
      last4: h.last4 ?? '',
      expMonth: Number(h.expMonth),
      expYear: Number(h.expYear),
    },
    failureReason: h.failureReason ? (h.failureReason as DeclineReason) : null,
    createdAt: new Date(h.createdAt ?? 0),
    chargeId: h.chargeId ? h.chargeId : null,
    refundedAmount: Number(h.refundedAmount ?? 0),
  };
}

function refundToJson(r: RefundModel): string {
  return JSON.stringify({ ...r, createdAt: r.createdAt.toISOString() });
}

function refundFromJson(json: string): RefundModel {
  const raw = JSON.parse(json) as Omit<RefundModel, 'createdAt'> & { createdAt: string };
  return { ...raw, createdAt: new Date(raw.createdAt) };
}

export interface PaymentsRepositoryDeps {
  redis: Redis;
  /** Every key starts with it (REDIS_PREFIX). */
  prefix: string;
}

/** Every Redis call of the payments subgraph. All keys live under `prefix`. */
export class PaymentsRepository {
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(deps: PaymentsRepositoryDeps) {
    this.redis = deps.redis;
    this.prefix = deps.prefix;
  }

  readonly keys = {
    payment: (id: string) => `${this.prefix}payment:${canonical('payment', id)}`,
    orderPayments: (orderId: string) => `${this.prefix}order:${canonical('order', orderId)}:payments`,
    orderPaid: (orderId: string) => `${this.prefix}order:${canonical('order', orderId)}:paid`,
    refunds: (paymentId: string) => `${this.prefix}payment:${canonical('payment', paymentId)}:refunds`,
    orderLock: (orderId: string) => `${this.prefix}order:${canonical('order', orderId)}:lock`,
    idempotency: (userId: string, key: string) =>
      `${this.prefix}idem:${userId}:${createHash('sha256').update(key).digest('hex')}`,
    outbox: () => `${this.prefix}outbox`,
    /** paymentId -> reason of refunds payments owes by itself (a charge that paid nothing). */
    pendingRefunds: () => `${this.prefix}refunds:pending`,
  };

  async ping(): Promise<boolean> {
    return (await this.redis.ping()) === 'PONG';
  }

  // ---- idempotency ------------------------------------------------------------------------------

  /**
   * Takes the key for this request (SET NX with a short expiry, so a crashed holder frees it).
   * Returns null when taken, else the record already there.
   */
  async claimIdempotency(
    userId: string,
    key: string,
    record: IdempotencyRecord,
    lockMs: number,
  ): Promise<IdempotencyRecord | null> {
    const previous = await this.redis.set(
      this.keys.idempotency(userId, key),
      JSON.stringify(record),
      'PX',
      lockMs,
      'NX',
      'GET',
    );
    return previous === null ? null : (JSON.parse(previous) as IdempotencyRecord);
  }

  async readIdempotency(userId: string, key: string): Promise<IdempotencyRecord | null> {
    const value = await this.redis.get(this.keys.idempotency(userId, key));
    return value === null ? null : (JSON.parse(value) as IdempotencyRecord);
  }

  /** Frees a pending key (only the holder's own), so a retry can run. */
  async releaseIdempotency(userId: string, key: string, token: string): Promise<void> {
    await this.redis.eval(RELEASE_SCRIPT, 1, this.keys.idempotency(userId, key), `"token":"${token}"`);
  }

  // ---- per-order guard and lock -----------------------------------------------------------------

  async paidPaymentId(orderId: string): Promise<string | null> {
    return this.redis.get(this.keys.orderPaid(orderId));
  }

  /** One charge at a time per order. */
  async lockOrder(orderId: string, token: string, ms: number): Promise<boolean> {
    return (await this.redis.set(this.keys.orderLock(orderId), token, 'PX', ms, 'NX')) === 'OK';
  }

  async unlockOrder(orderId: string, token: string): Promise<void> {
    await this.redis.eval(RELEASE_SCRIPT, 1, this.keys.orderLock(orderId), token);
  }

  // ---- payments ---------------------------------------------------------------------------------

  /** Writes payment, guard, outbox entry and idempotency result in one atomic script. */
  async record(
    payment: PaymentModel,
    event: PaymentEvent,
    idempotency: { userId: string; key: string; record: IdempotencyRecord; ttlSeconds: number },
  ): Promise<RecordResult> {
    const result = await this.redis.eval(
      RECORD_SCRIPT,
      6,
      this.keys.payment(payment.id),
      this.keys.orderPayments(payment.orderId),
      this.keys.orderPaid(payment.orderId),
      this.keys.outbox(),
      this.keys.idempotency(idempotency.userId, idempotency.key),
      this.keys.pendingRefunds(),
      payment.status,
      payment.id,
      String(payment.createdAt.getTime()),
      JSON.stringify(event),
      JSON.stringify(idempotency.record),
      String(idempotency.ttlSeconds),
      ...toHash(payment),
    );
    return result as RecordResult;
  }

  /**
   * Writes a successful charge that no order paid with (it completed after its timeout) as a payment of
   * its order, with a pending refund for `reason`: hash, index and pending mark in one MULTI, no guard,
   * no event, so that its refund is recorded like any other and retried until it is.
   */
  async recordUnpaidCharge(payment: PaymentModel, reason: RefundReason): Promise<void> {
    await this.redis
      .multi()
      .hset(this.keys.payment(payment.id), ...toHash(payment))
      .zadd(this.keys.orderPayments(payment.orderId), payment.createdAt.getTime(), payment.id)
      .hset(this.keys.pendingRefunds(), payment.id, reason)
      .exec();
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

  // ---- refunds ----------------------------------------------------------------------------------

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

  /** Payments by id, in one round trip. */
  async paymentsByIds(ids: readonly string[]): Promise<(PaymentModel | null)[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.keys.payment(id));
    const results = (await pipeline.exec()) ?? [];
    return results.map(([error, value]) => {
      if (error) throw error;
      return fromHash(value as Record<string, string>);
    });
  }

  /** Every payment of each order, oldest first, in two round trips whatever the number of orders. */
  async paymentsByOrders(orderIds: readonly string[]): Promise<PaymentModel[][]> {
    if (orderIds.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const orderId of orderIds) pipeline.zrange(this.keys.orderPayments(orderId), 0, -1);
    const idLists = ((await pipeline.exec()) ?? []).map(([error, value]) => {
      if (error) throw error;
      return value as string[];
    });
    const payments = await this.paymentsByIds(idLists.flat());
    const byId = new Map(payments.filter((p): p is PaymentModel => p !== null).map((p) => [p.id, p]));
    return idLists.map((ids) =>
      ids.map((id) => byId.get(id)).filter((p): p is PaymentModel => p !== undefined),
    );
  }

  // ---- outbox (read by the relay) ---------------------------------------------------------------

  /** Creates the relay's consumer group (from the start of the stream) if it is missing. */
  async ensureRelayGroup(): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.keys.outbox(), RELAY_GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!String((error as Error).message).includes('BUSYGROUP')) throw error;
    }
  }

  /**
   * Entries delivered to some relay but not acknowledged for minIdleMs (that relay died between
   * publishing and acknowledging), claimed for `consumer`.
   */
  async claimStaleOutbox(consumer: string, minIdleMs: number, count: number): Promise<OutboxEntry[]> {
    const reply = (await this.redis.xautoclaim(
      this.keys.outbox(),
      RELAY_GROUP,
      consumer,
      minIdleMs,
      '0-0',
      'COUNT',
      count,
    )) as [string, [string, string[]][]];
    return parseEntries(reply[1] ?? []);
  }

  /** New entries for `consumer`, waiting up to blockMs. Use a connection of its own (it blocks). */
  async readNewOutbox(
    consumer: string,
    count: number,
    blockMs: number,
    connection: Redis = this.redis,
  ): Promise<OutboxEntry[]> {
    const reply = (await connection.xreadgroup(
      'GROUP',
      RELAY_GROUP,
      consumer,
      'COUNT',
      count,
      'BLOCK',
      blockMs,
      'STREAMS',
      this.keys.outbox(),
      '>',
    )) as [string, [string, string[]][]][] | null;
    return parseEntries(reply?.[0]?.[1] ?? []);
  }

  /** Acknowledges and deletes a published entry (the stream keeps only what is still to publish). */
  async ackOutbox(entryId: string): Promise<void> {
    await this.redis
      .multi()
      .xack(this.keys.outbox(), RELAY_GROUP, entryId)
      .xdel(this.keys.outbox(), entryId)
      .exec();
  }

  /** Entries not yet acknowledged, for health checks and tests. */
  async outboxLength(): Promise<number> {
    return this.redis.xlen(this.keys.outbox());
  }
}

function parseEntries(raw: [string, string[]][]): OutboxEntry[] {
  const entries: OutboxEntry[] = [];
  for (const item of raw) {
    if (!item) continue; // XAUTOCLAIM reports deleted entries as nil
    const [entryId, flat] = item;
    if (!flat) continue;
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
    if (!fields.event || !fields.status) continue;
    entries.push({
      entryId,
      status: fields.status,
      event: JSON.parse(fields.event),
    } as OutboxEntry);
  }
  return entries;
}
