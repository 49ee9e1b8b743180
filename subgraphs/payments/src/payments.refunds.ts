import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Money } from '@shop/graphql';
import {
  isOrderId,
  isPaymentId,
  isUserId,
  type PaymentRefundedEvent,
  type RefundReason,
} from '@shop/messaging';
import type { PaymentModel, RefundModel, RefundOutcome } from './models';
import type { PaymentsDeps } from './payments.service';
import {
  ProviderUnavailableError,
  RefundRefusedError,
  type ChargeRequest,
  type ChargeResult,
} from './providers/provider';

/**
 * Refunds: `refund` (orders.refund_requested and the service's own), the refunds payments owes by
 * itself for charges that paid nothing (a late charge, a second charge of a paid order) and their
 * retry job, and the refunds shown on a payment. Redis through RefundsRepository.
 */

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

/**
 * A charge that completed after its timeout paid nothing (the client was told nothing was
 * charged): it is written as a payment of its order without guard or event, and refunded in full
 * (reason DUPLICATE_CHARGE: a charge no order is paid with), recorded like any refund.
 */
export async function refundLate(
  deps: PaymentsDeps,
  owner: { userId: string },
  request: Omit<ChargeRequest, 'signal'>,
  late: ChargeResult,
): Promise<void> {
  if (late.outcome === 'REQUIRES_ACTION') {
    // Nobody will show the customer this challenge: give the charge up (its webhook changes nothing).
    await deps.provider.cancelCharge(late.chargeId).catch((error: unknown) => {
      deps.log.warn(
        { paymentId: request.paymentId, err: error },
        'a late charge awaiting action could not be cancelled',
      );
    });
    return;
  }
  if (late.outcome !== 'SUCCEEDED') return;
  const at = { orderId: request.orderId, paymentId: request.paymentId, chargeId: late.chargeId };
  try {
    const [asked] = await deps.repository.paymentsByIds([request.paymentId]);
    let payment: PaymentModel = asked ?? {
      id: request.paymentId,
      orderId: request.orderId,
      userId: owner.userId,
      amount: request.amount,
      status: 'SUCCEEDED',
      card: late.card,
      failureReason: null,
      createdAt: new Date(),
      chargeId: late.chargeId,
      refundedAmount: 0,
      action: null,
    };
    if (!asked && !(await deps.refunds.recordUnpaidCharge(payment, 'DUPLICATE_CHARGE'))) {
      // its webhook recorded it first
      const [written] = await deps.repository.paymentsByIds([request.paymentId]);
      if (written) payment = written;
    }
    const outcome = await refundWhole(deps, payment, 'DUPLICATE_CHARGE');
    if (outcome) deps.log.error(at, 'a charge completed after its timeout; refunded');
  } catch (error) {
    deps.log.error({ ...at, err: error }, 'a charge completed after its timeout and could not be refunded');
  }
}

/**
 * The refunds payments owes by itself (charges that paid nothing, marked pending atomically with
 * their payment) that are not recorded yet: a crash or a processor outage after the charge left
 * them. Run by a job (PENDING_REFUND_INTERVAL_MS); each is the same (payment, reason) refund, so
 * the money moves once. Answers how many are still pending.
 */
export async function retryPendingRefunds(deps: PaymentsDeps): Promise<number> {
  let left = 0;
  for (const { paymentId, reason } of await deps.refunds.pendingRefunds()) {
    const [payment] = await deps.repository.paymentsByIds([paymentId]);
    if (!payment) {
      await deps.refunds.dropPendingRefund(paymentId);
      continue;
    }
    if (!(await refundWhole(deps, payment, reason, 1))) left += 1;
  }
  return left;
}

/**
 * Refunds what is left of a payment the service itself found unpaid-for, retrying an unavailable
 * processor a few times (the pending mark makes retryPendingRefunds try again later). A refusal is
 * final: the pending mark is dropped and the refusal logged as an error for an operator. Answers
 * the outcome, or null when the processor could not be reached.
 */
