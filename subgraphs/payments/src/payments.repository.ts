import type { Redis } from 'ioredis';
import type { PaymentEvent, PaymentRefundedEvent } from '@shop/messaging';
import type { PaymentModel, PaymentStatus, StoredOutcome } from './models';
import { fromHash, paymentKeys, toHash, type PaymentKeys } from './payments.keys';

/** The idempotency record of one (user, key): in progress, or finished with its outcome. */
export type IdempotencyRecord =
  | { state: 'PENDING'; fingerprint: string; token: string }
  | { state: 'DONE'; fingerprint: string; outcome: StoredOutcome };

/** One outbox entry: an event waiting to be published. */
export type OutboxEntry =
  | { entryId: string; status: PaymentStatus; event: PaymentEvent }
  | { entryId: string; status: 'REFUNDED'; event: PaymentRefundedEvent };

export type RecordResult = 'RECORDED' | 'ALREADY_PAID';

/**
 * Records a charge attempt atomically. A second SUCCEEDED payment of an order (the guard is set) is
 * written as a payment of the order (hash and index, so its refund has something to belong to) and
 * marked as a pending refund (DUPLICATE_CHARGE, retried by a job until recorded), but sets no guard,
 * publishes no event (orders must not take it for the order's payment) and finishes no idempotency
 * key: 'ALREADY_PAID', and the caller refunds it at once. A REQUIRES_ACTION payment is written with
 * the order's pending-action pointer and its place in the pending-actions list (scored by the
 * action's expiry), no guard and no event (its webhook settles it). Else it writes the payment hash,
 * the order's index, the guard, the outbox entry and the finished idempotency record in one step.
 * KEYS: payment, orderPayments, orderPaid, outbox, idempotency, pendingRefunds, orderAction, pendingActions
 * ARGV: status, paymentId, createdAtMs, eventJson, idempotencyJson, ttlSeconds, actionExpiresAtMs,
 *       then field/value pairs
 */
const RECORD_SCRIPT = `
local fields = {}
for i = 8, #ARGV do fields[#fields + 1] = ARGV[i] end
if ARGV[1] == 'SUCCEEDED' and redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('HSET', KEYS[1], unpack(fields))
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
  redis.call('HSET', KEYS[6], ARGV[2], 'DUPLICATE_CHARGE')
  return 'ALREADY_PAID'
end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
if ARGV[1] == 'REQUIRES_ACTION' then
  redis.call('SET', KEYS[7], ARGV[2])
  redis.call('ZADD', KEYS[8], ARGV[7], ARGV[2])
else
  if ARGV[1] == 'SUCCEEDED' then redis.call('SET', KEYS[3], ARGV[2]) end
  redis.call('XADD', KEYS[4], '*', 'paymentId', ARGV[2], 'status', ARGV[1], 'event', ARGV[4])
end
redis.call('SET', KEYS[5], ARGV[5], 'EX', tonumber(ARGV[6]))
return 'RECORDED'
`;

/** Deletes a key only while it still holds the caller's token (a lock or a pending record). */
const RELEASE_SCRIPT = `
local value = redis.call('GET', KEYS[1])
if value and string.find(value, ARGV[1], 1, true) then return redis.call('DEL', KEYS[1]) end
return 0
`;

const RELAY_GROUP = 'relay';

export interface PaymentsRepositoryDeps {
  redis: Redis;
  /** Every key starts with it (REDIS_PREFIX). */
  prefix: string;
}

/**
 * Every Redis call of the payments subgraph but the refunds' (RefundsRepository, in
 * refunds.repository.ts). All keys live under `prefix` (payments.keys.ts).
 */
export class PaymentsRepository {
  private readonly redis: Redis;
  readonly keys: PaymentKeys;

  constructor(deps: PaymentsRepositoryDeps) {
    this.redis = deps.redis;
    this.keys = paymentKeys(deps.prefix);
  }

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

  /**
   * Writes payment, guard, outbox entry and idempotency result in one atomic script (a
   * REQUIRES_ACTION payment: its pending-action marks instead of the guard and the event).
   */
  async record(
    payment: PaymentModel,
    event: PaymentEvent | null,
    idempotency: { userId: string; key: string; record: IdempotencyRecord; ttlSeconds: number },
  ): Promise<RecordResult> {
    const result = await this.redis.eval(
      RECORD_SCRIPT,
      8,
      this.keys.payment(payment.id),
      this.keys.orderPayments(payment.orderId),
      this.keys.orderPaid(payment.orderId),
      this.keys.outbox(),
      this.keys.idempotency(idempotency.userId, idempotency.key),
      this.keys.pendingRefunds(),
      this.keys.orderAction(payment.orderId),
      this.keys.pendingActions(),
      payment.status,
      payment.id,
      String(payment.createdAt.getTime()),
      JSON.stringify(event ?? {}),
      JSON.stringify(idempotency.record),
      String(idempotency.ttlSeconds),
      String(payment.action?.expiresAt.getTime() ?? 0),
      ...toHash(payment),
    );
    return result as RecordResult;
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
