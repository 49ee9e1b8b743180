import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { serviceUnavailable } from '@shop/errors';
import { isOrderId, isPaymentId, type PaymentEvent } from '@shop/messaging';
import type { PaymentModel, StoredCard } from './models';
import { refundWhole } from './payments.refunds';
import type { PaymentsDeps } from './payments.service';
import {
  ProviderUnavailableError,
  WebhookSignatureError,
  type ChargeResult,
  type ProviderEvent,
  type WebhookHeaders,
} from './providers/provider';

/**
 * Payments awaiting the customer's authentication (REQUIRES_ACTION) and how they are settled: by the
 * provider's webhook (`receiveWebhook`), by the job for the webhook that never came
 * (`settleExpiredActions`), and by a new payOrder of the order (`cancelPendingAction`). Every
 * settlement runs under the order's charge lock, the one payOrder holds while it charges and
 * records, so a webhook never overtakes the synchronous answer. Redis through ActionsRepository.
 */

/** What became of a payment awaiting action. */
export type Settlement = 'SUCCEEDED' | 'FAILED' | 'PENDING' | 'FINAL';

/** The card shown for a charge whose provider sent none. */
export const UNKNOWN_CARD: StoredCard = { brand: 'UNKNOWN', last4: '0000', expMonth: 0, expYear: 0 };

/** How long a webhook waits for the order's charge lock before it is answered 500 (redelivered). */
export const WEBHOOK_LOCK_WAIT_MS = 5_000;

/**
 * Runs `task` holding the order's charge lock, waiting for it at most `waitMs` (by default as long
 * as a holder may keep it; then ServiceUnavailableError).
 */
export async function withOrderLock<T>(
  deps: PaymentsDeps,
  orderId: string,
  task: () => Promise<T>,
  waitMs = deps.lockMs + 5_000,
): Promise<T> {
  const lockToken = randomUUID();
  const deadline = Date.now() + waitMs;
  while (!(await deps.repository.lockOrder(orderId, lockToken, deps.lockMs))) {
    if (Date.now() > deadline)
      throw serviceUnavailable('Another payment for this order is in progress; retry later');
    await sleep(deps.pollMs);
  }
  try {
    return await task();
  } finally {
    await deps.repository.unlockOrder(orderId, lockToken).catch(() => undefined);
  }
}

/**
 * Settles a REQUIRES_ACTION payment with the provider's answer (caller holds the order's lock): a
 * success sets the guard and writes payments.succeeded, a decline writes payments.failed (orders
 * records the failure; the order can be paid again), both atomically with the payment. A success of
 * an order paid meanwhile by another payment is refunded in full (DUPLICATE_CHARGE).
 */
export async function settleAction(
  deps: PaymentsDeps,
  payment: PaymentModel,
  result: ChargeResult,
): Promise<Settlement> {
  if (payment.status !== 'REQUIRES_ACTION') return 'FINAL';
  if (result.outcome !== 'SUCCEEDED' && result.outcome !== 'DECLINED') return 'PENDING';
  const settled: PaymentModel =
    result.outcome === 'SUCCEEDED'
      ? { ...payment, status: 'SUCCEEDED', failureReason: null, chargeId: result.chargeId, card: result.card }
      : {
          ...payment,
          status: 'FAILED',
          failureReason: result.reason,
          chargeId: result.chargeId ?? payment.chargeId,
          card: result.card ?? payment.card,
        };
  const event: PaymentEvent = {
    eventId: payment.id,
    paymentId: payment.id,
    orderId: payment.orderId,
    userId: payment.userId,
    amount: payment.amount,
    status: settled.status === 'SUCCEEDED' ? 'SUCCEEDED' : 'FAILED',
    failureReason: settled.failureReason,
    occurredAt: new Date().toISOString(),
  };
  const written = await deps.actions.settle(settled, event);
  if (written === 'FINAL') return 'FINAL';
  if (written === 'ALREADY_PAID') {
    deps.log.error(
      { orderId: payment.orderId, paymentId: payment.id },
      'an authenticated charge of a paid order; refunding it',
    );
    await refundWhole(deps, { ...settled, refundedAmount: payment.refundedAmount }, 'DUPLICATE_CHARGE');
  }
  deps.log.info(
    {
      orderId: payment.orderId,
      paymentId: payment.id,
      status: settled.status,
      reason: settled.failureReason,
    },
    'payment awaiting action settled',
  );
  return settled.status === 'SUCCEEDED' ? 'SUCCEEDED' : 'FAILED';
}

