import { z } from 'zod';

/**
 * The messages that cross service boundaries: NATS request-reply commands and JetStream events.
 * One source of truth: requesters and responders both validate against these schemas.
 */

export const Money = z.object({ amount: z.number().int(), currency: z.string().regex(/^[A-Z]{3}$/) });

const id = z.string().min(1).max(64);

/** A refusal every command may answer with. */
export const InvalidRequest = z.object({
  ok: z.literal(false),
  code: z.literal('INVALID_REQUEST'),
  message: z.string(),
});

// ---- products.reserve / products.release ------------------------------------------------------

/**
 * One line to reserve: a variant of a product. Without variantId, the product's only variant
 * (a product with several answers VARIANT_REQUIRED).
 */
export const ReserveItem = z.object({
  productId: id,
  variantId: id.optional(),
  quantity: z.number().int().positive(),
});
export type ReserveItem = z.infer<typeof ReserveItem>;

export const ReserveRequest = z.object({
  orderId: id,
  items: z.array(ReserveItem).min(1),
});
export type ReserveRequest = z.infer<typeof ReserveRequest>;

/**
 * Order lines with the quantities of the same variant (the same product and variantId, or the same
 * product without one) added up, in the order each first appears: what orders asks products to
 * reserve, and what products reserves for a request.
 */
export function mergeLines(lines: readonly ReserveItem[]): ReserveItem[] {
  const merged = new Map<string, ReserveItem>();
  for (const line of lines) {
    const key = `${line.productId} ${line.variantId ?? ''}`;
    const seen = merged.get(key);
    merged.set(key, { ...(seen ?? line), quantity: (seen?.quantity ?? 0) + line.quantity });
  }
  return [...merged.values()];
}

export const ReservedLine = z.object({
  productId: id,
  /** The variant taken (the product's only one when the request named none). */
  variantId: id,
  /** The variant's SKU. */
  sku: z.string(),
  /** The product's name. */
  name: z.string(),
  /** The variant's option values for display (`M / Blue`); empty for a product without options. */
  variantTitle: z.string(),
  quantity: z.number().int().positive(),
  unitPrice: Money,
});
export type ReservedLine = z.infer<typeof ReservedLine>;

export const ReserveReply = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), lines: z.array(ReservedLine) }),
  z.object({
    ok: z.literal(false),
    /** VARIANT_REQUIRED: a line without variantId names a product with several variants. */
    code: z.enum(['OUT_OF_STOCK', 'NOT_FOUND', 'VARIANT_REQUIRED', 'INVALID_REQUEST']),
    message: z.string(),
    productId: id.optional(),
    variantId: id.optional(),
    requested: z.number().int().optional(),
    available: z.number().int().optional(),
  }),
]);
export type ReserveReply = z.infer<typeof ReserveReply>;

export const ReleaseRequest = z.object({ orderId: id });
export type ReleaseRequest = z.infer<typeof ReleaseRequest>;
export const ReleaseReply = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), released: z.boolean() }),
  InvalidRequest,
]);
export type ReleaseReply = z.infer<typeof ReleaseReply>;

// ---- orders.payable ---------------------------------------------------------------------------

export const PayableRequest = z.object({ orderId: id, userId: id });
export type PayableRequest = z.infer<typeof PayableRequest>;
export const PayableReply = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), orderId: id, userId: id, amount: Money, status: z.string() }),
  z.object({
    ok: z.literal(false),
    code: z.enum(['NOT_FOUND', 'FORBIDDEN', 'NOT_PAYABLE', 'INVALID_REQUEST']),
    message: z.string(),
    status: z.string().optional(),
  }),
]);
export type PayableReply = z.infer<typeof PayableReply>;

// ---- users.contact ----------------------------------------------------------------------------

export const ContactRequest = z.object({ userId: id });
export type ContactRequest = z.infer<typeof ContactRequest>;
export const ContactReply = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), id, name: z.string(), email: z.string(), phone: z.string().nullable() }),
  z.object({ ok: z.literal(false), code: z.enum(['NOT_FOUND', 'INVALID_REQUEST']), message: z.string() }),
]);
export type ContactReply = z.infer<typeof ContactReply>;

// ---- users.address ----------------------------------------------------------------------------

/** A postal address as it is stored and snapshotted: every field already validated and normalised. */
export const PostalAddress = z.object({
  /** The recipient's name. */
  name: z.string(),
  company: z.string().nullable(),
  line1: z.string(),
  line2: z.string().nullable(),
  postalCode: z.string(),
  city: z.string(),
  /** State, province or region; required only where the country says so. */
  region: z.string().nullable(),
  /** ISO 3166-1 alpha-2, upper case (a country of COUNTRIES in @shop/config). */
  country: z.string().regex(/^[A-Z]{2}$/),
  /** E.164 or null. */
  phone: z.string().nullable(),
});
export type PostalAddress = z.infer<typeof PostalAddress>;

