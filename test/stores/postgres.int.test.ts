/**
 * PostgreSQL through `pg`, the client the users subgraph uses. Each run creates its own throwaway
 * database and drops it afterwards.
 */
import { randomBytes } from 'node:crypto';
import { endpointFields, loadConfig, z } from '@shop/config';
import { withDatabase } from '@shop/testing';
import pg from 'pg';

const { POSTGRES_URL } = loadConfig(z.object({ POSTGRES_URL: endpointFields.POSTGRES_URL }));
const database = `test_pg_${randomBytes(4).toString('hex')}`;

let admin: pg.Client;
let pool: pg.Pool;

beforeAll(async () => {
  admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  pool = new pg.Pool({ connectionString: withDatabase(POSTGRES_URL, database), max: 2 });
});

afterAll(async () => {
  await pool?.end();
  await admin?.query(`DROP DATABASE IF EXISTS ${database}`);
  await admin?.end();
});

test('creates a table, inserts a row and reads it back', async () => {
  await pool.query(
    'CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text NOT NULL)',
  );
  const inserted = await pool.query<{ id: number }>(
    'INSERT INTO users (email, name) VALUES ($1, $2) RETURNING id',
    ['ada@example.com', 'Ada Lovelace'],
  );

  const { rows } = await pool.query('SELECT id, email, name FROM users WHERE email = $1', [
    'ada@example.com',
  ]);

  expect(rows).toEqual([{ id: inserted.rows[0]?.id, email: 'ada@example.com', name: 'Ada Lovelace' }]);
});
