import { PostalAddress } from '@shop/messaging';
import {
  orderNumber,
  type CheckoutParts,
  type OrderItemModel,
  type OrderModel,
  type OrderStatus,
} from './models';

/** The orders' MySQL rows and their mapping to models (what orders.repository.ts selects). */

/** The checkout columns of an order (migration 6), in the order checkoutValues gives them. */
export const CHECKOUT_COLUMNS =
  'subtotal_amount, shipping_amount, discount_amount, vat_amount, vat_rate_bp, discount_code, shipping_method_id, shipping_method_name, shipping_address, cart_id';

export interface OrderRow {
  id: string;
  seq: number;
  user_id: string;
  status: OrderStatus;
  currency: string;
  total_amount: number;
  // checkout (migration 6)
  subtotal_amount: number;
  shipping_amount: number;
  discount_amount: number;
  vat_amount: number;
  vat_rate_bp: number;
  discount_code: string | null;
  shipping_method_id: string | null;
  shipping_method_name: string | null;
  /** The address snapshot: JSON (the driver may hand it over parsed), or null. */
  shipping_address: string | Record<string, unknown> | null;
  cart_id: string | null;
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
  variant_id: string;
  sku: string;
  product_name: string;
  variant_title: string;
  quantity: number;
  unit_amount: number;
  line_amount: number;
  currency: string;
}

export const ORDER_COLUMNS =
  'id, seq, user_id, status, currency, total_amount, idempotency_key, fingerprint, created_at, expires_at, paid_at, cancelled_at, payment_id, payment_lease_until, refund_requested_at, refunded_at, fulfilled_at, delivered_at, carrier, tracking_number, ' +
  CHECKOUT_COLUMNS;
export const ITEM_COLUMNS =
  'order_id, position, product_id, variant_id, sku, product_name, variant_title, quantity, unit_amount, line_amount, currency';

export const toOrder = (r: OrderRow): OrderModel => ({
  id: r.id,
  seq: Number(r.seq),
  number: orderNumber(Number(r.seq)),
  userId: r.user_id,
  status: r.status,
  total: { amount: Number(r.total_amount), currency: r.currency },
  ...checkoutOf(r),
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
  variantId: r.variant_id,
  sku: r.sku,
  productName: r.product_name,
  variantTitle: r.variant_title,
  quantity: r.quantity,
  unitPrice: { amount: Number(r.unit_amount), currency: r.currency },
  lineTotal: { amount: Number(r.line_amount), currency: r.currency },
});

/** An order's checkout parts from its row (all in the order's currency). */
function checkoutOf(r: OrderRow): CheckoutParts {
  const money = (amount: number) => ({ amount: Number(amount), currency: r.currency });
  return {
    subtotal: money(r.subtotal_amount),
    shipping: money(r.shipping_amount),
    discount: money(r.discount_amount),
    vat: money(r.vat_amount),
    vatRateBasisPoints: Number(r.vat_rate_bp),
    discountCode: r.discount_code,
    shippingMethod:
      r.shipping_method_id === null ? null : { id: r.shipping_method_id, name: r.shipping_method_name ?? '' },
    shippingAddress:
      r.shipping_address === null
        ? null
        : PostalAddress.parse(
            typeof r.shipping_address === 'string' ? JSON.parse(r.shipping_address) : r.shipping_address,
          ),
    cartId: r.cart_id,
  };
}

/** The values of CHECKOUT_COLUMNS for an insert. */
export const checkoutValues = (o: CheckoutParts): unknown[] => [
  o.subtotal.amount,
  o.shipping.amount,
  o.discount.amount,
  o.vat.amount,
  o.vatRateBasisPoints,
  o.discountCode,
  o.shippingMethod?.id ?? null,
  o.shippingMethod?.name ?? null,
  o.shippingAddress === null ? null : JSON.stringify(o.shippingAddress),
  o.cartId,
];
