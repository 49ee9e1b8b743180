import mysql, {
  type Pool,
  type PoolConnection,
  type ResultSetHeader,
  type RowDataPacket,
} from 'mysql2/promise';

/** Something that runs SQL: the pool, or one connection inside a transaction. */
export interface Sql {
  /** Runs a SELECT and returns its rows. */
  rows<T>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs an INSERT/UPDATE/DELETE and returns the result header. */
  run(sql: string, params?: unknown[]): Promise<ResultSetHeader>;
}

export interface Db extends Sql {
  pool: Pool;
  /** Statements sent to MySQL since start (BEGIN and COMMIT included): the cost tests read it. */
  stats: { queries: number };
  /** Runs fn in one transaction: commit when it resolves, rollback when it throws. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

function sqlOn(target: Pool | PoolConnection, stats: { queries: number }): Sql {
  return {
    async rows<T>(sql: string, params: unknown[] = []) {
      stats.queries += 1;
      const [rows] = await target.query<RowDataPacket[]>(sql, params);
      return rows as T[];
    },
    async run(sql: string, params: unknown[] = []) {
      stats.queries += 1;
      const [result] = await target.query<ResultSetHeader>(sql, params);
      return result;
    },
  };
}

/** A connection pool with UTC dates and a statement counter. */
export function createDb(url: string, connectionLimit = 10): Db {
  const pool = mysql.createPool({ uri: url, timezone: 'Z', connectionLimit, dateStrings: false });
  // READ COMMITTED: no gap locks, so SKIP LOCKED queues (expiry, outbox) on several instances do not
  // deadlock each other; every rule that needs a stable row takes a row lock (FOR UPDATE) anyway.
  pool.pool.on('connection', (conn) => {
    conn.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
  });
  const stats = { queries: 0 };
  return {
    pool,
    stats,
    ...sqlOn(pool, stats),
    async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await once(fn);
        } catch (error) {
          // InnoDB rolled the transaction back; running it again is the documented answer.
          if (!isDeadlock(error) || attempt >= 3) throw error;
        }
      }
    },
    close: () => pool.end(),
  };

  async function once<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    const conn = await pool.getConnection();
    try {
      stats.queries += 1;
      await conn.beginTransaction();
      const result = await fn(sqlOn(conn, stats));
      stats.queries += 1;
      await conn.commit();
      return result;
    } catch (error) {
      await conn.rollback().catch(() => undefined);
      throw error;
    } finally {
      conn.release();
    }
  }
}

const isDeadlock = (error: unknown) => {
  const code = (error as { code?: string } | null)?.code;
  return code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT';
};

/** True for MySQL's duplicate-key error. */
export const isDuplicateKey = (error: unknown) =>
  (error as { code?: string } | null)?.code === 'ER_DUP_ENTRY';
