import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { requireViewer, type Viewer } from '@shop/auth';
import { serviceUnavailable } from '@shop/errors';
import { isWellFormed } from '@shop/graphql';
import { isOrderId, ServiceUnavailableError, type PaymentEvent, type PayableReply } from '@shop/messaging';
import type { PaymentModel, PayOrderResult, StoredOutcome } from './models';
import { cancelPendingAction, UNKNOWN_CARD, withOrderLock } from './payments.actions';
import type { IdempotencyRecord } from './payments.repository';
import { refundLate, refundWhole } from './payments.refunds';
import type { PaymentsDeps } from './payments.service';
import { ProviderUnavailableError, type ChargeRequest, type ChargeResult } from './providers/provider';

export interface PayOrderInput {
  orderId: string;
  /** The provider's single-use payment method token (tok_… from the test PSP, pm_… from Stripe). */
  paymentMethodToken: string;
  idempotencyKey: string;
}

/** A token as payments accepts it: 1-255 printable ASCII characters, no spaces (no provider issues others). */
const TOKEN_SHAPE = /^[\x21-\x7e]{1,255}$/;

/**
 * What an idempotency key is bound to: the order and the token (the card never reaches payments).
 * A token is a provider's opaque, single-use, short-lived id; its hash says nothing about a card.
 */
export function requestFingerprint(orderId: string, paymentMethodToken: string): string {
  return createHash('sha256').update(`${orderId}\n${paymentMethodToken}`).digest('hex');
}

/**
 * The rules of paying. The order of steps matters:
 * 1. check the token's shape (a malformed one never reaches orders, the provider or Redis);
 * 2. take the idempotency key (or wait for its holder's answer; another input is refused);
 * 3. take the order's charge lock; 4. ask orders whether this user may pay it and how much;
 * 5. settle a payment of the order still awaiting authentication (cancelled at the provider, or
 *    found succeeded: the order is paid) and check the order is not paid already (our own guard);
 * 6. charge; 7. record everything atomically (payment, guard, outbox event, idempotency result; for
 *    a charge awaiting authentication the payment and its pending-action marks, no guard, no event).
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
  const paymentMethod = input.paymentMethodToken;
  if (!TOKEN_SHAPE.test(paymentMethod)) {
    return {
      __typename: 'InvalidInputError',
      message: 'paymentMethodToken must be 1 to 255 printable ASCII characters without spaces',
      field: 'paymentMethodToken',
    };
  }

  const fingerprint = requestFingerprint(input.orderId, paymentMethod);
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
        message: 'This idempotency key was already used for another order or payment method',
        idempotencyKey: key,
      };
    }
    if (existing.state === 'DONE') return replay(deps, existing.outcome);
    if (Date.now() > deadline)
      throw serviceUnavailable('A payment with this idempotency key is still in progress; retry later');
    await sleep(deps.pollMs);
  }

  try {
    const result = await chargeOnce(deps, user.id, key, fingerprint, input.orderId, paymentMethod);
    if (
      result.__typename !== 'PaymentSucceeded' &&
      result.__typename !== 'CardDeclinedError' &&
      result.__typename !== 'PaymentRequiresAction'
    ) {
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
  paymentMethod: string,
): Promise<PayOrderResult> {
  return withOrderLock(deps, orderId, async () => {
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
    // A payment still awaiting authentication is given up first (the customer pays again,
    // perhaps with another card); if the customer completed it meanwhile, the order is paid.
    try {
      await cancelPendingAction(deps, orderId);
    } catch (error) {
      if (!(error instanceof ProviderUnavailableError)) throw error;
      deps.log.warn({ orderId, reason: error.message }, 'could not cancel the pending charge');
      return {
        __typename: 'PaymentProviderUnavailableError',
        message: 'The payment provider is unavailable; nothing was charged, retry later',
      };
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
        { userId: reply.userId },
        { paymentId, orderId, amount: reply.amount, paymentMethod, description: `Order ${orderId}` },
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

    if (charge.outcome === 'INVALID_PAYMENT_METHOD') {
      deps.log.info({ orderId, paymentId }, 'payment method token refused by the provider');
      return { __typename: 'PaymentMethodInvalidError', message: charge.message };
    }

    const payment: PaymentModel = {
      id: paymentId,
      orderId,
      userId: reply.userId,
      amount: reply.amount,
      status:
        charge.outcome === 'SUCCEEDED'
          ? 'SUCCEEDED'
          : charge.outcome === 'DECLINED'
            ? 'FAILED'
            : 'REQUIRES_ACTION',
      card: charge.card ?? UNKNOWN_CARD,
      failureReason: charge.outcome === 'DECLINED' ? charge.reason : null,
      createdAt: new Date(),
      chargeId: charge.chargeId,
      refundedAmount: 0,
      action:
        charge.outcome === 'REQUIRES_ACTION'
          ? { type: 'REDIRECT_TO_URL', url: charge.action.url, expiresAt: charge.action.expiresAt }
          : null,
    };
    const outcome: StoredOutcome =
      charge.outcome === 'SUCCEEDED'
        ? { kind: 'SUCCEEDED', paymentId }
        : charge.outcome === 'REQUIRES_ACTION'
          ? { kind: 'REQUIRES_ACTION', paymentId }
          : { kind: 'DECLINED', paymentId, reason: charge.reason, message: charge.message };
    // A charge awaiting authentication publishes nothing yet: its webhook (or the job) settles it.
    const event: PaymentEvent | null =
      payment.status === 'REQUIRES_ACTION'
        ? null
        : {
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
    if (charge.outcome === 'SUCCEEDED') return { __typename: 'PaymentSucceeded', payment };
    if (charge.outcome === 'REQUIRES_ACTION')
      return { __typename: 'PaymentRequiresAction', payment, action: payment.action! };
    return { __typename: 'CardDeclinedError', message: charge.message, reason: charge.reason, payment };
  });
}

/**
 * The provider's charge, aborted at `chargeBy` (ProviderUnavailableError): the charge lock and
 * orders' lease both outlast that moment. A provider that ignores the signal and succeeds later
 * has its charge refunded, since nobody will record it.
 */
async function chargeWithin(
  deps: PaymentsDeps,
  chargeBy: number,
  owner: { userId: string },
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

/**
 * The answer of a finished request, from the stored payment as it is now: one that awaited
 * authentication may have been settled by its webhook since.
 */
async function replay(deps: PaymentsDeps, outcome: StoredOutcome): Promise<PayOrderResult> {
  const [payment] = await deps.repository.paymentsByIds([outcome.paymentId]);
  if (!payment) throw new Error(`payment ${outcome.paymentId} of an idempotency record is missing`);
  if (payment.status === 'SUCCEEDED') return { __typename: 'PaymentSucceeded', payment };
  if (payment.status === 'REQUIRES_ACTION' && payment.action)
    return { __typename: 'PaymentRequiresAction', payment, action: payment.action };
  return {
    __typename: 'CardDeclinedError',
    message:
      outcome.kind === 'DECLINED'
        ? outcome.message
        : 'The authentication the card issuer asked for failed or was abandoned',
    reason: payment.failureReason ?? (outcome.kind === 'DECLINED' ? outcome.reason : 'AUTHENTICATION_FAILED'),
    payment,
  };
}
