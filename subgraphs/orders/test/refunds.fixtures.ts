/**
 * What the refunds tests share: the refund requests of a payment as the outbox and the ORDERS
 * stream hold them, and a payments.refunded event.
 */
import { randomUUID } from 'node:crypto';
import type { PaymentRefundedEvent, RefundReason } from '@shop/messaging';
import { waitFor } from '@shop/testing';
import { streamMessages, type Harness, type OrderView } from './helpers';

export function refundRequests(h: Harness) {
  /** orders.refund_requested outbox rows of a payment (or an order), with whether they were sent. */
  const outbox = async (paymentId: string) =>
    (
      await h.app.db.rows<{ payload: string; sent_at: Date | null }>(
        "SELECT payload, sent_at FROM outbox WHERE kind = 'orders.refund_requested'",
      )
    )
      .map((r): Record<string, unknown> & { sent: boolean } => ({
        ...(JSON.parse(r.payload) as Record<string, unknown>),
        sent: r.sent_at !== null,
      }))
      .filter((p) => p.paymentId === paymentId || p.orderId === paymentId);
  const stream = async (paymentId: string) =>
    (await streamMessages(h.nc, h.names.streams.orders, h.names.events.ordersRefundRequested))
      .map((m) => m.data)
      .filter((d) => d.paymentId === paymentId);
  /** Exactly one request for the payment, in the outbox and (once relayed) in the stream. */
  const expectOne = async (paymentId: string, reason: RefundReason, amount: number) => {
    await waitFor(async () => (await outbox(paymentId)).every((r) => r.sent) || null);
    const rows = await outbox(paymentId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ paymentId, reason, amount: { amount, currency: 'EUR' } });
    await waitFor(async () => (await stream(paymentId)).length > 0 || null);
    expect(await stream(paymentId)).toEqual([expect.objectContaining({ paymentId, reason })]);
  };
  return { outbox, stream, expectOne };
}

/** What payments publishes on payments.refunded once it gave a charge back. */
export const refundedEvent = (
  charge: { orderId: string; userId: string; paymentId: string; amount: OrderView['total'] },
  reason: RefundReason,
): PaymentRefundedEvent => ({
  eventId: randomUUID(),
  refundId: randomUUID(),
  paymentId: charge.paymentId,
  orderId: charge.orderId,
  userId: charge.userId,
  amount: charge.amount,
  reason,
  refundedAt: new Date().toISOString(),
});
