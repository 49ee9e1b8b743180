import { createHash } from 'node:crypto';
import { isOrderId, isPaymentId } from '@shop/messaging';
import type { CardBrand, DeclineReason, PaymentModel, PaymentStatus } from './models';

/**
 * The Redis layout of payments, shared by PaymentsRepository and RefundsRepository: every key (all
 * under the prefix, REDIS_PREFIX) and the payment hash's fields.
 */

/**
 * The last line of defence of canonical ids: every order and payment key is built from the issued
 * form only. The service refuses other forms first ("not found"); reaching this throw is a bug.
 */
export function canonical(kind: 'order' | 'payment', id: string): string {
  if (!(kind === 'order' ? isOrderId(id) : isPaymentId(id)))
    throw new Error(`a non-canonical ${kind} id reached the payments repository`);
  return id;
}

/** Every Redis key of payments, under `prefix`. */
export function paymentKeys(prefix: string) {
  return {
    payment: (id: string) => `${prefix}payment:${canonical('payment', id)}`,
    orderPayments: (orderId: string) => `${prefix}order:${canonical('order', orderId)}:payments`,
    orderPaid: (orderId: string) => `${prefix}order:${canonical('order', orderId)}:paid`,
    refunds: (paymentId: string) => `${prefix}payment:${canonical('payment', paymentId)}:refunds`,
    orderLock: (orderId: string) => `${prefix}order:${canonical('order', orderId)}:lock`,
    idempotency: (userId: string, key: string) =>
      `${prefix}idem:${userId}:${createHash('sha256').update(key).digest('hex')}`,
    outbox: () => `${prefix}outbox`,
    /** paymentId -> reason of refunds payments owes by itself (a charge that paid nothing). */
    pendingRefunds: () => `${prefix}refunds:pending`,
    /** The id of the order's payment awaiting authentication (REQUIRES_ACTION), if any. */
    orderAction: (orderId: string) => `${prefix}order:${canonical('order', orderId)}:action`,
    /** Payments awaiting authentication, scored by their action's expiry (ms): the job's list. */
    pendingActions: () => `${prefix}actions:pending`,
    /** A provider event handled already (its id hashed), kept a week. */
    webhookEvent: (eventId: string) =>
      `${prefix}webhook:${createHash('sha256').update(eventId).digest('hex')}`,
  };
}

export type PaymentKeys = ReturnType<typeof paymentKeys>;

/** A payment as the field/value pairs of its hash. */
export function toHash(p: PaymentModel): string[] {
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
    'actionUrl',
    p.action?.url ?? '',
    'actionExpiresAt',
    p.action ? p.action.expiresAt.toISOString() : '',
  ];
}

/** A payment hash as read back (HGETALL), null when there is none. */
export function fromHash(h: Record<string, string>): PaymentModel | null {
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
    action: h.actionUrl
      ? { type: 'REDIRECT_TO_URL', url: h.actionUrl, expiresAt: new Date(h.actionExpiresAt ?? 0) }
      : null,
  };
}