/**
 * Before a new charge of the order (under its lock): the payment still awaiting authentication is
 * given up at the provider and settled. 'SUCCEEDED' means the customer completed it meanwhile (the
 * order is paid). A provider that cannot be asked throws ProviderUnavailableError.
 */
export async function cancelPendingAction(deps: PaymentsDeps, orderId: string): Promise<Settlement | null> {
  const paymentId = await deps.actions.pendingActionOf(orderId);
  if (!paymentId) return null;
  const [payment] = await deps.repository.paymentsByIds([paymentId]);
  if (!payment || payment.status !== 'REQUIRES_ACTION' || !payment.chargeId) return null;
  const result = await deps.provider.cancelCharge(payment.chargeId);
  const settled = await settleAction(deps, payment, result);
  if (settled === 'PENDING')
    throw new ProviderUnavailableError('the provider did not cancel the pending charge');
  return settled;
}

/**
 * The job (PENDING_ACTION_INTERVAL_MS): payments awaiting authentication whose action expired are
 * looked up at the provider (the webhook may be lost or the PSP's URL for it wrong) and settled; one
 * still pending is cancelled, then settled. Answers how many are still pending.
 */
export async function settleExpiredActions(deps: PaymentsDeps, nowMs = Date.now()): Promise<number> {
  let left = 0;
  for (const paymentId of await deps.actions.expiredActions(nowMs)) {
    const [found] = await deps.repository.paymentsByIds([paymentId]);
    if (!found || found.status !== 'REQUIRES_ACTION' || !found.chargeId) {
      await deps.actions.dropPendingAction(paymentId);
      continue;
    }
    try {
      const settled = await withOrderLock(deps, found.orderId, async () => {
        const [payment] = await deps.repository.paymentsByIds([paymentId]);
        if (!payment || payment.status !== 'REQUIRES_ACTION' || !payment.chargeId) return 'FINAL';
        let result = await deps.provider.retrieveCharge(payment.chargeId);
        if (result.outcome === 'REQUIRES_ACTION') result = await deps.provider.cancelCharge(payment.chargeId);
        return settleAction(deps, payment, result);
      });
      if (settled === 'PENDING') left += 1;
    } catch (error) {
      left += 1;
      deps.log.warn(
        { paymentId, err: error },
        'a payment awaiting action could not be settled; retried later',
      );
    }
  }
  return left;
}

/** What a webhook request is answered. */
export interface WebhookAnswer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * A provider's webhook: verified (a bad, missing or old signature is 400 and a warning with the
 * event's id if it has one and the reason, never the body), handled once per event id (remembered a
 * week, marked only after it was handled: a failure throws, is answered 500, and the provider
 * redelivers), under the order's charge lock.
 */
export async function receiveWebhook(
  deps: PaymentsDeps,
  rawBody: Buffer,
  headers: WebhookHeaders,
): Promise<WebhookAnswer> {
  let event: ProviderEvent | null;
  try {
    event = deps.provider.parseWebhook(rawBody, headers);
  } catch (error) {
    if (!(error instanceof WebhookSignatureError)) throw error;
    deps.log.warn(
      { provider: deps.provider.name, eventId: claimedEventId(rawBody), reason: error.message },
      'webhook refused: bad signature',
    );
    return { status: 400, body: { error: { type: 'invalid_signature', message: 'Invalid signature' } } };
  }
  if (!event) return { status: 200, body: { received: true } };
  if (await deps.actions.eventHandled(event.id))
    return { status: 200, body: { received: true, duplicate: true } };
  const outcome = await handleProviderEvent(deps, event);
  // An event about a charge that is not ours writes nothing at all (not even its mark).
  if (outcome !== 'IGNORED') await deps.actions.markEventHandled(event.id);
  deps.log.info(
    { eventId: event.id, type: event.type, paymentId: event.paymentId, outcome },
    'webhook handled',
  );
  return { status: 200, body: { received: true, outcome } };
}

