import type { Money } from '@shop/graphql';
import type { PostalAddress } from '@shop/messaging';

/** The domain's model types: what the repository returns and the resolvers map from. */

export const ORDER_STATUSES = [
  'PENDING_PAYMENT',
  'PAID',
  'FULFILLED',
  'DELIVERED',
  'CANCELLED',
  'REFUNDED',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export interface OrderModel {
  id: string;
  /** Monotonic sequence number, the source of the human-friendly order number. */
  seq: number;
  number: string;
  userId: string;
  status: OrderStatus;
  total: Money;
  idempotencyKey: string;
  fingerprint: string;
  createdAt: Date;
  expiresAt: Date;
  paidAt: Date | null;
  cancelledAt: Date | null;
  paymentId: string | null;
  /**
   * Until when a charge may be in flight: orders.payable granted payments a lease that long. The
   * order can neither expire nor be cancelled before it ends. Null when no payment was ever asked for.
   */
  paymentLeaseUntil: Date | null;
  /** When an admin refunded the order (refundOrder asked payments for the refund); null otherwise. */
  refundRequestedAt: Date | null;
  /** When payments confirmed that refund (payments.refunded); null until then. */
  refundedAt: Date | null;
  // ---- checkout (orders.checkout.ts): the parts of the total, the address and the method ----
  /** Sum of the lines' totals. */
  subtotal: Money;
  /** What shipping costs (0 when free, and for orders placed with placeOrder). */
  shipping: Money;
  /** What the discount code took off (0 without one). */
  discount: Money;
  /** The VAT included in total (total = subtotal + shipping - discount). */
  vat: Money;
  /** The destination's VAT rate in basis points; 0 without an address. */
  vatRateBasisPoints: number;
  /** The code used (upper case); null without one. */
  discountCode: string | null;
  /** The method as it was at checkout; null for placeOrder. */
  shippingMethod: { id: string; name: string } | null;
  /** The address snapshot taken at checkout; null for placeOrder. */
  shippingAddress: PostalAddress | null;
  /** The cart checkout turned into this order; null for placeOrder. */
  cartId: string | null;
  /** When an admin handed the order to a carrier (fulfillOrder); null before. */
  fulfilledAt: Date | null;
  /** When an admin recorded its delivery (markOrderDelivered); null before. */
  deliveredAt: Date | null;
  /** The carrier (one of CARRIERS in orders.fulfilment.ts), set with fulfilledAt; null before. */
  carrier: string | null;
  /** The carrier's tracking number, set with fulfilledAt; null before. */
  trackingNumber: string | null;
}

export interface OrderItemModel {
  orderId: string;
  position: number;
  productId: string;
  /** The variant ordered (`<productId>-<n>`); `<productId>-1` for items from before variants. */
  variantId: string;
  /** The variant's SKU when the order was placed. */
  sku: string;
  productName: string;
  /** The variant's option values when the order was placed (`M / Blue`); '' without options. */
  variantTitle: string;
  quantity: number;
  unitPrice: Money;
  lineTotal: Money;
}

export interface OrderWithItems {
  order: OrderModel;
  items: OrderItemModel[];
}

/** A User entity reference: orders only knows the id. */
export interface UserRef {
  id: string;
}

/** A Product entity reference: products resolves the rest. */
export interface ProductRef {
  id: string;
}

/** A ProductVariant entity reference: products resolves the rest. */
export interface VariantRef {
  id: string;
}

export type CancelReason = 'CANCELLED_BY_USER' | 'EXPIRED';

/**
 * Why a successful charge paid nothing: the order was cancelled (or expired) first, was already paid
 * by another charge, does not exist, or the amount differs. Each is recorded as an unmatched charge,
 * money that is to be given back.
 */
export type UnmatchedChargeReason =
  'PAID_AFTER_CANCEL' | 'SECOND_CHARGE' | 'AMOUNT_MISMATCH' | 'ORDER_NOT_FOUND';

/** A successful charge that did not pay its order (unmatched_charges). */
export interface UnmatchedChargeModel {
  paymentId: string;
  orderId: string;
  userId: string;
  reason: UnmatchedChargeReason;
  amount: Money;
  /** The order's status when the charge arrived (NONE when there is no such order). */
  orderStatus: OrderStatus | 'NONE';
  recordedAt: Date;
  refundedAt: Date | null;
}

/** SO-000042: the order number customers see. */
export const orderNumber = (seq: number) => `SO-${String(seq).padStart(6, '0')}`;

/** An order as the `Order` member of a mutation's result union. */
export type OrderResult = OrderModel & { __typename: 'Order' };
export const asResult = (order: OrderModel): OrderResult => ({ ...order, __typename: 'Order' });

// ---- carts (carts.service.ts, carts.repository.ts) ------------------------------------------

/** One variant of a product in a cart, as stored: what was added and at which price. */
export interface CartLineModel {
  productId: string;
  /** The line's key within its cart: one line per variant (`<productId>-<n>`). */
  variantId: string;
  quantity: number;
  /** The unit price when the line was last added to or changed. */
  addedUnitPrice: Money;
  /** The product's name when the line was last added to or changed (the fallback once it is gone). */
  productName: string;
  /** The variant's option values then (`M / Blue`; '' without options), the fallback once it is gone. */
  variantTitle: string;
}

/** A cart as stored: anonymous (userId null, the id is its only key) or a customer's. */
export interface CartModel {
  /** 22 base64url characters (16 random bytes), exactly as issued. */
  id: string;
  userId: string | null;
  discountCode: string | null;
  /** Bumped by every change of the cart (lines, discount code). */
  version: number;
  /** In the order their variants were first added. */
  lines: CartLineModel[];
  createdAt: Date;
  updatedAt: Date;
}

export const CART_LINE_STATUSES = [
  'AVAILABLE',
  'INSUFFICIENT_STOCK',
  'OUT_OF_STOCK',
  'PRODUCT_UNAVAILABLE',
] as const;
export type CartLineStatus = (typeof CART_LINE_STATUSES)[number];

/** A cart line at today's prices and stock of its variant (products.lookup). */
export interface PricedCartLine {
  line: CartLineModel;
  /** Null when the product or the variant is gone. */
  unitPrice: Money | null;
  /** unitPrice × quantity; null when the product or the variant is gone. */
  lineTotal: Money | null;
  /** Units of the variant that can be reserved now (0 when it is gone). */
  available: number;
  status: CartLineStatus;
  /** The product's name now, or the stored name once it is gone. */
  productName: string;
  /** The variant's option values now, or the stored ones once it is gone. */
  variantTitle: string;
}

/** A cart priced live: its lines, the subtotal of the lines still in the catalogue, the units. */
export interface PricedCart {
  cart: CartModel;
  lines: PricedCartLine[];
  subtotal: Money;
  quantity: number;
}

/**
 * The checkout parts of an order placed without checkout (placeOrder, and rows from before
 * migration 6): subtotal = total, no shipping, discount, VAT, address, method or cart.
 */
export type CheckoutParts = Pick<
  OrderModel,
  | 'subtotal'
  | 'shipping'
  | 'discount'
  | 'vat'
  | 'vatRateBasisPoints'
  | 'discountCode'
  | 'shippingMethod'
  | 'shippingAddress'
  | 'cartId'
>;
export const withoutCheckout = (total: Money): CheckoutParts => ({
  subtotal: total,
  shipping: { amount: 0, currency: total.currency },
  discount: { amount: 0, currency: total.currency },
  vat: { amount: 0, currency: total.currency },
  vatRateBasisPoints: 0,
  discountCode: null,
  shippingMethod: null,
  shippingAddress: null,
  cartId: null,
});

// ---- discount codes (discounts.service.ts, discounts.repository.ts) -------------------------

export const DISCOUNT_KINDS = ['PERCENTAGE', 'FIXED_AMOUNT'] as const;
export type DiscountKind = (typeof DISCOUNT_KINDS)[number];

/** A discount code as stored (amounts in minor units of the shop's currency). */
export interface DiscountCodeModel {
  /** Upper case, 3-32 of A-Z, 0-9, - and _. */
  code: string;
  /** Creation order: the cursor of Query.discountCodes. */
  seq: number;
  kind: DiscountKind;
  /** Percent 1-100 (PERCENTAGE) or minor units (FIXED_AMOUNT). */
  value: number;
  minimumSubtotal: number | null;
  startsAt: Date | null;
  endsAt: Date | null;
  usageLimit: number | null;
  usageLimitPerCustomer: number | null;
  /** Orders that use it now (= its rows in discount_redemptions). */
  timesUsed: number;
  createdAt: Date;
}
