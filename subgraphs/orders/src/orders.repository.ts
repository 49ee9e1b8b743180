import type { Db, Sql } from './db';
import { isDuplicateKey } from './db';
import type { CancelReason, OrderItemModel, OrderModel, OrderStatus } from './models';
import {
  checkoutValues,
  CHECKOUT_COLUMNS,
  ITEM_COLUMNS,
  ORDER_COLUMNS,
  toItem,
  toOrder,
  type ItemRow,
  type OrderRow,
} from './orders.rows';
import { RefundsTx } from './refunds.repository';

/**
 * Every MySQL statement of the orders aggregate (orders, items, applied events, outbox); the refund
 * statements are in refunds.repository.ts (OrdersTx extends its RefundsTx: one transaction), the
 * rows and their mapping in orders.rows.ts.
 */

/** A new order as the service builds it (seq and number come from the database). */
export type NewOrder = Omit<
  OrderModel,
  | 'seq'
  | 'number'
  | 'paidAt'
  | 'cancelledAt'
  | 'paymentId'
  | 'paymentLeaseUntil'
  | 'refundRequestedAt'
  | 'refundedAt'
  | 'fulfilledAt'
  | 'deliveredAt'
  | 'carrier'
  | 'trackingNumber'
>;
export type NewItem = Omit<OrderItemModel, 'orderId'>;

/** The user already has an order with this idempotency key (a concurrent placeOrder won). */
export class DuplicateIdempotencyKeyError extends Error {
  constructor() {
    super('idempotency key already used');
    this.name = 'DuplicateIdempotencyKeyError';
  }
}

export type OutboxKind =
  | 'orders.paid'
  | 'orders.cancelled'
  | 'orders.refund_requested'
  | 'orders.refunded'
  | 'orders.fulfilled'
  | 'orders.delivered'
  | 'orders.placed';
export interface OutboxRow {
  seq: number;
  eventId: string;
  kind: OutboxKind;
  payload: unknown;
}

/** The statements that run inside one transaction (row locks held until commit), refunds' included. */
export class OrdersTx extends RefundsTx {
  /** True once this transaction inserted an outbox row (the repository signals after the commit). */
  wroteOutbox = false;

  /** Locks and returns an order (SELECT ... FOR UPDATE). */
  async lockOrder(id: string): Promise<OrderModel | null> {
    const rows = await this.sql.rows<OrderRow>(
      `SELECT ${ORDER_COLUMNS} FROM orders WHERE id = ? FOR UPDATE`,
      [id],
    );
    return rows[0] ? toOrder(rows[0]) : null;
  }

  /**
   * Locks up to `limit` expired unpaid orders, skipping rows another instance holds. An order whose
   * payment lease still runs is not expired (a lease always moves expires_at with it; this is the
   * second guard).
   */
  async lockExpired(now: Date, limit: number): Promise<OrderModel[]> {
    const rows = await this.sql.rows<OrderRow>(
      `SELECT ${ORDER_COLUMNS} FROM orders WHERE status = 'PENDING_PAYMENT' AND expires_at <= ?
         AND (payment_lease_until IS NULL OR payment_lease_until <= ?)
       ORDER BY expires_at LIMIT ? FOR UPDATE SKIP LOCKED`,
      [now, now, limit],
    );
    return rows.map(toOrder);
  }

  /**
   * Locks the user's placing row (SELECT ... FOR UPDATE): placeOrders of one user run their count
   * of unpaid orders and their insert one after the other. The row must exist (ensureUser).
   */
  async lockUser(userId: string): Promise<void> {
    const rows = await this.sql.rows<{ user_id: string }>(
      'SELECT user_id FROM order_users WHERE user_id = ? FOR UPDATE',
      [userId],
    );
    if (rows.length !== 1) throw new Error(`no placing row for user ${userId}; call ensureUser first`);
  }

