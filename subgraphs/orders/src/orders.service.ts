import { createHash, randomUUID } from 'node:crypto';
import { canAccess, requireViewer, type Viewer } from '@shop/auth';
import { decodeCursor, encodeCursor, pageSize, toConnection, type Connection } from '@shop/graphql';
import {
  ServiceUnavailableError,
  type OrderCancelledEvent,
  type OrderPaidEvent,
  type PayableReply,
  type PaymentEvent,
  type ReserveReply,
} from '@shop/messaging';
import type { Logger } from '@shop/server';
import type { CancelReason, Money, OrderItemModel, OrderModel } from './models';
import { canTransition, isPayable, transition } from './order-state';
import {
  DuplicateIdempotencyKeyError,
  type NewItem,
  type OrdersRepository,
  type OrdersTx,
} from './orders.repository';

/** How the service reaches products (NATS in the app, a fake in unit tests). */
export interface ProductsClient {
  /** products.reserve; throws ServiceUnavailableError when products does not answer. */
  reserve(orderId: string, items: { productId: string; quantity: number }[]): Promise<ReserveReply>;
  /** products.release; throws ServiceUnavailableError when products does not answer. */
  release(orderId: string): Promise<void>;
}

export interface OrdersServiceOptions {
  ttlSeconds: number;
  /**
   * How long an order stays payable once payments has asked for it (orders.payable): expiry waits
   * that long, so a charge in progress never races the expiry into a "paid but cancelled" order.
   */
  paymentLeaseSeconds?: number;
  maxCartLines: number;
  /** Largest quantity of one product in an order. */
  maxQuantity?: number;
  now?: () => Date;
}

export interface PlaceOrderInput {
  items: { productId: string; quantity: number }[];
  idempotencyKey: string;
}

type OrderResult = OrderModel & { __typename: 'Order' };
const asResult = (order: OrderModel): OrderResult => ({ ...order, __typename: 'Order' });

export type PlaceOrderResult =
  | OrderResult
  | { __typename: 'EmptyCartError'; message: string }
  | { __typename: 'InvalidInputError'; message: string; field: string }
  | { __typename: 'UnknownProductError'; message: string; productId: string }
  | {
      __typename: 'InsufficientStockError';
      message: string;
      productId: string;
      requested: number;
      available: number;
    }
  | { __typename: 'IdempotencyKeyReusedError'; message: string; orderId: string }
  | { __typename: 'ProductsUnavailableError'; message: string };

export type CancelOrderResult =
  | OrderResult
  | { __typename: 'OrderNotFoundError'; message: string; orderId: string }
  | { __typename: 'OrderNotCancellableError'; message: string; status: OrderModel['status'] };

/** What applying a payment event did (recorded with the event id). */
export type PaymentOutcome =
  | 'DUPLICATE'
  | 'ORDER_NOT_FOUND'
  | 'PAID'
  | 'ALREADY_PAID'
  | 'PAID_AFTER_CANCEL'
  | 'AMOUNT_MISMATCH'
  | 'FAILURE_RECORDED';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,128}$/;
const PRODUCT_ID = /^.{1,64}$/s;
const isCursor = (v: unknown): v is [number] =>
  Array.isArray(v) && v.length === 1 && Number.isSafeInteger(v[0]);

/** The rules of ordering. Returns result unions for expected failures; I/O goes through the repository. */
export class OrdersService {
  private readonly now: () => Date;
  private readonly maxQuantity: number;

  constructor(
    private readonly repo: OrdersRepository,
    private readonly products: ProductsClient,
    private readonly options: OrdersServiceOptions,
    private readonly log: Logger,
  ) {
    this.now = options.now ?? (() => new Date());
    this.maxQuantity = options.maxQuantity ?? 100;
  }

  // ---- placing ---------------------------------------------------------------------------------

