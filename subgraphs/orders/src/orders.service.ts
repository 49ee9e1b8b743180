import { canAccess, requireViewer, type Viewer } from '@shop/auth';
import { forbidden } from '@shop/errors';
import { decodeCursor, encodeCursor, pageSize, toConnection, type Connection } from '@shop/graphql';
import {
  isOrderId,
  isUserId,
  type PayableReply,
  type PaymentEvent,
  type PaymentRefundedEvent,
  type ReserveItem,
  type ReserveReply,
} from '@shop/messaging';
import type { Logger } from '@shop/server';
import type { CartsService } from './carts.service';
import type { DiscountsService } from './discounts.service';
import { checkout, type CheckoutInput, type CheckoutResult, type UsersClient } from './orders.checkout';
import type { ShippingMethodModel, ShippingMethods } from './shipping';
import type { OrderItemModel, OrderModel, UserRef } from './models';
import {
  applyPaymentEvent,
  cancelOrder,
  expireDue,
  payable,
  type CancelOrderResult,
  type PaymentOutcome,
} from './orders.lifecycle';
import { placeOrder, type PlaceOrderInput, type PlaceOrderResult } from './orders.placing';
import {
  fulfillOrder,
  markOrderDelivered,
  type FulfillOrderInput,
  type FulfillOrderResult,
  type MarkOrderDeliveredResult,
} from './orders.fulfilment';
import { listAllOrders, type OrderFilterInput } from './orders.listing';
import type { OrdersRepository } from './orders.repository';
import type { AuditCounts, RefundsRepository } from './refunds.repository';
import {
  applyRefundedEvent,
  auditCharges,
  refundOrder,
  type AuditState,
  type RefundOrderResult,
  type RefundOutcome,
} from './orders.refunds';

export type {
  AuditCounts,
  AuditState,
  CancelOrderResult,
  CheckoutInput,
  CheckoutResult,
  PaymentOutcome,
  PlaceOrderInput,
  PlaceOrderResult,
  RefundOrderResult,
  RefundOutcome,
};

/** How the service reaches products (NATS in the app, a fake in unit tests). */
export interface ProductsClient {
  /** products.reserve; throws ServiceUnavailableError when products does not answer. */
  /** One line per variant; a line without variantId means the product's only variant. */
  reserve(orderId: string, items: ReserveItem[]): Promise<ReserveReply>;
  /** products.release; throws ServiceUnavailableError when products does not answer. */
  release(orderId: string): Promise<void>;
}

export interface OrdersServiceDeps {
  repository: OrdersRepository;
  /** Unmatched charges and the audit's counts (refunds.repository.ts). */
  refunds: RefundsRepository;
  /** The carts (carts.service.ts): Query.cart, the cart mutations, checkout's cart. */
  carts: CartsService;
  /** Discount codes (discounts.service.ts): their rules, uses taken at checkout, given back on cancel. */
  discounts: DiscountsService;
  /** The configured shipping methods (shipping.ts). */
  shipping: ShippingMethods;
  /** users.address: the address book checkout ships to. */
  users: UsersClient;
  products: ProductsClient;
  log: Logger;
  /** How long an order waits for payment before it is cancelled. */
  ttlSeconds: number;
  /**
   * How long an order stays payable once payments has asked for it (orders.payable): expiry waits
   * that long, so a charge in progress never races the expiry into a "paid but cancelled" order.
   */
  paymentLeaseSeconds?: number;
  /**
   * The hard deadline of an unpaid order, in seconds from placement: no payment lease reaches past
   * it (default: the larger of 2 × ttlSeconds and ttlSeconds + paymentLeaseSeconds).
   */
  maxOrderAgeSeconds?: number;
  maxCartLines: number;
  /** Largest quantity of one product in an order. */
  maxQuantity?: number;
  /** Largest order total, in minor units of its currency. */
  maxOrderTotal?: number;
  /** Most orders of one user waiting for payment at once. */
  maxUnpaidOrders?: number;
  /** How long a refund may take before the audit reports it (default 600 s). */
  refundGraceSeconds?: number;
  now?: () => Date;
}

