import type { Db, Sql } from './db';
import type { OrderStatus, UnmatchedChargeModel, UnmatchedChargeReason } from './models';
import { PAID_STATUSES } from './order-state';

/**
 * Every MySQL statement of refunds: unmatched charges (successful charges that paid nothing), the
 * REFUNDED order's request and confirmation, and the charge audit. The statements that must run in
 * an order's transaction are on RefundsTx, which OrdersTx extends (one transaction, one lock set).
 */

interface UnmatchedChargeRow {
  payment_id: string;
  order_id: string;
  user_id: string;
  reason: UnmatchedChargeReason;
  amount: number;
  currency: string;
  order_status: OrderStatus | 'NONE';
  recorded_at: Date;
  refunded_at: Date | null;
}

/** The refund statements inside one orders transaction (OrdersTx adds the orders' own). */
export class RefundsTx {
  constructor(protected readonly sql: Sql) {}

  /**
   * Records a successful charge that paid nothing (once per payment id). True when this call wrote
   * the row (false: that payment was already recorded).
   */
  async recordUnmatchedCharge(charge: Omit<UnmatchedChargeModel, 'refundedAt'>): Promise<boolean> {
    const result = await this.sql.run(
      `INSERT IGNORE INTO unmatched_charges
         (payment_id, order_id, user_id, reason, amount, currency, order_status, recorded_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        charge.paymentId,
        charge.orderId,
        charge.userId,
        charge.reason,
        charge.amount.amount,
        charge.amount.currency,
        charge.orderStatus,
        charge.recordedAt,
      ],
    );
    return result.affectedRows === 1;
  }

  /** Sets refunded_at of an unmatched charge once; true when this call set it. */
  async markChargeRefunded(paymentId: string, at: Date): Promise<boolean> {
    const result = await this.sql.run(
      'UPDATE unmatched_charges SET refunded_at = ? WHERE payment_id = ? AND refunded_at IS NULL',
      [at, paymentId],
    );
    return result.affectedRows === 1;
  }

  /**
   * PAID, FULFILLED or DELIVERED -> REFUNDED, the refund asked for at `at` (from those only: a second
   * call changes nothing).
   */
  async markRefundRequested(id: string, at: Date): Promise<boolean> {
    const result = await this.sql.run(
      `UPDATE orders SET status = 'REFUNDED', refund_requested_at = ? WHERE id = ? AND status IN (?)`,
      [at, id, PAID_STATUSES],
    );
    return result.affectedRows === 1;
  }

  /** The refund of a REFUNDED order confirmed (once): refunded_at and the refund's id. */
  async markOrderRefunded(id: string, refundId: string, at: Date): Promise<boolean> {
    const result = await this.sql.run(
      `UPDATE orders SET refunded_at = ?, refund_id = ? WHERE id = ? AND status = 'REFUNDED' AND refunded_at IS NULL`,
      [at, refundId, id],
    );
    return result.affectedRows === 1;
  }
}

/** Disagreements between an order's charges and its status, as far as orders can see them. */
export interface AuditCounts {
  /** Successful charges that paid nothing and are still not refunded after the grace period. */
  unrefundedCharges: number;
  /** REFUNDED orders whose refund payments has not confirmed after the grace period. */
  unconfirmedRefunds: number;
  /** Paid orders (PAID, FULFILLED, DELIVERED) or REFUNDED ones without a payment id. */
  paidWithoutPayment: number;
}

export interface RefundsRepositoryDeps {
  db: Db;
}

/** The refund reads outside a transaction: unmatched charges and the audit's counts. */
export class RefundsRepository {
  private readonly db: Db;

  constructor(deps: RefundsRepositoryDeps) {
    this.db = deps.db;
  }

  /** Successful charges that paid nothing, oldest first (of one order, or all): what is to be refunded. */
  async unmatchedCharges(orderId?: string): Promise<UnmatchedChargeModel[]> {
    const rows = await this.db.rows<UnmatchedChargeRow>(
      `SELECT payment_id, order_id, user_id, reason, amount, currency, order_status, recorded_at, refunded_at
       FROM unmatched_charges ${orderId === undefined ? '' : 'WHERE order_id = ?'} ORDER BY recorded_at, payment_id`,
      orderId === undefined ? [] : [orderId],
    );
    return rows.map((r) => ({
      paymentId: r.payment_id,
      orderId: r.order_id,
      userId: r.user_id,
      reason: r.reason,
      amount: { amount: Number(r.amount), currency: r.currency },
      orderStatus: r.order_status,
      recordedAt: r.recorded_at,
      refundedAt: r.refunded_at,
    }));
  }

  /** How many unmatched charges wait for their refund (for operators and tests). */
  async countUnrefundedCharges(): Promise<number> {
    const [row] = await this.db.rows<{ n: number }>(
      'SELECT COUNT(*) AS n FROM unmatched_charges WHERE refunded_at IS NULL',
    );
    return Number(row?.n ?? 0);
  }

  /**
   * What the audit job reports: unmatched charges not refunded, and REFUNDED orders whose refund is
   * not confirmed, both older than `before`; orders that were paid (PAID, FULFILLED, DELIVERED or
   * REFUNDED) without a payment id.
   */
  async auditCounts(before: Date): Promise<AuditCounts> {
    const [row] = await this.db.rows<{ charges: number; refunds: number; unpaid: number }>(
      `SELECT
         (SELECT COUNT(*) FROM unmatched_charges WHERE refunded_at IS NULL AND recorded_at < ?) AS charges,
         (SELECT COUNT(*) FROM orders WHERE status = 'REFUNDED' AND refunded_at IS NULL AND refund_requested_at < ?) AS refunds,
         (SELECT COUNT(*) FROM orders WHERE status IN (?) AND payment_id IS NULL) AS unpaid`,
      [before, before, [...PAID_STATUSES, 'REFUNDED']],
    );
    return {
      unrefundedCharges: Number(row?.charges ?? 0),
      unconfirmedRefunds: Number(row?.refunds ?? 0),
      paidWithoutPayment: Number(row?.unpaid ?? 0),
    };
  }
}
