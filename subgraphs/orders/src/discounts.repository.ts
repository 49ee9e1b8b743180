import type { Db, Sql } from './db';
import { isDuplicateKey } from './db';
import type { DiscountCodeModel, DiscountKind } from './models';
import type { OrdersTx } from './orders.repository';

/**
 * Every MySQL statement of discount codes (tables discount_codes and discount_redemptions, migration
 * 6). The statements that take or give back a use run in the caller's transaction (`conn`: the orders
 * repository's OrdersTx, or a transaction's Sql) under the code's row lock, so times_used always
 * equals the code's rows in discount_redemptions.
 */

/** Where a statement runs: a transaction's Sql, or the orders repository's OrdersTx. */
export type DiscountConn = Sql | OrdersTx;

// OrdersTx keeps its Sql to itself (protected); the use of a code is taken in the order's
// transaction, so its statements go through the same connection.
const sqlOf = (conn: DiscountConn): Sql =>
  'rows' in conn && typeof conn.rows === 'function' ? conn : (conn as unknown as { sql: Sql }).sql;

interface CodeRow {
  code: string;
  seq: number;
  kind: DiscountKind;
  value: number;
  minimum_subtotal: number | null;
  starts_at: Date | null;
  ends_at: Date | null;
  usage_limit: number | null;
  usage_limit_per_customer: number | null;
  times_used: number;
  created_at: Date;
}

const COLUMNS =
  'code, seq, kind, value, minimum_subtotal, starts_at, ends_at, usage_limit, usage_limit_per_customer, times_used, created_at';

const nullableNumber = (v: number | null) => (v === null ? null : Number(v));

const toCode = (r: CodeRow): DiscountCodeModel => ({
  code: r.code,
  seq: Number(r.seq),
  kind: r.kind,
  value: Number(r.value),
  minimumSubtotal: nullableNumber(r.minimum_subtotal),
  startsAt: r.starts_at,
  endsAt: r.ends_at,
  usageLimit: nullableNumber(r.usage_limit),
  usageLimitPerCustomer: nullableNumber(r.usage_limit_per_customer),
  timesUsed: Number(r.times_used),
  createdAt: r.created_at,
});

/** A new code as the service builds it (seq and times_used come from the database). */
export type NewDiscountCode = Omit<DiscountCodeModel, 'seq' | 'timesUsed'>;

/** A redemption: the order that uses a code. */
export interface RedemptionModel {
  orderId: string;
  code: string;
  userId: string;
  createdAt: Date;
}

export interface DiscountsRepositoryDeps {
  db: Db;
}

export class DiscountsRepository {
  private readonly db: Db;

  constructor(deps: DiscountsRepositoryDeps) {
    this.db = deps.db;
  }

