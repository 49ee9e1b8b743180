import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { canAccess, requireViewer, type Viewer } from '@shop/auth';
import { serviceUnavailable } from '@shop/errors';
import { isWellFormed } from '@shop/graphql';
import { ServiceUnavailableError, type PaymentEvent, type PayableReply } from '@shop/messaging';
import type { Logger } from '@shop/server';
import { requestFingerprint, validateCard, type CardInput, type ValidCard } from './card';
import type { PaymentModel, PayOrderResult, StoredOutcome } from './models';
import type { IdempotencyRecord, PaymentsRepository } from './payments.repository';
import { ProviderUnavailableError, type PaymentProvider } from './providers/provider';

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

export interface PaymentsServiceDeps {
  repository: PaymentsRepository;
  provider: PaymentProvider;
  orders: OrdersClient;
  log: Logger;
  fingerprintSecret: string;
  idempotencyTtlSeconds: number;
  /** How long an in-progress key (and an order's charge lock) is held at most. */
  lockMs?: number;
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
 */
export class PaymentsService {
  private readonly lockMs: number;
  private readonly pollMs: number;

  constructor(private readonly o: PaymentsServiceDeps) {
    this.lockMs = o.lockMs ?? 30_000;
    this.pollMs = o.pollMs ?? 25;
  }

  async payOrder(viewer: Viewer | null, input: PayOrderInput): Promise<PayOrderResult> {
    const user = requireViewer(viewer);
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
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(input.orderId)) {
      return { __typename: 'PaymentOrderNotFoundError', message: 'No such order', orderId: input.orderId };
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
      let charge;
      try {
        charge = await this.o.provider.charge({
          paymentId,
          amount: reply.amount,
          card: {
            number: card.number,
            expMonth: card.stored.expMonth,
            expYear: card.stored.expYear,
            cvc: card.cvc,
            holderName: card.holderName,
          },
          description: `Order ${orderId}`,
        });
      } catch (error) {
        if (error instanceof ProviderUnavailableError) {
          this.o.log.warn({ orderId, provider: this.o.provider.name }, 'payment provider unavailable');
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
        // Only possible when a lock expired mid-charge: give the money back.
        await this.o.provider.refund(charge.chargeId);
        this.o.log.error({ orderId, paymentId }, 'order was paid concurrently; charge refunded');
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
    const payments = await this.o.repository.paymentsByIds(ids);
    return payments.map((p) => (p && canAccess(viewer, p.userId) ? p : null));
  }

  /**
   * The payment shown on each order: its success, else its latest failure, else null; only the
   * viewer's own payments count (an admin sees every one).
   */
  async paymentsOfOrders(
    viewer: Viewer | null,
    orderIds: readonly string[],
  ): Promise<(PaymentModel | null)[]> {
    const perOrder = await this.o.repository.paymentsByOrders(orderIds);
    return perOrder.map((payments) => {
      const visible = payments.filter((p) => canAccess(viewer, p.userId));
      return visible.find((p) => p.status === 'SUCCEEDED') ?? visible.at(-1) ?? null;
    });
  }
}
