import { orderNumber, type OrderItemModel, type OrderModel, type OrderStatus } from './models';

/** The orders' MySQL rows and their mapping to models (what orders.repository.ts selects). */

export interface OrderRow {
  id: string;
  seq: number;
  user_id: string;
  status: OrderStatus;
  currency: string;
  total_amount: number;
  idempotency_key: string;
  fingerprint: string;
  created_at: Date;
  expires_at: Date;
  paid_at: Date | null;
  cancelled_at: Date | null;
  payment_id: string | null;
  payment_lease_until: Date | null;
  refund_requested_at: Date | null;
  refunded_at: Date | null;
  fulfilled_at: Date | null;
  delivered_at: Date | null;
  carrier: string | null;
  tracking_number: string | null;
}

export interface ItemRow {
  order_id: string;
  position: number;
  product_id: string;
  sku: string;
  product_name: string;
  quantity: number;
  unit_amount: number;
  line_amount: number;
  currency: string;
}

export const ORDER_COLUMNS =
  'id, seq, user_id, status, currency, total_amount, idempotency_key, fingerprint, created_at, expires_at, paid_at, cancelled_at, payment_id, payment_lease_until, refund_requested_at, refunded_at, fulfilled_at, delivered_at, carrier, tracking_number';
export const ITEM_COLUMNS =
  'order_id, position, product_id, sku, product_name, quantity, unit_amount, line_amount, currency';

export const toOrder = (r: OrderRow): OrderModel => ({
  id: r.id,
  seq: Number(r.seq),
  number: orderNumber(Number(r.seq)),
  userId: r.user_id,
  status: r.status,
  total: { amount: Number(r.total_amount), currency: r.currency },
  idempotencyKey: r.idempotency_key,
  fingerprint: r.fingerprint,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  paidAt: r.paid_at,
  cancelledAt: r.cancelled_at,
  paymentId: r.payment_id,
  paymentLeaseUntil: r.payment_lease_until,
  refundRequestedAt: r.refund_requested_at,
  refundedAt: r.refunded_at,
  fulfilledAt: r.fulfilled_at,
  deliveredAt: r.delivered_at,
  carrier: r.carrier,
  trackingNumber: r.tracking_number,
});

export const toItem = (r: ItemRow): OrderItemModel => ({
  orderId: r.order_id,
  position: r.position,
  productId: r.product_id,
  sku: r.sku,
  productName: r.product_name,
  quantity: r.quantity,
  unitPrice: { amount: Number(r.unit_amount), currency: r.currency },
  lineTotal: { amount: Number(r.line_amount), currency: r.currency },
});
