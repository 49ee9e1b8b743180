import { createMysqlDatabase } from '@shop/testing';
import { createDb } from '../src/db';
import { migrate, MIGRATIONS } from '../src/migrations';

describe('migrations', () => {
  it('apply once, record their versions, and change nothing when run again (also concurrently)', async () => {
    const database = await createMysqlDatabase('ordmig');
    const db = createDb(database.url);
    try {
      const [first, second] = await Promise.all([migrate(db), migrate(db)]);
      expect([...first!, ...second!].sort()).toEqual(MIGRATIONS.map((m) => m.version));
      expect(await migrate(db)).toEqual([]);
      const rows = await db.rows<{ version: number }>(
        'SELECT version FROM schema_migrations ORDER BY version',
      );
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
      const tables = await db.rows<{ t: string }>(
        'SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ? ORDER BY table_name',
        [database.name],
      );
      expect(tables.map((r) => r.t).sort()).toEqual([
        'applied_events',
        'cart_lines',
        'carts',
        'discount_codes',
        'discount_redemptions',
        'order_items',
        'order_users',
        'orders',
        'outbox',
        'schema_migrations',
        'unmatched_charges',
      ]);
    } finally {
      await db.close();
      await database.drop();
    }
  });
});

describe('migration 2: ids compare exactly (finding 1)', () => {
  it('finding 1: on a database of version 1, keeps every row, makes lookups exact, keeps the foreign key, and can run again', async () => {
    const database = await createMysqlDatabase('ordmig2');
    const db = createDb(database.url);
    try {
      // A database as version 1 left it, with data.
      await migrateTo(db, 1);
      const orderId = 'a1b2c3d4-0000-4000-8000-00000000abcd';
      const userId = 'f00dfeed-0000-4000-8000-00000000beef';
      const productId = '0123456789abcdef01234567';
      const now = new Date();
      await db.run(
        `INSERT INTO orders (id, user_id, status, currency, total_amount, idempotency_key, fingerprint, created_at, expires_at)
         VALUES (?, ?, 'PENDING_PAYMENT', 'EUR', 100, 'key-a', ?, ?, ?)`,
        [orderId, userId, 'f'.repeat(64), now, now],
      );
      await db.run(
        `INSERT INTO order_items (order_id, position, product_id, sku, product_name, quantity, unit_amount, line_amount, currency)
         VALUES (?, 0, ?, 'S', 'P', 1, 100, 100, 'EUR')`,
        [orderId, productId],
      );
      await db.run(
        `INSERT INTO applied_events (event_id, order_id, kind, applied_at) VALUES (?, ?, 'payment.FAILED', ?)`,
        ['e0e0e0e0-0000-4000-8000-0000000000ee', orderId, now],
      );
      const count = async (sql: string, value: string) =>
        Number((await db.rows<{ n: number }>(sql, [value]))[0]?.n);
      const lookups = [
        ['SELECT COUNT(*) AS n FROM orders WHERE id = ?', orderId],
        ['SELECT COUNT(*) AS n FROM orders WHERE user_id = ?', userId],
        ['SELECT COUNT(*) AS n FROM orders WHERE idempotency_key = ?', 'key-a'],
        ['SELECT COUNT(*) AS n FROM order_items WHERE order_id = ?', orderId],
        ['SELECT COUNT(*) AS n FROM order_items WHERE product_id = ?', productId],
        ['SELECT COUNT(*) AS n FROM applied_events WHERE order_id = ?', orderId],
      ] as const;
      // Version 1: the case-insensitive collation matches the variant (the finding).
      for (const [sql, value] of lookups) expect(await count(sql, value.toUpperCase())).toBe(1);

      expect(await migrate(db)).toEqual(MIGRATIONS.slice(1).map((m) => m.version));
      for (const [sql, value] of lookups) {
        expect(await count(sql, value)).toBe(1);
        expect(await count(sql, value.toUpperCase())).toBe(0);
      }
      // The foreign key is back (variant_id: migration 8 made it required).
      await expect(
        db.run(
          `INSERT INTO order_items (order_id, position, product_id, variant_id, sku, product_name, quantity, unit_amount, line_amount, currency)
           VALUES (?, 0, ?, ?, 'S', 'P', 1, 100, 100, 'EUR')`,
          [orderId.toUpperCase(), productId, `${productId}-1`],
        ),
      ).rejects.toMatchObject({ code: 'ER_NO_REFERENCED_ROW_2' });
      // Each statement of the new migrations can run again (a start-up that died half-way).
      for (const migration of MIGRATIONS.slice(1))
        for (const statement of migration.statements) await db.run(statement);
      for (const [sql, value] of lookups) expect(await count(sql, value)).toBe(1);
      const [order] = await db.rows<{ payment_lease_until: Date | null }>(
        'SELECT payment_lease_until FROM orders WHERE id = ?',
        [orderId],
      );
      expect(order!.payment_lease_until).toBeNull();
    } finally {
      await db.close();
      await database.drop();
    }
  });
});

/** Applies the migrations up to `version` only, recording them as migrate() does. */
async function migrateTo(db: ReturnType<typeof createDb>, version: number) {
  await db.run(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INT NOT NULL PRIMARY KEY, name VARCHAR(200) NOT NULL, applied_at DATETIME(3) NOT NULL
  ) ENGINE=InnoDB`);
  for (const migration of MIGRATIONS.filter((m) => m.version <= version)) {
    for (const statement of migration.statements) await db.run(statement);
    await db.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
      migration.version,
      migration.name,
      new Date(),
    ]);
  }
}