  async placeOrder(viewerOrNull: Viewer | null, input: PlaceOrderInput): Promise<PlaceOrderResult> {
    const viewer = requireViewer(viewerOrNull);
    const checked = this.validate(input);
    if ('__typename' in checked) return checked;
    const { lines, fingerprint } = checked;

    const existing = await this.repo.findByIdempotencyKey(viewer.id, input.idempotencyKey);
    if (existing) return this.replay(existing, fingerprint);

    // The id exists before products hears of the order, so a retried reserve is idempotent.
    const orderId = randomUUID();
    let reply: ReserveReply;
    try {
      reply = await this.products.reserve(orderId, lines);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableError)) throw error;
      // products may still reserve after the timeout (a slow or frozen process): give it back.
      await this.releaseReservation(orderId, viewer.id, lines);
      return {
        __typename: 'ProductsUnavailableError',
        message: 'The products service did not answer; nothing was ordered. Try again.',
      };
    }
    if (!reply.ok) return this.reserveRefusal(reply, lines);

    let items: NewItem[] | null;
    try {
      items = this.snapshot(lines, reply.lines);
    } catch (error) {
      await this.releaseReservation(orderId, viewer.id, lines);
      throw error;
    }
    if (!items) {
      await this.releaseReservation(orderId, viewer.id, lines);
      return {
        __typename: 'InvalidInputError',
        message: 'All items of an order must be priced in one currency.',
        field: 'items',
      };
    }
    const createdAt = this.now();
    const total: Money = {
      amount: items.reduce((sum, i) => sum + i.lineTotal.amount, 0),
      currency: items[0]!.unitPrice.currency,
    };
    try {
      await this.repo.transaction((tx) =>
        tx.insertOrder(
          {
            id: orderId,
            userId: viewer.id,
            status: 'PENDING_PAYMENT',
            total,
            idempotencyKey: input.idempotencyKey,
            fingerprint,
            createdAt,
            expiresAt: new Date(createdAt.getTime() + this.options.ttlSeconds * 1000),
          },
          items,
        ),
      );
    } catch (error) {
      await this.releaseReservation(orderId, viewer.id, lines);
      if (error instanceof DuplicateIdempotencyKeyError) {
        const winner = await this.repo.findByIdempotencyKey(viewer.id, input.idempotencyKey);
        if (winner) return this.replay(winner, fingerprint);
      }
      throw error;
    }
    const order = await this.repo.findById(orderId);
    if (!order) throw new Error(`order ${orderId} vanished after insert`);
    this.log.info({ orderId, number: order.number, lines: items.length }, 'order placed');
    return asResult(order);
  }

  /** Shape checks: empty, too many lines, quantities, key. Merges lines of the same product. */
  private validate(
    input: PlaceOrderInput,
  ):
    | { lines: { productId: string; quantity: number }[]; fingerprint: string }
    | Extract<PlaceOrderResult, { __typename: 'EmptyCartError' | 'InvalidInputError' }> {
    if (!IDEMPOTENCY_KEY.test(input.idempotencyKey)) {
      return invalid('idempotencyKey must be 1-128 letters, digits or - _ . :', 'idempotencyKey');
    }
    if (input.items.length === 0)
      return { __typename: 'EmptyCartError', message: 'An order needs at least one item.' };
    const merged = new Map<string, number>();
    for (const [i, item] of input.items.entries()) {
      if (!PRODUCT_ID.test(item.productId))
        return invalid('productId must be 1-64 characters', `items.${i}.productId`);
      if (!Number.isInteger(item.quantity) || item.quantity < 1) {
        return invalid('quantity must be at least 1', `items.${i}.quantity`);
      }
      merged.set(item.productId, (merged.get(item.productId) ?? 0) + item.quantity);
    }
    if (merged.size > this.options.maxCartLines) {
      return invalid(`An order can hold at most ${this.options.maxCartLines} different products.`, 'items');
    }
    for (const [productId, quantity] of merged) {
      if (quantity > this.maxQuantity) {
        const index = input.items.findIndex((item) => item.productId === productId);
        return invalid(
          `At most ${this.maxQuantity} units of one product per order.`,
          `items.${index}.quantity`,
        );
      }
    }
    const lines = [...merged].map(([productId, quantity]) => ({ productId, quantity }));
    return { lines, fingerprint: fingerprintOf(lines) };
  }

  private replay(existing: OrderModel, fingerprint: string): PlaceOrderResult {
    if (existing.fingerprint === fingerprint) return asResult(existing);
    return {
      __typename: 'IdempotencyKeyReusedError',
      message: 'This idempotency key was already used for an order with other items.',
      orderId: existing.id,
    };
  }

  private reserveRefusal(
    reply: Extract<ReserveReply, { ok: false }>,
    lines: { productId: string; quantity: number }[],
  ): PlaceOrderResult {
    const productId = reply.productId ?? '';
    if (reply.code === 'NOT_FOUND') {
      return { __typename: 'UnknownProductError', message: `No product with id ${productId}.`, productId };
    }
    if (reply.code === 'OUT_OF_STOCK') {
      const requested = reply.requested ?? lines.find((l) => l.productId === productId)?.quantity ?? 0;
      const available = reply.available ?? 0;
      return {
        __typename: 'InsufficientStockError',
        message: `Only ${available} of product ${productId} in stock, ${requested} requested.`,
        productId,
        requested,
        available,
      };
    }
    throw new Error(`products refused the reserve request: ${reply.message}`);
  }

  /** Price snapshots for the requested lines; null when the lines are priced in several currencies. */
  private snapshot(
    lines: { productId: string; quantity: number }[],
    reserved: Extract<ReserveReply, { ok: true }>['lines'],
  ): NewItem[] | null {
    const byId = new Map(reserved.map((l) => [l.productId, l]));
    const items = lines.map((line, position): NewItem => {
      const r = byId.get(line.productId);
      if (!r || r.quantity !== line.quantity)
        throw new Error(`products reserved something else for ${line.productId}`);
      return {
        position,
        productId: line.productId,
        sku: r.sku,
        productName: r.name,
        quantity: line.quantity,
        unitPrice: r.unitPrice,
        lineTotal: { amount: r.unitPrice.amount * line.quantity, currency: r.unitPrice.currency },
      };
    });
    const currencies = new Set(items.map((i) => i.unitPrice.currency));
    return currencies.size === 1 ? items : null;
  }

  /**
   * Gives back the reservation of an order that was not stored. Durably, through the outbox: an
   * orders.cancelled row (reason NOT_PLACED) that the relay publishes and products applies whenever
   * it gets to it. A direct products.release could time out just like the reserve did, leaving the
   * stock taken for ever; products records a release that arrives before a late reserve, so that
   * reserve then takes nothing. Only when MySQL itself fails do we fall back to asking directly.
   */
  private async releaseReservation(
    orderId: string,
    userId: string,
    lines: { productId: string; quantity: number }[],
  ): Promise<void> {
    const at = this.now();
    const eventId = randomUUID();
    const payload: OrderCancelledEvent = {
      eventId,
      orderId,
      userId,
      reason: 'NOT_PLACED',
      items: lines.map((l) => ({ productId: l.productId, quantity: l.quantity })),
      cancelledAt: at.toISOString(),
    };
    try {
      await this.repo.transaction((tx) =>
        tx.insertOutbox([{ eventId, kind: 'orders.cancelled', payload, createdAt: at }]),
      );
    } catch (error) {
      this.log.error(
        { err: error, orderId },
        'could not queue the release of a reservation; asking products directly',
      );
      await this.products.release(orderId).catch((releaseError: unknown) => {
        this.log.error(
          { err: releaseError, orderId },
          'could not release a reservation; its stock stays taken',
        );
      });
    }
  }

  // ---- reading ---------------------------------------------------------------------------------

  /** A user's orders, newest first. Only the user themself or an admin (else FORBIDDEN). */
  async listOrders(
    userId: string,
    first: number | null | undefined,
    after: string | null | undefined,
  ): Promise<Connection<OrderModel>> {
    const limit = pageSize(first);
    const beforeSeq = after ? decodeCursor(after, isCursor)[0] : null;
    const rows = await this.repo.listForUser(userId, limit + 1, beforeSeq);
    return toConnection(rows, limit, (o) => encodeCursor([o.seq]), beforeSeq !== null);
  }

  /**
   * orders.payable: may this user pay this order, and how much. A yes also extends the order's
   * expiry to at least now + paymentLeaseSeconds (under the row lock), so the order cannot expire
   * while payments charges the card.
   */
  async payable(orderId: string, userId: string): Promise<PayableReply> {
    return this.repo.transaction(async (tx): Promise<PayableReply> => {
      const order = await tx.lockOrder(orderId);
      if (!order) return { ok: false, code: 'NOT_FOUND', message: `no order ${orderId}` };
      if (order.userId !== userId)
        return { ok: false, code: 'FORBIDDEN', message: 'the order belongs to another user' };
      if (!isPayable(order.status)) {
        return {
          ok: false,
          code: 'NOT_PAYABLE',
          message: `the order is ${order.status}`,
          status: order.status,
        };
      }
      const now = this.now().getTime();
      if (order.expiresAt.getTime() <= now) {
        return { ok: false, code: 'NOT_PAYABLE', message: 'the order has expired', status: order.status };
      }
      await tx.extendExpiry(order.id, new Date(now + (this.options.paymentLeaseSeconds ?? 120) * 1000));
      return { ok: true, orderId: order.id, userId: order.userId, amount: order.total, status: order.status };
    });
  }

  // ---- cancelling ------------------------------------------------------------------------------

  /** Cancels the viewer's own unpaid order (admins: any). Others' orders read as not found. */
  async cancelOrder(viewerOrNull: Viewer | null, orderId: string): Promise<CancelOrderResult> {
    const viewer = requireViewer(viewerOrNull);
    const result = await this.repo.transaction(async (tx): Promise<CancelOrderResult> => {
      const order = await tx.lockOrder(orderId);
      if (!order || !canAccess(viewer, order.userId)) {
        return { __typename: 'OrderNotFoundError', message: `No order ${orderId}.`, orderId };
      }
      if (!canTransition(order.status, 'CANCELLED')) {
        return {
          __typename: 'OrderNotCancellableError',
          message: `The order is ${order.status} and cannot be cancelled.`,
          status: order.status,
        };
      }
      const [cancelled] = await this.cancelLocked(tx, [order], 'CANCELLED_BY_USER');
      return asResult(cancelled!);
    });
    if (result.__typename === 'Order') this.log.info({ orderId }, 'order cancelled by the customer');
    return result;
  }

  /**
   * Cancels expired unpaid orders, at most `batch` per call, in one transaction with their
   * orders.cancelled outbox rows. Rows locked by another instance are skipped. Returns the ids.
   */
  async expireDue(batch = 100): Promise<string[]> {
    const ids = await this.repo.transaction(async (tx) => {
      const due = await tx.lockExpired(this.now(), batch);
      const cancelled = await this.cancelLocked(tx, due, 'EXPIRED');
      return cancelled.map((o) => o.id);
    });
    if (ids.length > 0) this.log.info({ count: ids.length }, 'expired unpaid orders');
    return ids;
  }

  /** Moves locked orders to CANCELLED and writes their outbox rows (same transaction). */
  private async cancelLocked(
    tx: OrdersTx,
    orders: OrderModel[],
    reason: CancelReason,
  ): Promise<OrderModel[]> {
    if (orders.length === 0) return [];
    const at = this.now();
    const cancelled = orders.map((o) => ({
      ...o,
      status: transition(o.status, 'CANCELLED'),
      cancelledAt: at,
    }));
    const items = await tx.itemsFor(cancelled.map((o) => o.id));
    await tx.markCancelled(
      cancelled.map((o) => o.id),
      reason,
      at,
    );
    await tx.insertOutbox(
      cancelled.map((o) => {
        const eventId = randomUUID();
        const payload: OrderCancelledEvent = {
          eventId,
          orderId: o.id,
          userId: o.userId,
          reason,
          items: items
            .filter((i) => i.orderId === o.id)
            .map((i) => ({ productId: i.productId, quantity: i.quantity })),
          cancelledAt: at.toISOString(),
        };
        return { eventId, kind: 'orders.cancelled' as const, payload, createdAt: at };
      }),
    );
    return cancelled;
  }

  // ---- payment events --------------------------------------------------------------------------

  /**
   * Applies payments.succeeded / payments.failed in one transaction: the event id is recorded
   * (a redelivered event is a no-op), the order moves to PAID with an orders.paid outbox row, or
   * the failure is recorded and the order stays payable.
   */
  async applyPaymentEvent(event: PaymentEvent): Promise<PaymentOutcome> {
    const outcome = await this.repo.transaction(async (tx): Promise<PaymentOutcome> => {
      const at = this.now();
      const fresh = await tx.recordEvent(event.eventId, event.orderId, `payment.${event.status}`, at);
      if (!fresh) return 'DUPLICATE';
      const order = await tx.lockOrder(event.orderId);
      const decided = await this.decidePayment(tx, event, order, at);
      await tx.setEventOutcome(event.eventId, decided);
      return decided;
    });
    const level =
      outcome === 'PAID' || outcome === 'FAILURE_RECORDED' || outcome === 'DUPLICATE' ? 'info' : 'warn';
    this.log[level](
      { eventId: event.eventId, orderId: event.orderId, paymentId: event.paymentId, outcome },
      'payment event applied',
    );
    return outcome;
  }

  private async decidePayment(
    tx: OrdersTx,
    event: PaymentEvent,
    order: OrderModel | null,
    at: Date,
  ): Promise<PaymentOutcome> {
    if (!order) return 'ORDER_NOT_FOUND';
    if (event.status === 'FAILED') {
      if (order.status === 'PENDING_PAYMENT')
        await tx.recordPaymentFailure(order.id, event.failureReason ?? 'payment failed');
      return 'FAILURE_RECORDED';
    }
    if (order.status === 'PAID') return 'ALREADY_PAID';
    // Money was taken for an order that already expired or was cancelled. Recorded, nothing emitted;
    // the right follow-up is a refund (payments.refund), which is out of scope here.
    if (order.status === 'CANCELLED') return 'PAID_AFTER_CANCEL';
    if (event.amount.amount !== order.total.amount || event.amount.currency !== order.total.currency)
      return 'AMOUNT_MISMATCH';
    transition(order.status, 'PAID');
    const items = await tx.itemsFor([order.id]);
    await tx.markPaid(order.id, event.paymentId, at);
    const eventId = randomUUID();
    const payload: OrderPaidEvent = {
      eventId,
      orderId: order.id,
      orderNumber: order.number,
      userId: order.userId,
      paymentId: event.paymentId,
      total: order.total,
      items: items.map(toEventItem),
      paidAt: at.toISOString(),
    };
    await tx.insertOutbox([{ eventId, kind: 'orders.paid', payload, createdAt: at }]);
    return 'PAID';
  }
}

const invalid = (message: string, field: string) => ({
  __typename: 'InvalidInputError' as const,
  message,
  field,
});

const toEventItem = (i: OrderItemModel) => ({
  productId: i.productId,
  name: i.productName,
  quantity: i.quantity,
  unitPrice: i.unitPrice,
  lineTotal: i.lineTotal,
});

/** The same items in any order give the same fingerprint. */
export function fingerprintOf(lines: { productId: string; quantity: number }[]): string {
  const canonical = [...lines].sort((a, b) =>
    a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0,
  );
  return createHash('sha256')
    .update(JSON.stringify(canonical.map((l) => [l.productId, l.quantity])))
    .digest('hex');
}