export const AddressRequest = z.object({ userId: id, addressId: id });
export type AddressRequest = z.infer<typeof AddressRequest>;

export const AddressReply = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), addressId: id, address: PostalAddress }),
  z.object({ ok: z.literal(false), code: z.enum(['NOT_FOUND', 'INVALID_REQUEST']), message: z.string() }),
]);
export type AddressReply = z.infer<typeof AddressReply>;

// ---- products.lookup --------------------------------------------------------------------------

/** Live facts of products, reserving nothing: how orders prices a cart. At most 100 ids. */
export const LookupRequest = z.object({ productIds: z.array(id).min(1).max(100) });
export type LookupRequest = z.infer<typeof LookupRequest>;

export const LookedUpVariant = z.object({
  variantId: id,
  sku: z.string(),
  /** Option values for display (`M / Blue`); empty for a product without options. */
  title: z.string(),
  unitPrice: Money,
  /** Units that can be reserved now, never below 0. */
  available: z.number().int().nonnegative(),
});
export type LookedUpVariant = z.infer<typeof LookedUpVariant>;

export const LookedUpProduct = z.object({
  productId: id,
  /** The first variant's SKU. */
  sku: z.string(),
  name: z.string(),
  /** The lowest price of its variants. */
  unitPrice: Money,
  /** Units of all its variants that can be reserved now (what orders hold is not), never below 0. */
  available: z.number().int().nonnegative(),
  /** Every variant on sale, in the product's order (at least one). */
  variants: z.array(LookedUpVariant).min(1),
});
export type LookedUpProduct = z.infer<typeof LookedUpProduct>;

/** The products that exist, in no particular order; an id that names no product is left out. */
export const LookupReply = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), products: z.array(LookedUpProduct) }),
  InvalidRequest,
]);
export type LookupReply = z.infer<typeof LookupReply>;

// ---- events -----------------------------------------------------------------------------------

/** payments.succeeded / payments.failed. eventId is the payment id (the Nats-Msg-Id). */
export const PaymentEvent = z.object({
  eventId: id,
  paymentId: id,
  orderId: id,
  userId: id,
  amount: Money,
  status: z.enum(['SUCCEEDED', 'FAILED']),
  failureReason: z.string().nullable(),
  occurredAt: z.string(),
});
export type PaymentEvent = z.infer<typeof PaymentEvent>;

export const OrderEventItem = z.object({
  productId: id,
  /** Absent in events written before variants existed. */
  variantId: id.optional(),
  name: z.string(),
  /** The variant's option values (`M / Blue`); empty or absent for a product without options. */
  variantTitle: z.string().optional(),
  quantity: z.number().int().positive(),
  unitPrice: Money,
  lineTotal: Money,
});
export type OrderEventItem = z.infer<typeof OrderEventItem>;

/**
 * orders.paid. eventId is the outbox row's id (the Nats-Msg-Id). total = subtotal + shipping −
 * discount; vat is the VAT included in total. The parts and the address are absent in events written
 * before checkout existed (and the address for orders placed without one).
 */
export const OrderPaidEvent = z.object({
  eventId: id,
  orderId: id,
  /** The human-friendly order number shown to the customer (e.g. in the confirmation email). */
  orderNumber: z.string(),
  userId: id,
  paymentId: id,
  total: Money,
  items: z.array(OrderEventItem),
  paidAt: z.string(),
  subtotal: Money.optional(),
  shipping: Money.optional(),
  discount: Money.optional(),
  vat: Money.optional(),
  /** VAT rate in basis points (1900 = 19 %). */
  vatRateBasisPoints: z.number().int().nonnegative().optional(),
  discountCode: z.string().nullable().optional(),
  shippingMethod: z.object({ id: z.string(), name: z.string() }).nullable().optional(),
  shippingAddress: PostalAddress.nullable().optional(),
});
export type OrderPaidEvent = z.infer<typeof OrderPaidEvent>;

/**
 * orders.cancelled: the order's stock goes back to products. NOT_PLACED: an order that was never
 * stored (the reserve timed out, or storing failed) but whose reservation products may hold.
 */
export const OrderCancelledEvent = z.object({
  eventId: id,
  orderId: id,
  userId: id,
  reason: z.enum(['CANCELLED_BY_USER', 'EXPIRED', 'NOT_PLACED']),
  items: z.array(ReserveItem),
  cancelledAt: z.string(),
});
export type OrderCancelledEvent = z.infer<typeof OrderCancelledEvent>;

