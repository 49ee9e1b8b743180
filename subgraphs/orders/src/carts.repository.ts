import type { Db, Sql } from './db';
import type { CartLineModel, CartModel } from './models';
import type { OrdersTx } from './orders.repository';

/**
 * Every MySQL statement of carts (tables carts and cart_lines, migration 5). The statements that
 * change a cart take a connection (`conn`): the Sql of a transaction (`transaction` here, or the
 * orders repository's, given as its OrdersTx) in which the caller holds the cart's row lock.
 */

/** Where a cart statement runs: a transaction's Sql, or the orders repository's OrdersTx. */
export type CartConn = Sql | OrdersTx;

// OrdersTx keeps its Sql to itself (protected); checkout runs the cart's statements in the
// order's transaction, so they go through the same connection.
const sqlOf = (conn: CartConn): Sql =>
  'rows' in conn && typeof conn.rows === 'function' ? conn : (conn as unknown as { sql: Sql }).sql;

interface CartRow {
  id: string;
  user_id: string | null;
  discount_code: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

interface LineRow {
  cart_id: string;
  product_id: string;
  variant_id: string;
  quantity: number;
  added_unit_amount: number;
  currency: string;
  product_name: string;
  variant_title: string;
  position: number;
}

const CART_COLUMNS = 'id, user_id, discount_code, version, created_at, updated_at';
const LINE_COLUMNS =
  'cart_id, product_id, variant_id, quantity, added_unit_amount, currency, product_name, variant_title, position';

const toLine = (r: LineRow): CartLineModel => ({
  productId: r.product_id,
  variantId: r.variant_id,
  quantity: Number(r.quantity),
  addedUnitPrice: { amount: Number(r.added_unit_amount), currency: r.currency },
  productName: r.product_name,
  variantTitle: r.variant_title,
});

const toCart = (r: CartRow, lines: CartLineModel[]): CartModel => ({
  id: r.id,
  userId: r.user_id,
  discountCode: r.discount_code,
  version: Number(r.version),
  lines,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** A line as the service writes it (position: where it sorts; kept when the line changes). */
export interface CartLineWrite extends CartLineModel {
  position: number;
}

export interface CartsRepositoryDeps {
  db: Db;
  /** The clock of emptyCart's updated_at when the caller gives none. */
  now?: () => Date;
}

export class CartsRepository {
  private readonly db: Db;
  private readonly now: () => Date;

  constructor(deps: CartsRepositoryDeps) {
    this.db = deps.db;
    this.now = deps.now ?? (() => new Date());
  }

  /** Runs fn in one MySQL transaction (deadlocks retried by Db). */
  transaction<T>(fn: (conn: Sql) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  // ---- reads (no lock) -----------------------------------------------------------------------

  /** A cart with its lines (in position order), or null. */
  async findById(id: string, conn: CartConn = this.db): Promise<CartModel | null> {
    const sql = sqlOf(conn);
    const [row] = await sql.rows<CartRow>(`SELECT ${CART_COLUMNS} FROM carts WHERE id = ?`, [id]);
    return row ? toCart(row, await this.linesOf(sql, id)) : null;
  }

  /** The customer's cart with its lines, or null. */
  async findByUser(userId: string, conn: CartConn = this.db): Promise<CartModel | null> {
    const sql = sqlOf(conn);
    const [row] = await sql.rows<CartRow>(`SELECT ${CART_COLUMNS} FROM carts WHERE user_id = ?`, [userId]);
    return row ? toCart(row, await this.linesOf(sql, row.id)) : null;
  }

  /** The id of the customer's cart, without a lock; null when there is none. */
  async idOfUserCart(userId: string, conn: CartConn = this.db): Promise<string | null> {
    const [row] = await sqlOf(conn).rows<{ id: string }>('SELECT id FROM carts WHERE user_id = ?', [userId]);
    return row?.id ?? null;
  }

  async linesOf(conn: CartConn, cartId: string): Promise<CartLineModel[]> {
    const rows = await sqlOf(conn).rows<LineRow>(
      `SELECT ${LINE_COLUMNS} FROM cart_lines WHERE cart_id = ? ORDER BY position, variant_id`,
      [cartId],
    );
    return rows.map(toLine);
  }

  /** The lines with their positions (what the service needs to place a new line last). */
  async lineRowsOf(conn: CartConn, cartId: string): Promise<CartLineWrite[]> {
    const rows = await sqlOf(conn).rows<LineRow>(
      `SELECT ${LINE_COLUMNS} FROM cart_lines WHERE cart_id = ? ORDER BY position, variant_id`,
      [cartId],
    );
    return rows.map((r) => ({ ...toLine(r), position: Number(r.position) }));
  }

  // ---- inside the caller's transaction ------------------------------------------------------

  /** Locks the cart's row (SELECT ... FOR UPDATE) in the caller's transaction; null when there is none. */
  async lockCart(conn: CartConn, cartId: string): Promise<{ version: number; userId: string | null } | null> {
    const [row] = await sqlOf(conn).rows<{ version: number; user_id: string | null }>(
      'SELECT version, user_id FROM carts WHERE id = ? FOR UPDATE',
      [cartId],
    );
    return row ? { version: Number(row.version), userId: row.user_id } : null;
  }

  /** Locks and returns a cart row (no lines); null when there is none. */
  async lockRow(conn: CartConn, cartId: string): Promise<Omit<CartModel, 'lines'> | null> {
    const [row] = await sqlOf(conn).rows<CartRow>(
      `SELECT ${CART_COLUMNS} FROM carts WHERE id = ? FOR UPDATE`,
      [cartId],
    );
    return row ? toCart(row, []) : null;
  }

  /** Locks and returns the customer's cart row (no lines); null when there is none. */
  async lockRowOfUser(conn: CartConn, userId: string): Promise<Omit<CartModel, 'lines'> | null> {
    const [row] = await sqlOf(conn).rows<CartRow>(
      `SELECT ${CART_COLUMNS} FROM carts WHERE user_id = ? FOR UPDATE`,
      [userId],
    );
    return row ? toCart(row, []) : null;
  }

  /**
   * Inserts a cart unless the customer has one already (INSERT IGNORE on the unique user_id: of
   * concurrent first adds one inserts, the others wait for it and insert nothing). True when inserted.
   */
  async insertCart(conn: CartConn, id: string, userId: string | null, now: Date): Promise<boolean> {
    const result = await sqlOf(conn).run(
      'INSERT IGNORE INTO carts (id, user_id, version, created_at, updated_at) VALUES (?, ?, 0, ?, ?)',
      [id, userId, now, now],
    );
    return result.affectedRows === 1;
  }

  /** Inserts or replaces a line, keyed by its variant (its position included). */
  async putLine(conn: CartConn, cartId: string, line: CartLineWrite): Promise<void> {
    await sqlOf(conn).run(
      `INSERT INTO cart_lines (${LINE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE quantity = VALUES(quantity), added_unit_amount = VALUES(added_unit_amount),
         currency = VALUES(currency), product_name = VALUES(product_name),
         variant_title = VALUES(variant_title), position = VALUES(position)`,
      [
        cartId,
        line.productId,
        line.variantId,
        line.quantity,
        line.addedUnitPrice.amount,
        line.addedUnitPrice.currency,
        line.productName,
        line.variantTitle,
        line.position,
      ],
    );
  }

  /** Deletes the lines of these variants; the number deleted. */
  async deleteLines(conn: CartConn, cartId: string, variantIds: readonly string[]): Promise<number> {
    if (variantIds.length === 0) return 0;
    const result = await sqlOf(conn).run('DELETE FROM cart_lines WHERE cart_id = ? AND variant_id IN (?)', [
      cartId,
      [...variantIds],
    ]);
    return result.affectedRows;
  }

  /** Bumps version and updated_at: every change of a cart ends with it. */
  async touch(conn: CartConn, cartId: string, now: Date): Promise<void> {
    await sqlOf(conn).run('UPDATE carts SET version = version + 1, updated_at = ? WHERE id = ?', [
      now,
      cartId,
    ]);
  }

  /** Sets (or, with null, removes) the discount code, bumping version and updated_at. */
  async setDiscountCode(conn: CartConn, cartId: string, code: string | null, now: Date): Promise<void> {
    await sqlOf(conn).run(
      'UPDATE carts SET discount_code = ?, version = version + 1, updated_at = ? WHERE id = ?',
      [code, now, cartId],
    );
  }

  /** Deletes every line and the discount code; version + 1, updated_at now (checkout, clearCart). */
  async emptyCart(conn: CartConn, cartId: string, now: Date = this.now()): Promise<void> {
    const sql = sqlOf(conn);
    await sql.run('DELETE FROM cart_lines WHERE cart_id = ?', [cartId]);
    await sql.run(
      'UPDATE carts SET discount_code = NULL, version = version + 1, updated_at = ? WHERE id = ?',
      [now, cartId],
    );
  }

  /** Deletes a cart and (ON DELETE CASCADE) its lines. */
  async deleteCart(conn: CartConn, cartId: string): Promise<void> {
    await sqlOf(conn).run('DELETE FROM carts WHERE id = ?', [cartId]);
  }

  // ---- expiry ------------------------------------------------------------------------------

  /**
   * Deletes at most `batch` carts not changed after `before` (oldest first), lines by cascade;
   * returns how many. The idle rows are locked first (FOR UPDATE SKIP LOCKED: a cart being changed
   * right now is skipped, not waited for) and deleted only if still idle, in one transaction: a cart
   * changed meanwhile is never deleted.
   */
  async deleteIdle(before: Date, batch: number): Promise<number> {
    return this.db.transaction(async (sql) => {
      const idle = await sql.rows<{ id: string }>(
        'SELECT id FROM carts WHERE updated_at <= ? ORDER BY updated_at LIMIT ? FOR UPDATE SKIP LOCKED',
        [before, batch],
      );
      if (idle.length === 0) return 0;
      const result = await sql.run('DELETE FROM carts WHERE id IN (?) AND updated_at <= ?', [
        idle.map((r) => r.id),
        before,
      ]);
      return result.affectedRows;
    });
  }
}
