/**
 * MariaDB/MySQL through `mysql2/promise`, the client the orders subgraph uses. Each run creates its
 * own throwaway database and drops it afterwards.
 */
import { randomBytes } from 'node:crypto';
import { endpointFields, loadConfig, z } from '@shop/config';
import { withDatabase } from '@shop/testing';
import mysql from 'mysql2/promise';

const { MYSQL_URL } = loadConfig(z.object({ MYSQL_URL: endpointFields.MYSQL_URL }));
const database = `test_mysql_${randomBytes(4).toString('hex')}`;

let admin: mysql.Connection;
let pool: mysql.Pool;

beforeAll(async () => {
  admin = await mysql.createConnection({ uri: MYSQL_URL });
  await admin.query(`CREATE DATABASE ${database}`);
  pool = mysql.createPool({ uri: withDatabase(MYSQL_URL, database), connectionLimit: 2 });
});

afterAll(async () => {
  await pool?.end();
  await admin?.query(`DROP DATABASE IF EXISTS ${database}`);
  await admin?.end();
});

test('creates a table, inserts a row and reads it back', async () => {
  await pool.query(
    `CREATE TABLE orders (
       id BIGINT AUTO_INCREMENT PRIMARY KEY,
       user_id VARCHAR(64) NOT NULL,
       total_amount INT NOT NULL,
       currency CHAR(3) NOT NULL
     )`,
  );
  const [result] = await pool.execute<mysql.ResultSetHeader>(
    'INSERT INTO orders (user_id, total_amount, currency) VALUES (?, ?, ?)',
    ['user-1', 4599, 'EUR'],
  );

  const [rows] = await pool.execute<mysql.RowDataPacket[]>(
    'SELECT id, user_id, total_amount, currency FROM orders WHERE id = ?',
    [result.insertId],
  );

  expect(rows).toEqual([{ id: result.insertId, user_id: 'user-1', total_amount: 4599, currency: 'EUR' }]);
});
