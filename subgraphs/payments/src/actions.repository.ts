import type { Redis } from 'ioredis';
import { isPaymentId, type PaymentEvent } from '@shop/messaging';
import type { PaymentModel } from './models';
import { paymentKeys, toHash, type PaymentKeys } from './payments.keys';

/** What settling a payment awaiting action did. */
export type SettleResult = 'SETTLED' | 'ALREADY_PAID' | 'FINAL';

/**
 * Settles a REQUIRES_ACTION payment atomically: the payment's new fields, its pending-action marks
 * removed, and for a success the order's guard and the payments.succeeded outbox entry, for a
 * failure the payments.failed entry. A payment no longer REQUIRES_ACTION is left as it is ('FINAL':
 * the synchronous answer, another delivery or the job settled it). A success of an order paid by
 * another payment meanwhile is written without guard or event and marked as a pending refund
 * (DUPLICATE_CHARGE): 'ALREADY_PAID', and the caller refunds it.
 * KEYS: payment, orderPaid, outbox, orderAction, pendingActions, pendingRefunds
 * ARGV: status, paymentId, eventJson, then field/value pairs
 */
const SETTLE_SCRIPT = `
if redis.call('HGET', KEYS[1], 'status') ~= 'REQUIRES_ACTION' then return 'FINAL' end
local fields = {}
for i = 4, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('ZREM', KEYS[5], ARGV[2])
if redis.call('GET', KEYS[4]) == ARGV[2] then redis.call('DEL', KEYS[4]) end
if ARGV[1] == 'SUCCEEDED' and redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('HSET', KEYS[1], unpack(fields))
  redis.call('HSET', KEYS[6], ARGV[2], 'DUPLICATE_CHARGE')
  return 'ALREADY_PAID'
end
redis.call('HSET', KEYS[1], unpack(fields))
if ARGV[1] == 'SUCCEEDED' then redis.call('SET', KEYS[2], ARGV[2]) end
redis.call('XADD', KEYS[3], '*', 'paymentId', ARGV[2], 'status', ARGV[1], 'event', ARGV[3])
return 'SETTLED'
`;

/** How long a handled provider event is remembered (the provider retries for hours, not weeks). */
export const WEBHOOK_EVENT_TTL_SECONDS = 7 * 24 * 3600;

export interface ActionsRepositoryDeps {
  redis: Redis;
  /** Every key starts with it (REDIS_PREFIX); the same prefix as PaymentsRepository's. */
  prefix: string;
}

/**
 * Every Redis call of payments awaiting authentication and of provider events: the order's pending
 * action (`order:{id}:action`), the job's list (`actions:pending`), the settle script, and the ids of
 * events handled (`webhook:{sha256(id)}`). The keys are PaymentsRepository's (payments.keys.ts).
 */
export class ActionsRepository {
  private readonly redis: Redis;
  readonly keys: PaymentKeys;

  constructor(deps: ActionsRepositoryDeps) {
    this.redis = deps.redis;
    this.keys = paymentKeys(deps.prefix);
  }

  /** The order's payment awaiting authentication, if any. */
  async pendingActionOf(orderId: string): Promise<string | null> {
    const id = await this.redis.get(this.keys.orderAction(orderId));
    return id !== null && isPaymentId(id) ? id : null;
  }

  /** Payments awaiting authentication whose action expired by `nowMs`, oldest first. */
  async expiredActions(nowMs: number, count = 100): Promise<string[]> {
    const ids = await this.redis.zrangebyscore(this.keys.pendingActions(), '-inf', nowMs, 'LIMIT', 0, count);
    return ids.filter(isPaymentId);
  }

  /** Every payment still awaiting authentication (tests, operators). */
  async pendingActions(): Promise<string[]> {
    return (await this.redis.zrange(this.keys.pendingActions(), 0, -1)).filter(isPaymentId);
  }

  /** Drops a payment from the job's list (it is not REQUIRES_ACTION, or it vanished). */
  async dropPendingAction(paymentId: string): Promise<void> {
    await this.redis.zrem(this.keys.pendingActions(), paymentId);
  }

  /** Settles a REQUIRES_ACTION payment as `settled` (SETTLE_SCRIPT). */
  async settle(settled: PaymentModel, event: PaymentEvent): Promise<SettleResult> {
    const result = await this.redis.eval(
      SETTLE_SCRIPT,
      6,
      this.keys.payment(settled.id),
      this.keys.orderPaid(settled.orderId),
      this.keys.outbox(),
      this.keys.orderAction(settled.orderId),
      this.keys.pendingActions(),
      this.keys.pendingRefunds(),
      settled.status,
      settled.id,
      JSON.stringify(event),
      ...settleFields(settled),
    );
    return result as SettleResult;
  }

  /** Whether a provider event was handled already. */
  async eventHandled(eventId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.webhookEvent(eventId))) === 1;
  }

  /** Remembers a provider event as handled (only once its handling succeeded). */
  async markEventHandled(eventId: string): Promise<void> {
    await this.redis.set(this.keys.webhookEvent(eventId), '1', 'EX', WEBHOOK_EVENT_TTL_SECONDS);
  }
}

/** The fields settling changes: status, reason, charge and card (the rest stays as recorded). */
function settleFields(p: PaymentModel): string[] {
  const all = toHash(p);
  const keep = new Set(['status', 'failureReason', 'chargeId', 'brand', 'last4', 'expMonth', 'expYear']);
  const out: string[] = [];
  for (let i = 0; i + 1 < all.length; i += 2) if (keep.has(all[i]!)) out.push(all[i]!, all[i + 1]!);
  return out;
}