/** The dependencies with their defaults: what the placing and lifecycle rules work with. */
export type OrdersDeps = Required<OrdersServiceDeps>;

const isCursor = (v: unknown): v is [number] =>
  Array.isArray(v) && v.length === 1 && Number.isSafeInteger(v[0]);

/**
 * The rules of ordering, who may see what included. Returns result unions for expected failures;
 * I/O goes through the repository. Placing lives in orders.placing.ts, everything after it
 * (cancel, expiry, payable, payment events) in orders.lifecycle.ts; the reads are here.
 */
export class OrdersService {
  private readonly deps: OrdersDeps;
  /** What the audit job found so far (runs, runs with disagreements, the last counts). */
  readonly audit: AuditState = { runs: 0, failedRuns: 0, last: null };
  /** The carts: reads, edits, live pricing and expiry (carts.service.ts). */
  readonly carts: CartsService;
  /** Discount codes: createDiscountCode, Query.discountCodes, applyDiscountCode, Cart.discount. */
  readonly discounts: DiscountsService;

  constructor(deps: OrdersServiceDeps) {
    this.carts = deps.carts;
    this.discounts = deps.discounts;
    const paymentLeaseSeconds = deps.paymentLeaseSeconds ?? 120;
    this.deps = {
      ...deps,
      paymentLeaseSeconds,
      maxOrderAgeSeconds:
        deps.maxOrderAgeSeconds ?? Math.max(2 * deps.ttlSeconds, deps.ttlSeconds + paymentLeaseSeconds),
      maxQuantity: deps.maxQuantity ?? 100,
      maxOrderTotal: deps.maxOrderTotal ?? 10_000_000,
      maxUnpaidOrders: deps.maxUnpaidOrders ?? 5,
      refundGraceSeconds: deps.refundGraceSeconds ?? 600,
      now: deps.now ?? (() => new Date()),
    };
  }

  // ---- reading: owner or admin ---------------------------------------------------------------

  /**
   * Query.order: needs a signed-in viewer; the order to its owner or an admin, else null. An id
   * that is not in the issued form (another letter case, braces, ...) names no order.
   */
  async orderFor(viewer: Viewer | null, id: string): Promise<OrderModel | null> {
    const [order] = await this.ordersFor(requireViewer(viewer), [id]);
    return order ?? null;
  }

  /**
   * A batch of orders (the loader behind Order references), in the order of `ids`: each one the
   * viewer owns (or any, for an admin), null for the rest and for missing ids, so other people's
   * orders read exactly like ids that do not exist. Anonymous viewers see none. Ids not in the
   * issued form are null without a query.
   */
  async ordersFor(viewer: Viewer | null, ids: readonly string[]): Promise<(OrderModel | null)[]> {
    const canonical = ids.filter(isOrderId);
    const rows = canonical.length === 0 ? [] : await this.deps.repository.findByIds(canonical);
    const byId = new Map(rows.map((o) => [o.id, o]));
    return ids.map((id) => {
      const order = byId.get(id);
      return order && canAccess(viewer, order.userId) ? order : null;
    });
  }

  /**
   * A User representation (orders only adds fields to users' entity): the stub for an id in the
   * issued form, null for anything else.
   */
  userReference(id: string | null): UserRef | null {
    return isUserId(id) ? { id } : null;
  }

  /**
   * The items of a batch of orders (one query), in the order of `orders`; an order the viewer may
   * not see has none.
   */
  async itemsFor(viewer: Viewer | null, orders: readonly OrderModel[]): Promise<OrderItemModel[][]> {
    const visible = orders.filter((o) => canAccess(viewer, o.userId)).map((o) => o.id);
    const rows = await this.deps.repository.itemsForOrders(visible);
    const byOrder = new Map<string, OrderItemModel[]>();
    for (const item of rows) {
      const list = byOrder.get(item.orderId) ?? [];
      list.push(item);
      byOrder.set(item.orderId, list);
    }
    return orders.map((o) => byOrder.get(o.id) ?? []);
  }

