import { createMysqlDatabase } from '@shop/testing';
import { CartsRepository } from '../src/carts.repository';
import { createDb, type Db } from '../src/db';
import { migrate, MIGRATIONS } from '../src/migrations';
import { OrdersRepository } from '../src/orders.repository';

/**
 * Migration 8 on a database of version 7 with carts and orders in it: every cart line and order
 * item becomes one of variant `<productId>-1` (what every product stored before variants became),
 * with an empty variant title; a cart may then hold two variants of one product; every statement
 * can run again.
 */

const PRODUCT = '0123456789abcdef01234567';
const OTHER = '89abcdef0123456789abcdef';
const CART = 'AAAAAAAAAAAAAAAAAAAAAA';
const ORDER = 'a1b2c3d4-0000-4000-8000-00000000abcd';
const USER = 'f00dfeed-0000-4000-8000-00000000beef';

async function migrateTo(db: Db, version: number) {
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

async function seedVersion7(db: Db) {
  const now = new Date();
  await db.run('INSERT INTO carts (id, user_id, version, created_at, updated_at) VALUES (?, NULL, 3, ?, ?)', [
    CART,
    now,
    now,
  ]);
  await db.run(
    `INSERT INTO cart_lines (cart_id, product_id, quantity, added_unit_amount, currency, product_name, position)
     VALUES (?, ?, 2, 1500, 'EUR', 'Soap', 0), (?, ?, 1, 900, 'EUR', 'Towel', 1)`,
    [CART, PRODUCT, CART, OTHER],
  );
  await db.run(
    `INSERT INTO orders (id, user_id, status, currency, total_amount, idempotency_key, fingerprint, created_at, expires_at)
     VALUES (?, ?, 'PAID', 'EUR', 3900, 'key-a', ?, ?, ?)`,
    [ORDER, USER, 'f'.repeat(64), now, now],
  );
  await db.run(
    `INSERT INTO order_items (order_id, position, product_id, sku, product_name, quantity, unit_amount, line_amount, currency)
     VALUES (?, 0, ?, 'SOAP-1', 'Soap', 2, 1500, 3000, 'EUR'), (?, 1, ?, 'TOWEL-1', 'Towel', 1, 900, 900, 'EUR')`,
    [ORDER, PRODUCT, ORDER, OTHER],
  );
}

describe('migration 8: cart lines and order items per variant', () => {
  it('gives existing lines and items variant <productId>-1 and no title, keys lines by variant, and can run again', async () => {
    const database = await createMysqlDatabase('ordmig8');
    const db = createDb(database.url);
    try {
      await migrateTo(db, 7);
      await seedVersion7(db);
      // Version 7: one line per product, a second line of the same product is a duplicate key.
      await expect(
        db.run(
          `INSERT INTO cart_lines (cart_id, product_id, quantity, added_unit_amount, currency, product_name, position)
           VALUES (?, ?, 1, 1500, 'EUR', 'Soap', 2)`,
          [CART, PRODUCT],
        ),
      ).rejects.toMatchObject({ code: 'ER_DUP_ENTRY' });

      expect(await migrate(db)).toEqual(MIGRATIONS.filter((m) => m.version >= 8).map((m) => m.version));
      // Each statement of migration 8 can run again (a start-up that died half-way) and changes nothing.
      for (const statement of MIGRATIONS.find((m) => m.version === 8)!.statements) await db.run(statement);
      expect(await migrate(db)).toEqual([]);

      const carts = new CartsRepository({ db });
      const cart = await carts.findById(CART);
      expect(cart?.version).toBe(3);
      expect(cart?.lines).toEqual([
        {
          productId: PRODUCT,
          variantId: `${PRODUCT}-1`,
          quantity: 2,
          addedUnitPrice: { amount: 1500, currency: 'EUR' },
          productName: 'Soap',
          variantTitle: '',
        },
        {
          productId: OTHER,
          variantId: `${OTHER}-1`,
          quantity: 1,
          addedUnitPrice: { amount: 900, currency: 'EUR' },
          productName: 'Towel',
          variantTitle: '',
        },
      ]);
      const items = await new OrdersRepository({ db }).itemsForOrders([ORDER]);
      expect(
        items.map((i) => [i.productId, i.variantId, i.sku, i.productName, i.variantTitle, i.quantity]),
      ).toEqual([
        [PRODUCT, `${PRODUCT}-1`, 'SOAP-1', 'Soap', '', 2],
        [OTHER, `${OTHER}-1`, 'TOWEL-1', 'Towel', '', 1],
      ]);

      // Now a line is a variant: a second variant of the product is a second line, the same
      // variant twice a duplicate; the key is exact (another letter case is another value).
      await db.run(
        `INSERT INTO cart_lines (cart_id, product_id, variant_id, quantity, added_unit_amount, currency, product_name, variant_title, position)
         VALUES (?, ?, ?, 1, 1700, 'EUR', 'Soap', 'Large', 2)`,
        [CART, PRODUCT, `${PRODUCT}-2`],
      );
      await expect(
        db.run(
          `INSERT INTO cart_lines (cart_id, product_id, variant_id, quantity, added_unit_amount, currency, product_name, position)
           VALUES (?, ?, ?, 1, 1500, 'EUR', 'Soap', 3)`,
          [CART, PRODUCT, `${PRODUCT}-1`],
        ),
      ).rejects.toMatchObject({ code: 'ER_DUP_ENTRY' });
      expect((await carts.findById(CART))?.lines.map((l) => l.variantId)).toEqual([
        `${PRODUCT}-1`,
        `${OTHER}-1`,
        `${PRODUCT}-2`,
      ]);
      const [{ n } = { n: -1 }] = await db.rows<{ n: number }>(
        'SELECT COUNT(*) AS n FROM cart_lines WHERE variant_id = ?',
        [`${PRODUCT}-1`.toUpperCase()],
      );
      expect(Number(n)).toBe(0);
      // No line without a variant can be written any more.
      await expect(
        db.run(
          `INSERT INTO cart_lines (cart_id, product_id, quantity, added_unit_amount, currency, product_name, position)
           VALUES (?, ?, 1, 1500, 'EUR', 'Towel', 4)`,
          [CART, '00000000000000000000abcd'],
        ),
      ).rejects.toMatchObject({ code: expect.stringMatching(/ER_NO_DEFAULT_FOR_FIELD|ER_BAD_NULL_ERROR/) });
      // The lines still go with their cart (the foreign key survived the new primary key).
      await db.run('DELETE FROM carts WHERE id = ?', [CART]);
      const left = await db.rows('SELECT cart_id FROM cart_lines WHERE cart_id = ?', [CART]);
      expect(left).toEqual([]);
    } finally {
      await db.close();
      await database.drop();
    }
  });
});