/** The event's id as the body claims it (for the warning of a refused one): a short safe string or null. */
function claimedEventId(rawBody: Buffer): string | null {
  try {
    const id = (JSON.parse(rawBody.toString('utf8')) as { id?: unknown }).id;
    return typeof id === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(id) ? id : null;
  } catch {
    return null;
  }
}

/**
 * One verified event. Charges of other shops (ids not in our issued form, a payment of another
 * order) change nothing; a payment awaiting action is settled; a final one stays as it is; a success
 * without a payment (payOrder gave up on the call, the provider took it) is recorded as an unpaid
 * charge and refunded in full, as a late answer is.
 */
export async function handleProviderEvent(
  deps: PaymentsDeps,
  event: ProviderEvent,
): Promise<Settlement | 'IGNORED' | 'REFUNDED'> {
  if (!isPaymentId(event.paymentId) || !isOrderId(event.orderId)) {
    deps.log.info({ eventId: event.id, type: event.type }, 'webhook of a charge that is not ours; ignored');
    return 'IGNORED';
  }
  // A webhook waits for a payOrder in progress a few seconds at most: past that it is answered 500
  // and the provider delivers it again later (a request held for the lock's 35 s would also hold
  // a shutdown that long).
  return withOrderLock(
    deps,
    event.orderId,
    async () => {
      if (await deps.actions.eventHandled(event.id)) return 'FINAL';
      const [payment] = await deps.repository.paymentsByIds([event.paymentId]);
      if (payment) {
        if (payment.orderId !== event.orderId || (payment.chargeId && payment.chargeId !== event.chargeId)) {
          deps.log.warn(
            { eventId: event.id, paymentId: payment.id },
            'webhook does not match its payment; ignored',
          );
          return 'IGNORED';
        }
        const result: ChargeResult =
          event.type === 'charge.succeeded'
            ? { outcome: 'SUCCEEDED', chargeId: event.chargeId, card: event.card ?? payment.card }
            : {
                outcome: 'DECLINED',
                chargeId: event.chargeId,
                card: event.card,
                reason: event.reason ?? 'AUTHENTICATION_FAILED',
                message: event.message ?? 'The payment failed',
              };
        return settleAction(deps, payment, result);
      }
      if (event.type !== 'charge.succeeded') return 'FINAL';
      // A charge nobody recorded: payOrder timed out (and its process may be gone since).
      const unpaid: PaymentModel = {
        id: event.paymentId,
        orderId: event.orderId,
        // Not known from the event: the charge's owner is read from orders if it is ever needed.
        userId: 'unknown',
        amount: event.amount,
        status: 'SUCCEEDED',
        card: event.card ?? UNKNOWN_CARD,
        failureReason: null,
        createdAt: new Date(),
        chargeId: event.chargeId,
        refundedAmount: 0,
        action: null,
      };
      await deps.refunds.recordUnpaidCharge(unpaid, 'DUPLICATE_CHARGE');
      const [written] = await deps.repository.paymentsByIds([event.paymentId]);
      const refunded = written ? await refundWhole(deps, written, 'DUPLICATE_CHARGE') : null;
      deps.log.error(
        { eventId: event.id, paymentId: event.paymentId, refunded: refunded?.kind ?? null },
        'a charge without a payment; refunded',
      );
      return 'REFUNDED';
    },
    WEBHOOK_LOCK_WAIT_MS,
  );
}