  /** A user's orders, newest first. Needs a viewer; only the user themself or an admin (else FORBIDDEN). */
  async listOrders(
    viewer: Viewer | null,
    userId: string,
    first: number | null | undefined,
    after: string | null | undefined,
  ): Promise<Connection<OrderModel>> {
    if (!canAccess(requireViewer(viewer), userId))
      throw forbidden("Only the user themself or an admin may list a user's orders");
    const limit = pageSize(first);
    const beforeSeq = after ? decodeCursor(after, isCursor)[0] : null;
    // An admin asking for a user id in another form: no such user, no orders, no query.
    if (!isUserId(userId)) return toConnection<OrderModel>([], limit, () => '', beforeSeq !== null);
    const rows = await this.deps.repository.listForUser(userId, limit + 1, beforeSeq);
    return toConnection(rows, limit, (o) => encodeCursor([o.seq]), beforeSeq !== null);
  }

  // ---- placing and after (orders.placing.ts, orders.lifecycle.ts) ----------------------------

  placeOrder(viewer: Viewer | null, input: PlaceOrderInput): Promise<PlaceOrderResult> {
    return placeOrder(this.deps, viewer, input);
  }

  /** checkout: signed-in customers; a cart becomes an order waiting for payment (orders.checkout.ts). */
  checkout(viewer: Viewer | null, input: CheckoutInput): Promise<CheckoutResult> {
    return checkout(this.deps, viewer, input);
  }

  /** Query.shippingMethods: the methods that deliver to a country (upper case, as issued), cheapest first. */
  shippingMethods(country: string): ShippingMethodModel[] {
    return this.deps.shipping.forCountry(country);
  }

  cancelOrder(viewer: Viewer | null, orderId: string): Promise<CancelOrderResult> {
    return cancelOrder(this.deps, viewer, orderId);
  }

  /** Cancels expired unpaid orders, at most `batch` per call; returns their ids. */
  expireDue(batch = 100): Promise<string[]> {
    return expireDue(this.deps, batch);
  }

  /** orders.payable: the NATS peer (payments) names the user; no viewer here. */
  payable(orderId: string, userId: string): Promise<PayableReply> {
    return payable(this.deps, orderId, userId);
  }

  applyPaymentEvent(event: PaymentEvent): Promise<PaymentOutcome> {
    return applyPaymentEvent(this.deps, event);
  }

  // ---- refunds (orders.refunds.ts) -----------------------------------------------------------

  /**
   * refundOrder: admins only; a PAID, FULFILLED or DELIVERED order becomes REFUNDED and its refund
   * is asked for, once.
   */
  refundOrder(viewer: Viewer | null, orderId: string): Promise<RefundOrderResult> {
    return refundOrder(this.deps, viewer, orderId);
  }

  /** payments.refunded: marks the unmatched charge or the refunded order (once). */
  applyRefundedEvent(event: PaymentRefundedEvent): Promise<RefundOutcome> {
    return applyRefundedEvent(this.deps, event);
  }

  /** One run of the audit job: counts charges and statuses that disagree, logs them at error. */
  auditCharges(): Promise<AuditCounts> {
    return auditCharges(this.deps, this.audit, this.deps.refundGraceSeconds);
  }

  // ---- after payment, and the admin list (orders.fulfilment.ts, orders.listing.ts) -----------

  /** fulfillOrder: admins only; PAID -> FULFILLED with carrier and tracking number (idempotent). */
  fulfillOrder(viewer: Viewer | null, input: FulfillOrderInput): Promise<FulfillOrderResult> {
    return fulfillOrder(this.deps, viewer, input);
  }

  /** markOrderDelivered: admins only; FULFILLED -> DELIVERED (idempotent). */
  markOrderDelivered(viewer: Viewer | null, orderId: string): Promise<MarkOrderDeliveredResult> {
    return markOrderDelivered(this.deps, viewer, orderId);
  }

  /** Query.orders: admins only; every customer's orders, filtered, newest first. */
  listAllOrders(
    viewer: Viewer | null,
    filter: OrderFilterInput | null | undefined,
    first: number | null | undefined,
    after: string | null | undefined,
  ): Promise<Connection<OrderModel>> {
    return listAllOrders(this.deps, viewer, filter, first, after);
  }
}
