import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { canAccess, requireViewer, type Viewer } from '@shop/auth';
import { serviceUnavailable } from '@shop/errors';
import { isWellFormed, type Money } from '@shop/graphql';
import {
  isOrderId,
  isPaymentId,
  isUserId,
  ServiceUnavailableError,
  type PaymentEvent,
  type PaymentRefundedEvent,
  type PayableReply,
  type RefundReason,
} from '@shop/messaging';
import type { Logger } from '@shop/server';
import { requestFingerprint, validateCard, type CardInput, type ValidCard } from './card';
import { CHARGE_LOCK_MS } from './config';
import {
  effectiveStatus,
  type PaymentModel,
  type PayOrderResult,
  type RefundModel,
  type RefundOutcome,
  type StoredCard,
  type StoredOutcome,
} from './models';
import type { IdempotencyRecord, PaymentsRepository } from './payments.repository';
import {
  ProviderUnavailableError,
  RefundRefusedError,
  type ChargeRequest,
  type ChargeResult,
  type PaymentProvider,
} from './providers/provider';

/**
 * The orders subgraph as payments needs it (over NATS: `ordersClient` in messaging.ts). `payable`
 * throws ServiceUnavailableError when orders does not answer.
 */
export interface OrdersClient {
  /** Whether this user may pay the order, and for how much. */
  payable(orderId: string, userId: string): Promise<PayableReply>;
}

export interface PayOrderInput {
  orderId: string;
  card: CardInput;
  idempotencyKey: string;
}

/** A request to give back (part of) a payment: from orders.refund_requested, or internal. */
export interface RefundPaymentInput {
  paymentId: string;
  /** When given, the payment must be of this order and this user (else refused). */
  orderId?: string;
  userId?: string;
  amount: Money;
  reason: RefundReason;
}

/** The processor's idempotency key of the refund of one payment for one reason. */
export const refundKey = (paymentId: string, reason: RefundReason) => `refund:${paymentId}:${reason}`;

export interface PaymentsServiceDeps {
  repository: PaymentsRepository;
  provider: PaymentProvider;
  orders: OrdersClient;
  log: Logger;
  fingerprintSecret: string;
  idempotencyTtlSeconds: number;
  /** How long an in-progress key (and an order's charge lock) is held at most (CHARGE_LOCK_MS). */
  lockMs?: number;
  /** How long orders.payable may take (ORDERS_TIMEOUT_MS; the client enforces it). */
  ordersTimeoutMs?: number;
  /** How long the provider may take before the charge is aborted (PROVIDER_TIMEOUT_MS). */
  providerTimeoutMs?: number;
  /** How often a request waiting on another one's key looks again. */
  pollMs?: number;
}

/**
 * The rules of paying. The order of steps matters:
 * 1. validate the card (a bad card never reaches orders, the provider or Redis);
 * 2. take the idempotency key (or wait for its holder's answer; another input is refused);
 * 3. take the order's charge lock; 4. ask orders whether this user may pay it and how much;
 * 5. check the order is not paid already (our own guard); 6. charge; 7. record everything
 *    atomically (payment, guard, outbox event, idempotency result).
 * Steps that end without a charge release the key, so a retry runs again.
 *
 * Before all of them: the order id must be the one form orders issues (`isOrderId`). Any other
 * spelling of it is "not found" and reaches no lock, guard, index, provider or NATS subject, since
 * they are all keyed on the string (finding 1 of issue 16: case variants charged one order 3 times).
 *
 * The charge happens inside orders' payment lease: payable is asked under the charge lock, and the
 * charge must be over by askedAt + ordersTimeoutMs + providerTimeoutMs (at most 20 s, the lease is
 * 120 s by default); a provider that takes longer is aborted, its late success refunded.
 */
export class PaymentsService {
  private readonly lockMs: number;
  private readonly pollMs: number;
  private readonly ordersTimeoutMs: number;
  private readonly providerTimeoutMs: number;