  /** Stores a new code; 'TAKEN' when a code spelled like it exists (the primary key decides). */
  async insert(code: NewDiscountCode): Promise<'CREATED' | 'TAKEN'> {
    try {
      await this.db.run(
        `INSERT INTO discount_codes
           (code, kind, value, minimum_subtotal, starts_at, ends_at, usage_limit, usage_limit_per_customer, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          code.code,
          code.kind,
          code.value,
          code.minimumSubtotal,
          code.startsAt,
          code.endsAt,
          code.usageLimit,
          code.usageLimitPerCustomer,
          code.createdAt,
        ],
      );
      return 'CREATED';
    } catch (error) {
      if (isDuplicateKey(error)) return 'TAKEN';
      throw error;
    }
  }

  /** The codes among `codes` (each exactly as stored: upper case), in no particular order. */
  async findByCodes(codes: readonly string[], conn: DiscountConn = this.db): Promise<DiscountCodeModel[]> {
    if (codes.length === 0) return [];
    const rows = await sqlOf(conn).rows<CodeRow>(`SELECT ${COLUMNS} FROM discount_codes WHERE code IN (?)`, [
      [...codes],
    ]);
    return rows.map(toCode);
  }

  async findByCode(code: string, conn: DiscountConn = this.db): Promise<DiscountCodeModel | null> {
    const [found] = await this.findByCodes([code], conn);
    return found ?? null;
  }

  /** Codes newest first, after the code with sequence `beforeSeq` (exclusive). */
  async list(limit: number, beforeSeq: number | null): Promise<DiscountCodeModel[]> {
    const rows = await this.db.rows<CodeRow>(
      `SELECT ${COLUMNS} FROM discount_codes ${beforeSeq === null ? '' : 'WHERE seq < ?'}
       ORDER BY seq DESC LIMIT ?`,
      beforeSeq === null ? [limit] : [beforeSeq, limit],
    );
    return rows.map(toCode);
  }

  /** How many orders of this customer use the code now (exact only under the code's lock). */
  async usesBy(code: string, userId: string, conn: DiscountConn = this.db): Promise<number> {
    const [row] = await sqlOf(conn).rows<{ n: number }>(
      'SELECT COUNT(*) AS n FROM discount_redemptions WHERE code = ? AND user_id = ?',
      [code, userId],
    );
    return Number(row?.n ?? 0);
  }

  // ---- inside the caller's transaction ------------------------------------------------------

  /** Locks and returns a code (SELECT ... FOR UPDATE); null when there is none. */
  async lock(conn: DiscountConn, code: string): Promise<DiscountCodeModel | null> {
    const [row] = await sqlOf(conn).rows<CodeRow>(
      `SELECT ${COLUMNS} FROM discount_codes WHERE code = ? FOR UPDATE`,
      [code],
    );
    return row ? toCode(row) : null;
  }

  /** Takes one use of a locked code for an order: its redemption row and times_used + 1. */
  async redeem(conn: DiscountConn, redemption: RedemptionModel): Promise<void> {
    const sql = sqlOf(conn);
    await sql.run(
      'INSERT INTO discount_redemptions (order_id, code, user_id, created_at) VALUES (?, ?, ?, ?)',
      [redemption.orderId, redemption.code, redemption.userId, redemption.createdAt],
    );
    await sql.run('UPDATE discount_codes SET times_used = times_used + 1 WHERE code = ?', [redemption.code]);
  }

  /**
   * Gives back the uses of these orders (cancelled or expired: the caller holds their row locks):
   * their redemption rows go and each code's times_used drops by as many rows as went. The codes
   * are locked in one order (by code), so concurrent give-backs never deadlock; an order without a
   * redemption (or whose use went back already) changes nothing. Returns the uses given back.
   */
  async giveBack(conn: DiscountConn, orderIds: readonly string[]): Promise<{ code: string; uses: number }[]> {
    if (orderIds.length === 0) return [];
    const sql = sqlOf(conn);
    const held = await sql.rows<{ code: string }>(
      'SELECT DISTINCT code FROM discount_redemptions WHERE order_id IN (?) ORDER BY code',
      [[...orderIds]],
    );
    const given: { code: string; uses: number }[] = [];
    for (const { code } of held) {
      await sql.rows('SELECT code FROM discount_codes WHERE code = ? FOR UPDATE', [code]);
      const deleted = await sql.run('DELETE FROM discount_redemptions WHERE code = ? AND order_id IN (?)', [
        code,
        [...orderIds],
      ]);
      if (deleted.affectedRows === 0) continue;
      await sql.run('UPDATE discount_codes SET times_used = times_used - ? WHERE code = ?', [
        deleted.affectedRows,
        code,
      ]);
      given.push({ code, uses: deleted.affectedRows });
    }
    return given;
  }

  // ---- for tests and operators --------------------------------------------------------------

  /** The redemptions of a code, oldest first. */
  async redemptions(code: string): Promise<RedemptionModel[]> {
    const rows = await this.db.rows<{ order_id: string; code: string; user_id: string; created_at: Date }>(
      'SELECT order_id, code, user_id, created_at FROM discount_redemptions WHERE code = ? ORDER BY created_at, order_id',
      [code],
    );
    return rows.map((r) => ({
      orderId: r.order_id,
      code: r.code,
      userId: r.user_id,
      createdAt: r.created_at,
    }));
  }
}