/**
 * Why a charge is given back. CANCELLED_ORDER: the charge landed on an order already cancelled;
 * DUPLICATE_CHARGE: a second successful charge of a paid order; WRONG_AMOUNT / UNKNOWN_ORDER: a charge
 * that matches no order's total; ADMIN_REFUND: an administrator refunded a paid order.
 */
export const RefundReason = z.enum([
  'CANCELLED_ORDER',
  'DUPLICATE_CHARGE',
  'WRONG_AMOUNT',
  'UNKNOWN_ORDER',
  'ADMIN_REFUND',
]);
export type RefundReason = z.infer<typeof RefundReason>;

/**
 * orders.refund_requested: orders asks payments to refund `amount` of one payment. eventId is the
 * outbox row's id; payments refunds each (paymentId, reason) at most once whatever the deliveries.
 */
export const RefundRequestedEvent = z.object({
  eventId: id,
  orderId: id,
  userId: id,
  paymentId: id,
  amount: Money,
  reason: RefundReason,
  requestedAt: z.string(),
});
export type RefundRequestedEvent = z.infer<typeof RefundRequestedEvent>;

/** payments.refunded: a refund the provider confirmed. eventId is the refund's id. */
export const PaymentRefundedEvent = z.object({
  eventId: id,
  refundId: id,
  paymentId: id,
  orderId: id,
  userId: id,
  amount: Money,
  reason: RefundReason,
  refundedAt: z.string(),
});
export type PaymentRefundedEvent = z.infer<typeof PaymentRefundedEvent>;

/** orders.refunded: an admin refund of a paid order was paid back; notifications tells the customer. */
export const OrderRefundedEvent = z.object({
  eventId: id,
  orderId: id,
  orderNumber: z.string(),
  userId: id,
  paymentId: id,
  amount: Money,
  refundedAt: z.string(),
});
export type OrderRefundedEvent = z.infer<typeof OrderRefundedEvent>;

/** orders.fulfilled: an admin handed a paid order to a carrier; notifications sends "shipped". */
export const OrderFulfilledEvent = z.object({
  eventId: id,
  orderId: id,
  orderNumber: z.string(),
  userId: id,
  carrier: z.string(),
  trackingNumber: z.string(),
  /** The carrier's tracking page for this parcel. */
  trackingUrl: z.string(),
  fulfilledAt: z.string(),
});
export type OrderFulfilledEvent = z.infer<typeof OrderFulfilledEvent>;

/** orders.delivered: a fulfilled order reached the customer. */
export const OrderDeliveredEvent = z.object({
  eventId: id,
  orderId: id,
  orderNumber: z.string(),
  userId: id,
  deliveredAt: z.string(),
});
export type OrderDeliveredEvent = z.infer<typeof OrderDeliveredEvent>;

/** orders.placed: an order exists and waits for payment. */
export const OrderPlacedEvent = z.object({
  eventId: id,
  orderId: id,
  orderNumber: z.string(),
  userId: id,
  total: Money,
  placedAt: z.string(),
});
export type OrderPlacedEvent = z.infer<typeof OrderPlacedEvent>;

/** notifications.sent: a notification of an order reached its channel (SENT) or failed for good (FAILED). */
export const NotificationSentEvent = z.object({
  eventId: id,
  notificationId: id,
  orderId: id,
  userId: id,
  channel: z.enum(['EMAIL', 'SMS']),
  kind: z.string(),
  status: z.enum(['SENT', 'FAILED']),
  at: z.string(),
});
export type NotificationSentEvent = z.infer<typeof NotificationSentEvent>;

/**
 * notifications.password_reset (request-reply, never a stream: the link carries a secret). users
 * asks notifications to email the reset link; notifications sends it and keeps no copy of the token.
 */
export const PasswordResetRequest = z.object({
  userId: id,
  email: z.string().max(254),
  name: z.string().max(200),
  /** The link to put in the email (it contains the single-use token). */
  resetUrl: z.string().url().max(2048),
  expiresAt: z.string(),
});
export type PasswordResetRequest = z.infer<typeof PasswordResetRequest>;

export const PasswordResetReply = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true) }),
  z.object({ ok: z.literal(false), code: z.enum(['SEND_FAILED', 'INVALID_REQUEST']), message: z.string() }),
]);
export type PasswordResetReply = z.infer<typeof PasswordResetReply>;

/** What a consumer publishes to the dead-letter subject after the last delivery. */
export const DeadLetter = z.object({
  stream: z.string(),
  subject: z.string(),
  consumer: z.string(),
  deliveries: z.number().int(),
  reason: z.string(),
  data: z.string(),
  failedAt: z.string(),
});
export type DeadLetter = z.infer<typeof DeadLetter>;