  constructor(private readonly o: PaymentsServiceDeps) {
    this.lockMs = o.lockMs ?? CHARGE_LOCK_MS;
    this.pollMs = o.pollMs ?? 25;
    this.ordersTimeoutMs = o.ordersTimeoutMs ?? 3_000;
    this.providerTimeoutMs = o.providerTimeoutMs ?? 10_000;
  }

  async payOrder(viewer: Viewer | null, input: PayOrderInput): Promise<PayOrderResult> {
    const user = requireViewer(viewer);
    // First of all: only the issued form of an order id names an order here.
    if (!isOrderId(input.orderId)) {
      return { __typename: 'PaymentOrderNotFoundError', message: 'No such order', orderId: input.orderId };
    }
    const key = input.idempotencyKey.trim();
    if (key.length === 0 || key.length > 128) {
      return {
        __typename: 'InvalidInputError',
        message: 'idempotencyKey must be 1 to 128 characters',
        field: 'idempotencyKey',
      };
    }
    // Redis would store an unpaired surrogate as U+FFFD, so two different keys could collide.
    if (!isWellFormed(key)) {
      return {
        __typename: 'InvalidInputError',
        message: 'idempotencyKey must be well-formed Unicode text',
        field: 'idempotencyKey',
      };
    }
    const check = validateCard(input.card);
    if (!check.ok)
      return {
        __typename: 'InvalidCardError',
        message: check.message,
        field: check.field,
        reason: check.reason,
      };

    const fingerprint = requestFingerprint(input.orderId, check.card, this.o.fingerprintSecret);
    const token = randomUUID();
    const deadline = Date.now() + this.lockMs + 5_000;
    for (;;) {
      const existing = await this.o.repository.claimIdempotency(
        user.id,
        key,
        { state: 'PENDING', fingerprint, token },
        this.lockMs,
      );
      if (existing === null) break; // ours
      if (existing.fingerprint !== fingerprint) {
        return {
          __typename: 'PaymentIdempotencyKeyReusedError',
          message: 'This idempotency key was already used for another order or card',
          idempotencyKey: key,
        };
      }
      if (existing.state === 'DONE') return this.replay(existing.outcome);
      if (Date.now() > deadline)
        throw serviceUnavailable('A payment with this idempotency key is still in progress; retry later');
      await sleep(this.pollMs);
    }

    try {
      const result = await this.chargeOnce(user.id, key, fingerprint, input.orderId, check.card);
      if (result.__typename !== 'PaymentSucceeded' && result.__typename !== 'CardDeclinedError') {
        await this.o.repository.releaseIdempotency(user.id, key, token);
      }
      return result;
    } catch (error) {
      await this.o.repository.releaseIdempotency(user.id, key, token).catch(() => undefined);
      throw error;
    }
  }

