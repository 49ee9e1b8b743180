import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { requireViewer, type Viewer } from '@shop/auth';
import { serviceUnavailable } from '@shop/errors';
import { isWellFormed } from '@shop/graphql';
import { isOrderId, ServiceUnavailableError, type PaymentEvent, type PayableReply } from '@shop/messaging';
import { requestFingerprint, validateCard, type CardInput, type ValidCard } from './card';
import type { PaymentModel, PayOrderResult, StoredCard, StoredOutcome } from './models';
import type { IdempotencyRecord } from './payments.repository';
import { refundLate, refundWhole } from './payments.refunds';
import type { PaymentsDeps } from './payments.service';
import { ProviderUnavailableError, type ChargeRequest, type ChargeResult } from './providers/provider';

export interface PayOrderInput {
  orderId: string;
  card: CardInput;
  idempotencyKey: string;
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
export async function payOrder(
  deps: PaymentsDeps,
  viewer: Viewer | null,
  input: PayOrderInput,
): Promise<PayOrderResult> {
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

  const fingerprint = requestFingerprint(input.orderId, check.card, deps.fingerprintSecret);
  const token = randomUUID();
  const deadline = Date.now() + deps.lockMs + 5_000;
  for (;;) {
    const existing = await deps.repository.claimIdempotency(
      user.id,
      key,
      { state: 'PENDING', fingerprint, token },
      deps.lockMs,
    );
    if (existing === null) break; // ours
    if (existing.fingerprint !== fingerprint) {
      return {
        __typename: 'PaymentIdempotencyKeyReusedError',
        message: 'This idempotency key was already used for another order or card',
        idempotencyKey: key,
      };
    }
    if (existing.state === 'DONE') return replay(deps, existing.outcome);
    if (Date.now() > deadline)
      throw serviceUnavailable('A payment with this idempotency key is still in progress; retry later');
    await sleep(deps.pollMs);
  }

  try {
    const result = await chargeOnce(deps, user.id, key, fingerprint, input.orderId, check.card);
    if (result.__typename !== 'PaymentSucceeded' && result.__typename !== 'CardDeclinedError') {
      await deps.repository.releaseIdempotency(user.id, key, token);
    }
    return result;
  } catch (error) {
    await deps.repository.releaseIdempotency(user.id, key, token).catch(() => undefined);
    throw error;
  }
}

/** Holds the order's charge lock around the payable check, the charge and the record. */
async function chargeOnce(
  deps: PaymentsDeps,
  userId: string,
  key: string,
  fingerprint: string,
  orderId: string,
  card: ValidCard,
): Promise<PayOrderResult> {
  const lockToken = randomUUID();
  const deadline = Date.now() + deps.lockMs + 5_000;
  while (!(await deps.repository.lockOrder(orderId, lockToken, deps.lockMs))) {
    if (Date.now() > deadline)
      throw serviceUnavailable('Another payment for this order is in progress; retry later');
    await sleep(deps.pollMs);
  }
  try {
    let reply: PayableReply;
    // orders' payment lease starts when it handles this request: it lasts at least until
    // askedAt + PAYMENT_LEASE_SECONDS, and the charge is over by askedAt + 20 s at most.
    const askedAt = Date.now();
    try {
      reply = await deps.orders.payable(orderId, userId);
    } catch (error) {
      if (error instanceof ServiceUnavailableError) {
        deps.log.warn({ orderId }, 'orders.payable did not answer');
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
    if (await deps.repository.paidPaymentId(orderId)) {
      return { __typename: 'OrderNotPayableError', message: 'The order is already paid', status: 'PAID' };
    }

    const paymentId = randomUUID();
    const chargeBy = askedAt + deps.ordersTimeoutMs + deps.providerTimeoutMs;
    let charge: ChargeResult;
    try {
      charge = await chargeWithin(
        deps,
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
        deps.log.warn(
          { orderId, paymentId, provider: deps.provider.name, reason: error.message },
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
    const recorded = await deps.repository.record(payment, event, {
      userId,
      key,
      record,
      ttlSeconds: deps.idempotencyTtlSeconds,
    });
    if (recorded === 'ALREADY_PAID' && charge.outcome === 'SUCCEEDED') {
      // Only possible when a lock expired mid-charge. The charge is written as a payment of the
      // order (no guard, no event) marked as a pending refund, refunded here and, should this
      // fail or the process die, by retryPendingRefunds: the same key, recorded once.
      deps.log.error({ orderId, paymentId }, 'order was paid concurrently; refunding the charge');
      await refundWhole(deps, payment, 'DUPLICATE_CHARGE');
      return { __typename: 'OrderNotPayableError', message: 'The order is already paid', status: 'PAID' };
    }
    deps.log.info(
      { orderId, paymentId, status: payment.status, brand: payment.card.brand },
      'payment recorded',
    );
    return charge.outcome === 'SUCCEEDED'
      ? { __typename: 'PaymentSucceeded', payment }
      : { __typename: 'CardDeclinedError', message: charge.message, reason: charge.reason, payment };
  } finally {
    await deps.repository.unlockOrder(orderId, lockToken).catch(() => undefined);
  }
}

/**
 * The provider's charge, aborted at `chargeBy` (ProviderUnavailableError): the charge lock and
 * orders' lease both outlast that moment. A provider that ignores the signal and succeeds later
 * has its charge refunded, since nobody will record it.
 */
async function chargeWithin(
  deps: PaymentsDeps,
  chargeBy: number,
  owner: { userId: string; card: StoredCard },
  request: Omit<ChargeRequest, 'signal'>,
): Promise<ChargeResult> {
  const waitMs = Math.min(deps.providerTimeoutMs, chargeBy - Date.now());
  if (waitMs <= 0) throw new ProviderUnavailableError('no time left to charge inside the payment lease');
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new ProviderUnavailableError(`the payment provider did not answer within ${waitMs} ms`));
    }, waitMs);
  });
  const charging = deps.provider.charge({ ...request, signal: controller.signal });
  try {
    return await Promise.race([charging, timedOut]);
  } finally {
    clearTimeout(timer);
    if (controller.signal.aborted) {
      charging.then(
        (late) => refundLate(deps, owner, request, late),
        () => undefined,
      );
    }
  }
}

/** The answer of a finished request, rebuilt from the stored payment. */
async function replay(deps: PaymentsDeps, outcome: StoredOutcome): Promise<PayOrderResult> {
  const [payment] = await deps.repository.paymentsByIds([outcome.paymentId]);
  if (!payment) throw new Error(`payment ${outcome.paymentId} of an idempotency record is missing`);
  return outcome.kind === 'SUCCEEDED'
    ? { __typename: 'PaymentSucceeded', payment }
    : { __typename: 'CardDeclinedError', message: outcome.message, reason: outcome.reason, payment };
}
