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
        'order_items',
        'orders',
        'outbox',
        'schema_migrations',
      ]);
    } finally {
      await db.close();
      await database.drop();
    }
  });
});