  /** Holds the order's charge lock around the payable check, the charge and the record. */
  private async chargeOnce(
    userId: string,
    key: string,
    fingerprint: string,
    orderId: string,
    card: ValidCard,
  ): Promise<PayOrderResult> {
    const lockToken = randomUUID();
    const deadline = Date.now() + this.lockMs + 5_000;
    while (!(await this.o.repository.lockOrder(orderId, lockToken, this.lockMs))) {
      if (Date.now() > deadline)
        throw serviceUnavailable('Another payment for this order is in progress; retry later');
      await sleep(this.pollMs);
    }
    try {
      let reply: PayableReply;
      // orders' payment lease starts when it handles this request: it lasts at least until
      // askedAt + PAYMENT_LEASE_SECONDS, and the charge is over by askedAt + 20 s at most.
      const askedAt = Date.now();
      try {
        reply = await this.o.orders.payable(orderId, userId);
      } catch (error) {
        if (error instanceof ServiceUnavailableError) {
          this.o.log.warn({ orderId }, 'orders.payable did not answer');
          return {
            __typename: 'OrderServiceUnavailableError',
            message: 'The orders service did not answer; nothing was charged, retry later',
          };
        }
        throw error;
      }
      if (!reply.ok) {
        if (reply.code === 'NOT_PAYABLE') {
          const status = reply.status ?? 'UNKNOWN';
          return {
            __typename: 'OrderNotPayableError',
            message: `The order cannot be paid (status ${status})`,
            status,
          };
        }
        return { __typename: 'PaymentOrderNotFoundError', message: 'No such order', orderId };
      }
      // Orders may not have seen our payment event yet; the guard knows at once.
      if (await this.o.repository.paidPaymentId(orderId)) {
        return { __typename: 'OrderNotPayableError', message: 'The order is already paid', status: 'PAID' };
      }

      const paymentId = randomUUID();
      const chargeBy = askedAt + this.ordersTimeoutMs + this.providerTimeoutMs;
      let charge: ChargeResult;
      try {
        charge = await this.chargeWithin(
          chargeBy,
          { userId: reply.userId, card: card.stored },
          {
            paymentId,
            orderId,
            amount: reply.amount,
            card: {
              number: card.number,
              expMonth: card.stored.expMonth,
              expYear: card.stored.expYear,
              cvc: card.cvc,
              holderName: card.holderName,
            },
            description: `Order ${orderId}`,
          },
        );
      } catch (error) {
        if (error instanceof ProviderUnavailableError) {
          this.o.log.warn(
            { orderId, paymentId, provider: this.o.provider.name, reason: error.message },
            'payment provider unavailable',
          );
          return {
            __typename: 'PaymentProviderUnavailableError',
            message: 'The payment provider is unavailable; nothing was charged, retry later',
          };
        }
        throw error;
      }

      const payment: PaymentModel = {
        id: paymentId,
        orderId,
        userId: reply.userId,
        amount: reply.amount,
        status: charge.outcome === 'SUCCEEDED' ? 'SUCCEEDED' : 'FAILED',
        card: card.stored,
        failureReason: charge.outcome === 'DECLINED' ? charge.reason : null,
        createdAt: new Date(),
        chargeId: charge.outcome === 'SUCCEEDED' ? charge.chargeId : null,
        refundedAmount: 0,
      };
      const outcome: StoredOutcome =
        charge.outcome === 'SUCCEEDED'
          ? { kind: 'SUCCEEDED', paymentId }
          : { kind: 'DECLINED', paymentId, reason: charge.reason, message: charge.message };
      const event: PaymentEvent = {
        eventId: paymentId,
        paymentId,
        orderId,
        userId: payment.userId,
        amount: payment.amount,
        status: payment.status,
        failureReason: payment.failureReason,
        occurredAt: payment.createdAt.toISOString(),
      };
      const record: IdempotencyRecord = { state: 'DONE', fingerprint, outcome };
      const recorded = await this.o.repository.record(payment, event, {
        userId,
        key,
        record,
        ttlSeconds: this.o.idempotencyTtlSeconds,
      });
      if (recorded === 'ALREADY_PAID' && charge.outcome === 'SUCCEEDED') {
        // Only possible when a lock expired mid-charge. The charge is written as a payment of the
        // order (no guard, no event) marked as a pending refund, refunded here and, should this
        // fail or the process die, by retryPendingRefunds: the same key, recorded once.
        this.o.log.error({ orderId, paymentId }, 'order was paid concurrently; refunding the charge');
        await this.refundWhole(payment, 'DUPLICATE_CHARGE');
        return { __typename: 'OrderNotPayableError', message: 'The order is already paid', status: 'PAID' };
      }
      this.o.log.info(
        { orderId, paymentId, status: payment.status, brand: payment.card.brand },
        'payment recorded',
      );
      return charge.outcome === 'SUCCEEDED'
        ? { __typename: 'PaymentSucceeded', payment }
        : { __typename: 'CardDeclinedError', message: charge.message, reason: charge.reason, payment };
    } finally {
      await this.o.repository.unlockOrder(orderId, lockToken).catch(() => undefined);
    }
  }