  /** How many of the user's orders wait for payment (read under lockUser for an exact count). */
  countUnpaid(userId: string): Promise<number> {
    return countUnpaid(this.sql, userId);
  }

  findByIdempotencyKey(userId: string, key: string): Promise<OrderModel | null> {
    return findByIdempotencyKey(this.sql, userId, key);
  }

  itemsFor(orderIds: string[]): Promise<OrderItemModel[]> {
    return itemsFor(this.sql, orderIds);
  }

  /** Inserts an order and its items; returns its seq (the order number's source, orderNumber). */
  async insertOrder(order: NewOrder, items: NewItem[]): Promise<number> {
    let seq: number;
    try {
      ({ insertId: seq } = await this.sql.run(
        `INSERT INTO orders (id, user_id, status, currency, total_amount, idempotency_key, fingerprint, created_at, expires_at,
           ${CHECKOUT_COLUMNS})
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          order.id,
          order.userId,
          order.status,
          order.total.currency,
          order.total.amount,
          order.idempotencyKey,
          order.fingerprint,
          order.createdAt,
          order.expiresAt,
          ...checkoutValues(order),
        ],
      ));
    } catch (error) {
      if (isDuplicateKey(error)) throw new DuplicateIdempotencyKeyError();
      throw error;
    }
    await this.sql.run(`INSERT INTO order_items (${ITEM_COLUMNS}) VALUES ?`, [
      items.map((i) => [
        order.id,
        i.position,
        i.productId,
        i.variantId,
        i.sku,
        i.productName,
        i.variantTitle,
        i.quantity,
        i.unitPrice.amount,
        i.lineTotal.amount,
        i.unitPrice.currency,
      ]),
    ]);
    return seq;
  }

  /**
   * Grants a payment lease until `until`: the lease and the expiry of the unpaid order move to at
   * least `until` (never earlier).
   */
  async grantLease(id: string, until: Date): Promise<void> {
    await this.sql.run(
      `UPDATE orders SET payment_lease_until = GREATEST(COALESCE(payment_lease_until, ?), ?),
         expires_at = GREATEST(expires_at, ?)
       WHERE id = ? AND status = 'PENDING_PAYMENT'`,
      [until, until, until, id],
    );
  }

  async markPaid(id: string, paymentId: string, paidAt: Date): Promise<void> {
    await this.sql.run(`UPDATE orders SET status = 'PAID', paid_at = ?, payment_id = ? WHERE id = ?`, [
      paidAt,
      paymentId,
      id,
    ]);
  }

  async markCancelled(ids: string[], reason: CancelReason, cancelledAt: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.sql.run(
      `UPDATE orders SET status = 'CANCELLED', cancelled_at = ?, cancel_reason = ? WHERE id IN (?)`,
      [cancelledAt, reason, ids],
    );
  }

  async recordPaymentFailure(id: string, reason: string): Promise<void> {
    await this.sql.run('UPDATE orders SET last_payment_failure = ? WHERE id = ?', [reason.slice(0, 500), id]);
  }

  /**
   * Records that an event was applied. False when it already was (the unique key makes a
   * redelivered event a no-op).
   */
  async recordEvent(eventId: string, orderId: string, kind: string, at: Date): Promise<boolean> {
    const result = await this.sql.run(
      'INSERT IGNORE INTO applied_events (event_id, order_id, kind, applied_at) VALUES (?, ?, ?, ?)',
      [eventId, orderId, kind, at],
    );
    return result.affectedRows === 1;
  }

  async setEventOutcome(eventId: string, outcome: string): Promise<void> {
    await this.sql.run('UPDATE applied_events SET outcome = ? WHERE event_id = ?', [outcome, eventId]);
  }

  async insertOutbox(
    rows: { eventId: string; kind: OutboxKind; payload: unknown; createdAt: Date }[],
  ): Promise<void> {
    if (rows.length === 0) return;
    this.wroteOutbox = true;
    await this.sql.run('INSERT INTO outbox (event_id, kind, payload, created_at) VALUES ?', [
      rows.map((r) => [r.eventId, r.kind, JSON.stringify(r.payload), r.createdAt]),
    ]);
  }

  /** Locks up to `limit` unsent outbox rows, oldest first, skipping rows another relay holds. */
  async lockUnsentOutbox(limit: number): Promise<OutboxRow[]> {
    const rows = await this.sql.rows<{ seq: number; event_id: string; kind: OutboxKind; payload: string }>(
      'SELECT seq, event_id, kind, payload FROM outbox WHERE sent_at IS NULL ORDER BY seq LIMIT ? FOR UPDATE SKIP LOCKED',
      [limit],
    );
    return rows.map((r) => ({
      seq: Number(r.seq),
      eventId: r.event_id,
      kind: r.kind,
      payload: JSON.parse(r.payload),
    }));
  }

  async markOutboxSent(seqs: number[], sentAt: Date): Promise<void> {
    if (seqs.length === 0) return;
    await this.sql.run('UPDATE outbox SET sent_at = ? WHERE seq IN (?)', [sentAt, seqs]);
  }

  // ---- fulfilment (orders.fulfilment.ts) ----------------------------------------------------

  /** PAID -> FULFILLED with its carrier and tracking number (only from PAID); true when it moved. */
  async markFulfilled(id: string, carrier: string, trackingNumber: string, at: Date): Promise<boolean> {
    const result = await this.sql.run(
      `UPDATE orders SET status = 'FULFILLED', fulfilled_at = ?, carrier = ?, tracking_number = ?
       WHERE id = ? AND status = 'PAID'`,
      [at, carrier, trackingNumber, id],
    );
    return result.affectedRows === 1;
  }

  /** FULFILLED -> DELIVERED (only from FULFILLED); true when it moved. */
  async markDelivered(id: string, at: Date): Promise<boolean> {
    const result = await this.sql.run(
      `UPDATE orders SET status = 'DELIVERED', delivered_at = ? WHERE id = ? AND status = 'FULFILLED'`,
      [at, id],
    );
    return result.affectedRows === 1;
  }
}

async function countUnpaid(sql: Sql, userId: string): Promise<number> {
  const [row] = await sql.rows<{ n: number }>(
    "SELECT COUNT(*) AS n FROM orders WHERE user_id = ? AND status = 'PENDING_PAYMENT'",
    [userId],
  );
  return Number(row?.n ?? 0);
}

async function findByIdempotencyKey(sql: Sql, userId: string, key: string): Promise<OrderModel | null> {
  const rows = await sql.rows<OrderRow>(
    `SELECT ${ORDER_COLUMNS} FROM orders WHERE user_id = ? AND idempotency_key = ?`,
    [userId, key],
  );
  return rows[0] ? toOrder(rows[0]) : null;
}

async function itemsFor(sql: Sql, orderIds: string[]): Promise<OrderItemModel[]> {
  if (orderIds.length === 0) return [];
  const rows = await sql.rows<ItemRow>(
    `SELECT ${ITEM_COLUMNS} FROM order_items WHERE order_id IN (?) ORDER BY order_id, position`,
    [orderIds],
  );
  return rows.map(toItem);
}

export interface OrdersRepositoryDeps {
  db: Db;
}

export class OrdersRepository {
  private readonly outboxListeners = new Set<() => void>();
  private readonly db: Db;

  constructor(deps: OrdersRepositoryDeps) {
    this.db = deps.db;
  }

  /**
   * Runs fn in one MySQL transaction. When it committed an outbox row, the outbox listeners are
   * told at once (the relay of this process wakes up instead of waiting for its next poll).
   */
  async transaction<T>(fn: (tx: OrdersTx) => Promise<T>): Promise<T> {
    let wroteOutbox = false;
    const result = await this.db.transaction(async (sql) => {
      const tx = new OrdersTx(sql);
      const value = await fn(tx);
      wroteOutbox = tx.wroteOutbox;
      return value;
    });
    if (wroteOutbox) for (const listener of this.outboxListeners) listener();
    return result;
  }

  /** Calls listener after every commit that wrote an outbox row; returns the unsubscribe. */
  onOutboxCommit(listener: () => void): () => void {
    this.outboxListeners.add(listener);
    return () => this.outboxListeners.delete(listener);
  }

  async findById(id: string): Promise<OrderModel | null> {
    const [order] = await this.findByIds([id]);
    return order ?? null;
  }

  /** One query for a batch of ids (the DataLoader's batch function). */
  async findByIds(ids: readonly string[]): Promise<OrderModel[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.rows<OrderRow>(`SELECT ${ORDER_COLUMNS} FROM orders WHERE id IN (?)`, [
      [...ids],
    ]);
    return rows.map(toOrder);
  }

  findByIdempotencyKey(userId: string, key: string): Promise<OrderModel | null> {
    return findByIdempotencyKey(this.db, userId, key);
  }

  /** How many of the user's orders wait for payment (a first check, without a lock). */
  countUnpaid(userId: string): Promise<number> {
    return countUnpaid(this.db, userId);
  }

  /** Creates the user's placing row if it is missing (in its own statement, before the transaction). */
  async ensureUser(userId: string): Promise<void> {
    await this.db.run('INSERT IGNORE INTO order_users (user_id) VALUES (?)', [userId]);
  }

  /** A user's orders, newest first, after the order with sequence `beforeSeq` (exclusive). */
  async listForUser(userId: string, limit: number, beforeSeq: number | null): Promise<OrderModel[]> {
    const rows = await this.db.rows<OrderRow>(
      `SELECT ${ORDER_COLUMNS} FROM orders WHERE user_id = ? ${beforeSeq === null ? '' : 'AND seq < ?'}
       ORDER BY seq DESC LIMIT ?`,
      beforeSeq === null ? [userId, limit] : [userId, beforeSeq, limit],
    );
    return rows.map(toOrder);
  }

  /** One query for the items of a batch of orders. */
  itemsForOrders(orderIds: readonly string[]): Promise<OrderItemModel[]> {
    return itemsFor(this.db, [...orderIds]);
  }

  /** For tests and operators: the outbox rows not yet published. */
  async countUnsentOutbox(): Promise<number> {
    const [row] = await this.db.rows<{ n: number }>('SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL');
    return Number(row?.n ?? 0);
  }

  // ---- the admin list (orders.listing.ts) ---------------------------------------------------

  /**
   * Every customer's orders matching `filter`, newest first (by seq), after the order with sequence
   * `beforeSeq` (exclusive). placedFrom is inclusive, placedTo exclusive.
   */
  async listAll(filter: OrderListFilter, limit: number, beforeSeq: number | null): Promise<OrderModel[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (condition: string, value: unknown) => {
      where.push(condition);
      params.push(value);
    };
    if (filter.status !== undefined) add('status = ?', filter.status);
    if (filter.userId !== undefined) add('user_id = ?', filter.userId);
    if (filter.placedFrom !== undefined) add('created_at >= ?', filter.placedFrom);
    if (filter.placedTo !== undefined) add('created_at < ?', filter.placedTo);
    if (beforeSeq !== null) add('seq < ?', beforeSeq);
    const rows = await this.db.rows<OrderRow>(
      `SELECT ${ORDER_COLUMNS} FROM orders ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
       ORDER BY seq DESC LIMIT ?`,
      [...params, limit],
    );
    return rows.map(toOrder);
  }
}

/** The conditions of the admin list; each given one must hold (validated by the service). */
export interface OrderListFilter {
  status?: OrderStatus;
  userId?: string;
  placedFrom?: Date;
  placedTo?: Date;
}
