import type { Db } from './db';

/** The collation of every id column: exact, byte for byte. */
const BIN = 'CHARACTER SET utf8mb4 COLLATE utf8mb4_bin';

/**
 * Schema migrations, applied in order at start-up and recorded in `schema_migrations`. A named lock
 * keeps two instances starting at once from racing; applied versions are skipped, so running them
 * twice is harmless. Never edit a released migration: add a new one.
 */
export const MIGRATIONS: { version: number; name: string; statements: string[] }[] = [
  {
    version: 1,
    name: 'orders, items, applied events, outbox',
    statements: [
      `CREATE TABLE IF NOT EXISTS orders (
        id CHAR(36) NOT NULL PRIMARY KEY,
        seq BIGINT NOT NULL AUTO_INCREMENT UNIQUE,
        user_id VARCHAR(64) NOT NULL,
        status ENUM('PENDING_PAYMENT','PAID','CANCELLED') NOT NULL,
        currency CHAR(3) NOT NULL,
        total_amount BIGINT NOT NULL,
        idempotency_key VARCHAR(128) NOT NULL,
        fingerprint CHAR(64) NOT NULL,
        created_at DATETIME(3) NOT NULL,
        expires_at DATETIME(3) NOT NULL,
        paid_at DATETIME(3) NULL,
        cancelled_at DATETIME(3) NULL,
        cancel_reason VARCHAR(32) NULL,
        payment_id VARCHAR(64) NULL,
        last_payment_failure VARCHAR(500) NULL,
        UNIQUE KEY orders_user_idempotency (user_id, idempotency_key),
        KEY orders_user_seq (user_id, seq),
        KEY orders_status_expires (status, expires_at)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
      `CREATE TABLE IF NOT EXISTS order_items (
        order_id CHAR(36) NOT NULL,
        position INT NOT NULL,
        product_id VARCHAR(64) NOT NULL,
        sku VARCHAR(128) NOT NULL,
        product_name VARCHAR(500) NOT NULL,
        quantity INT NOT NULL,
        unit_amount BIGINT NOT NULL,
        line_amount BIGINT NOT NULL,
        currency CHAR(3) NOT NULL,
        PRIMARY KEY (order_id, position),
        CONSTRAINT order_items_order FOREIGN KEY (order_id) REFERENCES orders (id)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
      `CREATE TABLE IF NOT EXISTS applied_events (
        event_id VARCHAR(64) NOT NULL PRIMARY KEY,
        order_id VARCHAR(64) NOT NULL,
        kind VARCHAR(32) NOT NULL,
        outcome VARCHAR(32) NULL,
        applied_at DATETIME(3) NOT NULL
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
      `CREATE TABLE IF NOT EXISTS outbox (
        seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        event_id CHAR(36) NOT NULL UNIQUE,
        kind VARCHAR(32) NOT NULL,
        payload LONGTEXT NOT NULL,
        created_at DATETIME(3) NOT NULL,
        sent_at DATETIME(3) NULL,
        KEY outbox_unsent (sent_at, seq)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    ],
  },
  {
    // Every id (and the idempotency key) compares exactly: under utf8mb4's default case-insensitive
    // collation `WHERE id = ?` found an order for an upper-case variant of its id. utf8mb4_bin keeps
    // every stored value as it is (no charset conversion); the foreign key is dropped and re-added
    // around the change because MariaDB refuses to change a referenced column. Each statement can
    // run again (IF [NOT] EXISTS, MODIFY to the same type).
    version: 2,
    name: 'ids compare exactly (binary collation)',
    statements: [
      'ALTER TABLE order_items DROP FOREIGN KEY IF EXISTS order_items_order',
      `ALTER TABLE orders
        MODIFY id CHAR(36) ${BIN} NOT NULL,
        MODIFY user_id VARCHAR(64) ${BIN} NOT NULL,
        MODIFY idempotency_key VARCHAR(128) ${BIN} NOT NULL,
        MODIFY fingerprint CHAR(64) ${BIN} NOT NULL,
        MODIFY payment_id VARCHAR(64) ${BIN} NULL`,
      `ALTER TABLE order_items
        MODIFY order_id CHAR(36) ${BIN} NOT NULL,
        MODIFY product_id VARCHAR(64) ${BIN} NOT NULL`,
      `ALTER TABLE order_items
        ADD CONSTRAINT order_items_order FOREIGN KEY IF NOT EXISTS (order_id) REFERENCES orders (id)`,
      `ALTER TABLE applied_events
        MODIFY event_id VARCHAR(64) ${BIN} NOT NULL,
        MODIFY order_id VARCHAR(64) ${BIN} NOT NULL`,
      `ALTER TABLE outbox MODIFY event_id CHAR(36) ${BIN} NOT NULL`,
    ],
  },
  {
    version: 3,
    name: 'payment leases, per-user placing locks, charges that paid nothing',
    statements: [
      // Until when a charge may be in flight (orders.payable granted it): no cancel before then.
      'ALTER TABLE orders ADD COLUMN IF NOT EXISTS payment_lease_until DATETIME(3) NULL',
      // One row per user that ever placed an order; placeOrder locks it (FOR UPDATE) to count the
      // user's unpaid orders and insert the new one atomically.
      `CREATE TABLE IF NOT EXISTS order_users (
        user_id VARCHAR(64) ${BIN} NOT NULL PRIMARY KEY
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
      // A successful charge that did not pay its order (the order was cancelled, already paid by
      // another charge, or the amount differs): money to give back. refunded_at is for the refund
      // that payments makes of it.
      `CREATE TABLE IF NOT EXISTS unmatched_charges (
        payment_id VARCHAR(64) ${BIN} NOT NULL PRIMARY KEY,
        order_id CHAR(36) ${BIN} NOT NULL,
        user_id VARCHAR(64) ${BIN} NOT NULL,
        reason VARCHAR(32) NOT NULL,
        amount BIGINT NOT NULL,
        currency CHAR(3) NOT NULL,
        order_status VARCHAR(32) NOT NULL,
        recorded_at DATETIME(3) NOT NULL,
        refunded_at DATETIME(3) NULL,
        KEY unmatched_charges_order (order_id),
        KEY unmatched_charges_open (refunded_at, recorded_at)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    ],
  },
  {
    // An admin refunds a PAID order: it becomes REFUNDED when the refund is asked for
    // (refund_requested_at, with its orders.refund_requested outbox row) and refunded_at is set when
    // payments.refunded confirms it. Each statement can run again.
    version: 4,
    name: 'refunded orders',
    statements: [
      "ALTER TABLE orders MODIFY status ENUM('PENDING_PAYMENT','PAID','CANCELLED','REFUNDED') NOT NULL",
      'ALTER TABLE orders ADD COLUMN IF NOT EXISTS refund_requested_at DATETIME(3) NULL',
      'ALTER TABLE orders ADD COLUMN IF NOT EXISTS refunded_at DATETIME(3) NULL',
      `ALTER TABLE orders ADD COLUMN IF NOT EXISTS refund_id VARCHAR(64) ${BIN} NULL`,
      'ALTER TABLE orders ADD INDEX IF NOT EXISTS orders_status_refund (status, refunded_at)',
    ],
  },
  {
    // Carts (carts.repository.ts): an anonymous cart (user_id NULL, its random id is the only key)
    // or a customer's, at most one per customer (the unique user_id: concurrent first adds end in
    // one cart). version is bumped by every change; updated_at drives expiry (CART_IDLE_SECONDS).
    version: 5,
    name: 'carts and their lines',
    statements: [
      `CREATE TABLE IF NOT EXISTS carts (
        id CHAR(22) ${BIN} NOT NULL PRIMARY KEY,
        user_id CHAR(36) ${BIN} NULL,
        discount_code VARCHAR(32) ${BIN} NULL,
        version INT NOT NULL DEFAULT 0,
        created_at DATETIME(3) NOT NULL,
        updated_at DATETIME(3) NOT NULL,
        UNIQUE KEY carts_user (user_id),
        KEY carts_updated (updated_at)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
      `CREATE TABLE IF NOT EXISTS cart_lines (
        cart_id CHAR(22) ${BIN} NOT NULL,
        product_id CHAR(24) ${BIN} NOT NULL,
        quantity INT NOT NULL,
        added_unit_amount BIGINT NOT NULL,
        currency CHAR(3) NOT NULL,
        product_name VARCHAR(200) NOT NULL,
        position INT NOT NULL,
        PRIMARY KEY (cart_id, product_id),
        CONSTRAINT cart_lines_cart FOREIGN KEY (cart_id) REFERENCES carts (id) ON DELETE CASCADE
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    ],
  },
  {
    // Checkout (orders.checkout.ts) and discount codes (discounts.repository.ts). An order keeps the
    // parts of its total (total = subtotal + shipping - discount), the VAT in it, the code, the
    // method and a snapshot of the address; orders from before (placeOrder) have subtotal = total
    // and the rest 0 or null. A code's times_used always equals its rows in discount_redemptions:
    // both change in one transaction under the code's row lock. Each statement can run again.
    version: 6,
    name: 'checkout totals, address snapshots, discount codes',
    statements: [
      'ALTER TABLE orders ADD COLUMN IF NOT EXISTS subtotal_amount BIGINT NOT NULL DEFAULT 0',
      'ALTER TABLE orders ADD COLUMN IF NOT EXISTS shipping_amount BIGINT NOT NULL DEFAULT 0',
      'ALTER TABLE orders ADD COLUMN IF NOT EXISTS discount_amount BIGINT NOT NULL DEFAULT 0',
      'ALTER TABLE orders ADD COLUMN IF NOT EXISTS vat_amount BIGINT NOT NULL DEFAULT 0',
      'ALTER TABLE orders ADD COLUMN IF NOT EXISTS vat_rate_bp INT NOT NULL DEFAULT 0',
      `ALTER TABLE orders ADD COLUMN IF NOT EXISTS discount_code VARCHAR(32) ${BIN} NULL`,
      `ALTER TABLE orders ADD COLUMN IF NOT EXISTS shipping_method_id VARCHAR(40) ${BIN} NULL`,
      'ALTER TABLE orders ADD COLUMN IF NOT EXISTS shipping_method_name VARCHAR(100) NULL',
      'ALTER TABLE orders ADD COLUMN IF NOT EXISTS shipping_address JSON NULL',
      `ALTER TABLE orders ADD COLUMN IF NOT EXISTS cart_id VARCHAR(64) ${BIN} NULL`,
      // Orders placed before: nothing but items, so the subtotal is the total.
      'UPDATE orders SET subtotal_amount = total_amount WHERE subtotal_amount = 0 AND shipping_amount = 0',
      `CREATE TABLE IF NOT EXISTS discount_codes (
        code VARCHAR(32) ${BIN} NOT NULL PRIMARY KEY,
        seq BIGINT NOT NULL AUTO_INCREMENT UNIQUE,
        kind ENUM('PERCENTAGE','FIXED_AMOUNT') NOT NULL,
        value INT NOT NULL,
        minimum_subtotal BIGINT NULL,
        starts_at DATETIME(3) NULL,
        ends_at DATETIME(3) NULL,
        usage_limit INT NULL,
        usage_limit_per_customer INT NULL,
        times_used INT NOT NULL DEFAULT 0,
        created_at DATETIME(3) NOT NULL
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
      // One row per order that uses a code; deleted when the order is cancelled or expires unpaid.
      `CREATE TABLE IF NOT EXISTS discount_redemptions (
        order_id CHAR(36) ${BIN} NOT NULL PRIMARY KEY,
        code VARCHAR(32) ${BIN} NOT NULL,
        user_id VARCHAR(64) ${BIN} NOT NULL,
        created_at DATETIME(3) NOT NULL,
        KEY discount_redemptions_code_user (code, user_id)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    ],
  },
  {
    // Fulfilment (orders.fulfilment.ts): PAID -> FULFILLED (fulfilled_at, carrier, tracking_number)
    // -> DELIVERED (delivered_at); refundOrder may also start from either (refund_requested_at of
    // migration 4 says when REFUNDED was entered). The admin list (Query.orders) reads newest first
    // by seq, by status (orders_status_seq) or by placing time (orders_created). Each statement can
    // run again.
    version: 7,
    name: 'fulfilment, delivery and the admin order list',
    statements: [
      "ALTER TABLE orders MODIFY status ENUM('PENDING_PAYMENT','PAID','FULFILLED','DELIVERED','CANCELLED','REFUNDED') NOT NULL",
      'ALTER TABLE orders ADD COLUMN IF NOT EXISTS fulfilled_at DATETIME(3) NULL',
      'ALTER TABLE orders ADD COLUMN IF NOT EXISTS delivered_at DATETIME(3) NULL',
      'ALTER TABLE orders ADD COLUMN IF NOT EXISTS carrier VARCHAR(16) NULL',
      `ALTER TABLE orders ADD COLUMN IF NOT EXISTS tracking_number VARCHAR(40) ${BIN} NULL`,
      'ALTER TABLE orders ADD INDEX IF NOT EXISTS orders_status_seq (status, seq)',
      'ALTER TABLE orders ADD INDEX IF NOT EXISTS orders_created (created_at)',
    ],
  },
  {
    // Variants (issue 18): a cart line and an order item are one variant of a product. A variant id
    // is `<productId>-<n>` (@shop/messaging isVariantId); every product stored before variants
    // existed became a product with one variant number 1, so existing rows get `<productId>-1`.
    // cart_lines is keyed by (cart_id, variant_id): two variants of one product are two lines.
    // variant_title is the variant's option values for display (`M / Blue`), '' for a product
    // without options and for existing rows. Each statement can run again: columns are added only
    // when missing, only rows without a variant are filled, MODIFY and the primary key's
    // DROP + ADD in one statement leave a migrated table as it is.
    version: 8,
    name: 'cart lines and order items per variant',
    statements: [
      `ALTER TABLE cart_lines ADD COLUMN IF NOT EXISTS variant_id VARCHAR(29) ${BIN} NULL AFTER product_id`,
      "ALTER TABLE cart_lines ADD COLUMN IF NOT EXISTS variant_title VARCHAR(200) NOT NULL DEFAULT '' AFTER product_name",
      "UPDATE cart_lines SET variant_id = CONCAT(product_id, '-1') WHERE variant_id IS NULL",
      `ALTER TABLE cart_lines MODIFY variant_id VARCHAR(29) ${BIN} NOT NULL`,
      // The new key starts with cart_id as the old one did, so the foreign key keeps its index.
      'ALTER TABLE cart_lines DROP PRIMARY KEY, ADD PRIMARY KEY (cart_id, variant_id)',
      // order_items.product_id is VARCHAR(64) (migration 1): room for any id it may hold, plus `-1`.
      `ALTER TABLE order_items ADD COLUMN IF NOT EXISTS variant_id VARCHAR(70) ${BIN} NULL AFTER product_id`,
      "ALTER TABLE order_items ADD COLUMN IF NOT EXISTS variant_title VARCHAR(500) NOT NULL DEFAULT '' AFTER product_name",
      "UPDATE order_items SET variant_id = CONCAT(product_id, '-1') WHERE variant_id IS NULL",
      `ALTER TABLE order_items MODIFY variant_id VARCHAR(70) ${BIN} NOT NULL`,
    ],
  },
];

const LOCK = 'shop_orders_migrations';

/** Applies the pending migrations; returns the versions applied now. */
export async function migrate(db: Db): Promise<number[]> {
  const conn = await db.pool.getConnection();
  try {
    const [[lock]] = (await conn.query('SELECT GET_LOCK(?, 30) AS got', [LOCK])) as unknown as [
      [{ got: number }],
    ];
    if (lock?.got !== 1) throw new Error('could not take the migration lock within 30 s');
    try {
      await conn.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INT NOT NULL PRIMARY KEY,
        name VARCHAR(200) NOT NULL,
        applied_at DATETIME(3) NOT NULL
      ) ENGINE=InnoDB`);
      const [rows] = (await conn.query('SELECT version FROM schema_migrations')) as unknown as [
        { version: number }[],
      ];
      const done = new Set(rows.map((r) => r.version));
      const applied: number[] = [];
      // By version, whatever the order of the list (versions are appended by independent changes).
      for (const migration of [...MIGRATIONS].sort((x, y) => x.version - y.version)) {
        if (done.has(migration.version)) continue;
        for (const statement of migration.statements) await conn.query(statement);
        await conn.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
          migration.version,
          migration.name,
          new Date(),
        ]);
        applied.push(migration.version);
      }
      return applied;
    } finally {
      await conn.query('SELECT RELEASE_LOCK(?)', [LOCK]);
    }
  } finally {
    conn.release();
  }
}