  /**
   * The provider's charge, aborted at `chargeBy` (ProviderUnavailableError): the charge lock and
   * orders' lease both outlast that moment. A provider that ignores the signal and succeeds later
   * has its charge refunded, since nobody will record it.
   */
  private async chargeWithin(
    chargeBy: number,
    owner: { userId: string; card: StoredCard },
    request: Omit<ChargeRequest, 'signal'>,
  ): Promise<ChargeResult> {
    const waitMs = Math.min(this.providerTimeoutMs, chargeBy - Date.now());
    if (waitMs <= 0) throw new ProviderUnavailableError('no time left to charge inside the payment lease');
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new ProviderUnavailableError(`the payment provider did not answer within ${waitMs} ms`));
      }, waitMs);
    });
    const charging = this.o.provider.charge({ ...request, signal: controller.signal });
    try {
      return await Promise.race([charging, timedOut]);
    } finally {
      clearTimeout(timer);
      if (controller.signal.aborted) {
        charging.then(
          (late) => this.refundLate(owner, request, late),
          () => undefined,
        );
      }
    }
  }

  /**
   * A charge that completed after its timeout paid nothing (the client was told nothing was
   * charged): it is written as a payment of its order without guard or event, and refunded in full
   * (reason DUPLICATE_CHARGE: a charge no order is paid with), recorded like any refund.
   */
  private async refundLate(
    owner: { userId: string; card: StoredCard },
    request: Omit<ChargeRequest, 'signal'>,
    late: ChargeResult,
  ): Promise<void> {
    if (late.outcome !== 'SUCCEEDED') return;
    const at = { orderId: request.orderId, paymentId: request.paymentId, chargeId: late.chargeId };
    try {
      const [asked] = await this.o.repository.paymentsByIds([request.paymentId]);
      const payment: PaymentModel = asked ?? {
        id: request.paymentId,
        orderId: request.orderId,
        userId: owner.userId,
        amount: request.amount,
        status: 'SUCCEEDED',
        card: owner.card,
        failureReason: null,
        createdAt: new Date(),
        chargeId: late.chargeId,
        refundedAmount: 0,
      };
      if (!asked) await this.o.repository.recordUnpaidCharge(payment, 'DUPLICATE_CHARGE');
      const outcome = await this.refundWhole(payment, 'DUPLICATE_CHARGE');
      if (outcome) this.o.log.error(at, 'a charge completed after its timeout; refunded');
    } catch (error) {
      this.o.log.error(
        { ...at, err: error },
        'a charge completed after its timeout and could not be refunded',
      );
    }
  }

  /**
   * The refunds payments owes by itself (charges that paid nothing, marked pending atomically with
   * their payment) that are not recorded yet: a crash or a processor outage after the charge left
   * them. Run by a job (PENDING_REFUND_INTERVAL_MS); each is the same (payment, reason) refund, so
   * the money moves once. Answers how many are still pending.
   */
  async retryPendingRefunds(): Promise<number> {
    let left = 0;
    for (const { paymentId, reason } of await this.o.repository.pendingRefunds()) {
      const [payment] = await this.o.repository.paymentsByIds([paymentId]);
      if (!payment) {
        await this.o.repository.dropPendingRefund(paymentId);
        continue;
      }
      if (!(await this.refundWhole(payment, reason, 1))) left += 1;
    }
    return left;
  }

  /**
   * Refunds what is left of a payment the service itself found unpaid-for, retrying an unavailable
   * processor a few times (the pending mark makes retryPendingRefunds try again later). A refusal is
   * final: the pending mark is dropped and the refusal logged as an error for an operator. Answers
   * the outcome, or null when the processor could not be reached.
   */
  private async refundWhole(
    payment: PaymentModel,
    reason: RefundReason,
    attempts = 3,
  ): Promise<RefundOutcome | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        const outcome = await this.refund({
          paymentId: payment.id,
          amount: {
            amount: payment.amount.amount - payment.refundedAmount,
            currency: payment.amount.currency,
          },
          reason,
        });
        if (outcome.kind === 'ALREADY_REFUNDED') await this.o.repository.dropPendingRefund(payment.id);
        if (outcome.kind === 'REFUSED') {
          await this.o.repository.dropPendingRefund(payment.id);
          this.o.log.error(
            { paymentId: payment.id, reason, why: outcome.message },
            'internal refund refused',
          );
        }
        return outcome;
      } catch (error) {
        if (!(error instanceof ProviderUnavailableError) || attempt >= attempts) {
          this.o.log.error({ paymentId: payment.id, err: error }, 'internal refund failed');
          return null;
        }
        await sleep(200 * attempt);
      }
    }
  }

  /**
   * Gives back `amount` of a payment, at most once per (payment, reason) whatever the deliveries, and
   * never more than what is left of it. The order of steps:
   * 1. ids in their issued form only (else refused, no Redis key built from them);
   * 2. a refund already recorded for (payment, reason) is the answer (nothing moves);
   * 3. the payment must exist, belong to the order and user asked for, have succeeded with a
   *    processor charge id, be in that currency, and have at least `amount` left to refund;
   * 4. the processor refunds with the key `refund:<paymentId>:<reason>` (a redelivery after a crash
   *    between the processor and Redis gets the same refund back: the money moves once);
   * 5. the refund and its payments.refunded outbox entry are written in one script.
   * A processor that is down throws ProviderUnavailableError (the consumer naks and retries); every
   * refusal is an outcome, logged, not retried.
   */
  async refund(input: RefundPaymentInput): Promise<RefundOutcome> {
    const refuse = (message: string): RefundOutcome => {
      this.o.log.warn(
        { paymentId: input.paymentId, reason: input.reason, amount: input.amount, why: message },
        'refund refused',
      );
      return { kind: 'REFUSED', message };
    };
    if (!isPaymentId(input.paymentId)) return refuse('no such payment');
    if (input.orderId !== undefined && !isOrderId(input.orderId)) return refuse('no such order');
    if (input.userId !== undefined && !isUserId(input.userId)) return refuse('no such user');

    const existing = await this.o.repository.refundFor(input.paymentId, input.reason);
    if (existing) return { kind: 'ALREADY_REFUNDED', refund: existing };

    const [payment] = await this.o.repository.paymentsByIds([input.paymentId]);
    if (!payment) return refuse('no such payment');
    if (input.orderId !== undefined && payment.orderId !== input.orderId)
      return refuse('the payment is not of this order');
    if (input.userId !== undefined && payment.userId !== input.userId)
      return refuse('the payment is not of this user');
    if (payment.status !== 'SUCCEEDED' || !payment.chargeId) return refuse('the payment charged nothing');
    if (input.amount.currency !== payment.amount.currency) return refuse('another currency than the payment');
    if (!Number.isSafeInteger(input.amount.amount) || input.amount.amount <= 0)
      return refuse('the amount must be a positive number of minor units');
    const left = payment.amount.amount - payment.refundedAmount;
    if (input.amount.amount > left) return refuse(`more than what is left to refund (${left})`);

    let providerRefundId: string;
    try {
      ({ refundId: providerRefundId } = await this.o.provider.refund({
        paymentId: payment.id,
        chargeId: payment.chargeId,
        amount: input.amount,
        idempotencyKey: refundKey(payment.id, input.reason),
      }));
    } catch (error) {
      if (error instanceof RefundRefusedError) return refuse(`the processor refused: ${error.message}`);
      if (error instanceof ProviderUnavailableError)
        this.o.log.warn(
          { paymentId: payment.id, reason: input.reason },
          'payment provider unavailable for a refund',
        );
      throw error;
    }

    const refund: RefundModel = {
      id: randomUUID(),
      paymentId: payment.id,
      amount: input.amount,
      reason: input.reason,
      providerRefundId,
      createdAt: new Date(),
    };
    const event: PaymentRefundedEvent = {
      eventId: refund.id,
      refundId: refund.id,
      paymentId: payment.id,
      orderId: payment.orderId,
      userId: payment.userId,
      amount: refund.amount,
      reason: refund.reason,
      refundedAt: refund.createdAt.toISOString(),
    };
    const recorded = await this.o.repository.recordRefund(refund, event);
    if (recorded.kind === 'EXISTS') return { kind: 'ALREADY_REFUNDED', refund: recorded.refund };
    if (recorded.kind !== 'RECORDED') {
      // The processor refunded what Redis says is not there to refund: an operator must look.
      this.o.log.error(
        { paymentId: payment.id, reason: input.reason, providerRefundId, recorded: recorded.kind },
        'refund made by the processor could not be recorded',
      );
      return { kind: 'REFUSED', message: `refund not recorded: ${recorded.kind}` };
    }
    this.o.log.info(
      { paymentId: payment.id, orderId: payment.orderId, refundId: refund.id, reason: refund.reason },
      'refund recorded',
    );
    return { kind: 'REFUNDED', refund };
  }

  /** The refunds of payments the viewer already may see (resolved through paymentsFor). */
  async refundsOf(paymentIds: readonly string[]): Promise<RefundModel[][]> {
    const canonical = paymentIds.filter(isPaymentId);
    const found = new Map<string, RefundModel[]>();
    if (canonical.length > 0) {
      const lists = await this.o.repository.refundsOf(canonical);
      canonical.forEach((id, i) => found.set(id, lists[i] ?? []));
    }
    return paymentIds.map((id) => found.get(id) ?? []);
  }

  /** The answer of a finished request, rebuilt from the stored payment. */
  private async replay(outcome: StoredOutcome): Promise<PayOrderResult> {
    const [payment] = await this.o.repository.paymentsByIds([outcome.paymentId]);
    if (!payment) throw new Error(`payment ${outcome.paymentId} of an idempotency record is missing`);
    return outcome.kind === 'SUCCEEDED'
      ? { __typename: 'PaymentSucceeded', payment }
      : { __typename: 'CardDeclinedError', message: outcome.message, reason: outcome.reason, payment };
  }

  /** Payments as entities, by id: null where missing or not the viewer's (unless an admin). */
  async paymentsFor(viewer: Viewer | null, ids: readonly string[]): Promise<(PaymentModel | null)[]> {
    // Only the issued form names a payment; other ids are null without a Redis call.
    const canonical = ids.filter(isPaymentId);
    const found = new Map<string, PaymentModel | null>();
    if (canonical.length > 0) {
      const payments = await this.o.repository.paymentsByIds(canonical);
      canonical.forEach((id, i) => found.set(id, payments[i] ?? null));
    }
    return ids.map((id) => {
      const p = found.get(id);
      return p && canAccess(viewer, p.userId) ? p : null;
    });
  }

  /**
   * The payment shown on each order: its success, else its latest failure, else null; only the
   * viewer's own payments count (an admin sees every one).
   */
  async paymentsOfOrders(
    viewer: Viewer | null,
    orderIds: readonly string[],
  ): Promise<(PaymentModel | null)[]> {
    // A variant of an order id has no payments (they are keyed on the issued form); no Redis call.
    const canonical = orderIds.filter(isOrderId);
    const found = new Map<string, PaymentModel[]>();
    if (canonical.length > 0) {
      const perOrder = await this.o.repository.paymentsByOrders(canonical);
      canonical.forEach((id, i) => found.set(id, perOrder[i] ?? []));
    }
    return orderIds.map((id) => {
      const visible = (found.get(id) ?? []).filter((p) => canAccess(viewer, p.userId));
      // The charge that stands (not fully refunded), else a refunded one, else the latest failure.
      return (
        visible.find((p) => p.status === 'SUCCEEDED' && effectiveStatus(p) !== 'REFUNDED') ??
        visible.find((p) => p.status === 'SUCCEEDED') ??
        visible.at(-1) ??
        null
      );
    });
  }
}
