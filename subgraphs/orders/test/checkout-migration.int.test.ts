import { createMysqlDatabase } from '@shop/testing';
import { createDb } from '../src/db';
import { migrate, MIGRATIONS } from '../src/migrations';
import { OrdersRepository } from '../src/orders.repository';

/** Migration 6 on a database with orders from before checkout: their parts are derived, nothing lost. */
describe('migration 6: checkout totals on existing orders', () => {
  it('gives old orders subtotal = total and no shipping, discount, VAT, address, method or cart; can run again', async () => {
    const database = await createMysqlDatabase('ordmig6');
    const db = createDb(database.url);
    try {
      await db.run(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INT NOT NULL PRIMARY KEY, name VARCHAR(200) NOT NULL, applied_at DATETIME(3) NOT NULL
      ) ENGINE=InnoDB`);
      for (const migration of MIGRATIONS.filter((m) => m.version < 6)) {
        for (const statement of migration.statements) await db.run(statement);
        await db.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
          migration.version,
          migration.name,
          new Date(),
        ]);
      }
      const orderId = 'a1b2c3d4-0000-4000-8000-00000000abcd';
      const now = new Date();
      await db.run(
        `INSERT INTO orders (id, user_id, status, currency, total_amount, idempotency_key, fingerprint, created_at, expires_at)
         VALUES (?, 'f00dfeed-0000-4000-8000-00000000beef', 'PAID', 'EUR', 4321, 'key-a', ?, ?, ?)`,
        [orderId, 'f'.repeat(64), now, now],
      );
      expect(await migrate(db)).toEqual(MIGRATIONS.filter((m) => m.version >= 6).map((m) => m.version));
      // Each statement of migration 6 can run again (a start-up that died half-way) and changes nothing.
      for (const statement of MIGRATIONS.find((m) => m.version === 6)!.statements) await db.run(statement);
      const order = await new OrdersRepository({ db }).findById(orderId);
      expect(order).toMatchObject({
        total: { amount: 4321, currency: 'EUR' },
        subtotal: { amount: 4321, currency: 'EUR' },
        shipping: { amount: 0, currency: 'EUR' },
        discount: { amount: 0, currency: 'EUR' },
        vat: { amount: 0, currency: 'EUR' },
        vatRateBasisPoints: 0,
        discountCode: null,
        shippingMethod: null,
        shippingAddress: null,
        cartId: null,
      });
      // Codes are unique byte for byte (stored upper case by the service), uses start at 0.
      await db.run(
        "INSERT INTO discount_codes (code, kind, value, created_at) VALUES ('ABC', 'PERCENTAGE', 5, ?)",
        [now],
      );
      await expect(
        db.run(
          "INSERT INTO discount_codes (code, kind, value, created_at) VALUES ('ABC', 'PERCENTAGE', 5, ?)",
          [now],
        ),
      ).rejects.toMatchObject({ code: 'ER_DUP_ENTRY' });
      const [code] = await db.rows<{ times_used: number }>(
        "SELECT times_used FROM discount_codes WHERE code = 'ABC'",
      );
      expect(code!.times_used).toBe(0);
    } finally {
      await db.close();
      await database.drop();
    }
  });
});