export async function refundWhole(
  deps: PaymentsDeps,
  payment: PaymentModel,
  reason: RefundReason,
  attempts = 3,
): Promise<RefundOutcome | null> {
  for (let attempt = 1; ; attempt++) {
    try {
      const outcome = await refund(deps, {
        paymentId: payment.id,
        amount: {
          amount: payment.amount.amount - payment.refundedAmount,
          currency: payment.amount.currency,
        },
        reason,
      });
      if (outcome.kind === 'ALREADY_REFUNDED') await deps.refunds.dropPendingRefund(payment.id);
      if (outcome.kind === 'REFUSED') {
        await deps.refunds.dropPendingRefund(payment.id);
        deps.log.error({ paymentId: payment.id, reason, why: outcome.message }, 'internal refund refused');
      }
      return outcome;
    } catch (error) {
      if (!(error instanceof ProviderUnavailableError) || attempt >= attempts) {
        deps.log.error({ paymentId: payment.id, err: error }, 'internal refund failed');
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
export async function refund(deps: PaymentsDeps, input: RefundPaymentInput): Promise<RefundOutcome> {
  const refuse = (message: string): RefundOutcome => {
    deps.log.warn(
      { paymentId: input.paymentId, reason: input.reason, amount: input.amount, why: message },
      'refund refused',
    );
    return { kind: 'REFUSED', message };
  };
  if (!isPaymentId(input.paymentId)) return refuse('no such payment');
  if (input.orderId !== undefined && !isOrderId(input.orderId)) return refuse('no such order');
  if (input.userId !== undefined && !isUserId(input.userId)) return refuse('no such user');

  const existing = await deps.refunds.refundFor(input.paymentId, input.reason);
  if (existing) return { kind: 'ALREADY_REFUNDED', refund: existing };

  const [payment] = await deps.repository.paymentsByIds([input.paymentId]);
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
  if (input.amount.amount > left) {
    // A concurrent delivery of this very refund may have been recorded between the two reads.
    const recorded = await deps.refunds.refundFor(input.paymentId, input.reason);
    if (recorded) return { kind: 'ALREADY_REFUNDED', refund: recorded };
    return refuse(`more than what is left to refund (${left})`);
  }

  let providerRefundId: string;
  try {
    ({ refundId: providerRefundId } = await deps.provider.refund({
      paymentId: payment.id,
      chargeId: payment.chargeId,
      amount: input.amount,
      idempotencyKey: refundKey(payment.id, input.reason),
    }));
  } catch (error) {
    if (error instanceof RefundRefusedError) return refuse(`the processor refused: ${error.message}`);
    if (error instanceof ProviderUnavailableError)
      deps.log.warn(
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
  const recorded = await deps.refunds.recordRefund(refund, event);
  if (recorded.kind === 'EXISTS') return { kind: 'ALREADY_REFUNDED', refund: recorded.refund };
  if (recorded.kind !== 'RECORDED') {
    // The processor refunded what Redis says is not there to refund: an operator must look.
    deps.log.error(
      { paymentId: payment.id, reason: input.reason, providerRefundId, recorded: recorded.kind },
      'refund made by the processor could not be recorded',
    );
    return { kind: 'REFUSED', message: `refund not recorded: ${recorded.kind}` };
  }
  deps.log.info(
    { paymentId: payment.id, orderId: payment.orderId, refundId: refund.id, reason: refund.reason },
    'refund recorded',
  );
  return { kind: 'REFUNDED', refund };
}

/** The refunds of payments the viewer already may see (resolved through paymentsFor). */
export async function refundsOf(deps: PaymentsDeps, paymentIds: readonly string[]): Promise<RefundModel[][]> {
  const canonical = paymentIds.filter(isPaymentId);
  const found = new Map<string, RefundModel[]>();
  if (canonical.length > 0) {
    const lists = await deps.refunds.refundsOf(canonical);
    canonical.forEach((id, i) => found.set(id, lists[i] ?? []));
  }
  return paymentIds.map((id) => found.get(id) ?? []);
}
