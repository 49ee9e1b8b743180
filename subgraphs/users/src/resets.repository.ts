import { createHash } from 'node:crypto';
import type pg from 'pg';
import { replacePassword, transaction } from './sessions.repository';

/**
 * Password-reset tokens (stored as SHA-256 hashes, single use, short-lived) and the throttle of
 * reset requests, in PostgreSQL.
 */

/** Migration 007 of the users database (listed in MIGRATIONS of users.repository.ts). */
export const RESETS_MIGRATION = {
  id: '007_password_resets',
  sql: `
    CREATE TABLE password_resets (
      token_hash bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      used_at timestamptz
    );
    CREATE INDEX password_resets_user_open ON password_resets (user_id) WHERE used_at IS NULL;
    CREATE INDEX password_resets_expiry ON password_resets (expires_at);
    -- One fixed-window counter per bucket: 'email:<sha256 of the address>' or 'client:<clientBucket>'.
    CREATE TABLE reset_throttle (
      bucket text PRIMARY KEY,
      requests integer NOT NULL CHECK (requests > 0),
      window_started_at timestamptz NOT NULL
    );
    CREATE INDEX reset_throttle_window ON reset_throttle (window_started_at);`,
};

/** The throttle bucket of an email address: its hash (an address asked for is kept in no table). */
export const emailBucket = (email: string) =>
  `email:${createHash('sha256').update(email.toLowerCase(), 'utf8').digest('hex')}`;
export const clientBucketKey = (clientAddress: string) => `client:${clientAddress}`;

/** A bucket's count in its current window, once this request was counted. */
export interface WindowCount {
  requests: number;
  /** Seconds until the bucket's window ends. */
  resetsInSeconds: number;
}

export class PasswordResetsRepository {
  private readonly pool: pg.Pool;

  constructor(deps: { pool: pg.Pool }) {
    this.pool = deps.pool;
  }

  /**
   * Counts one reset request in both buckets (the email address's and the client address's), each
   * a window of `windowSeconds` that starts with its first request. One statement: concurrent
   * requests are each counted once (the upsert locks the row). Returns both counts.
   */
  async countRequest(
    email: string,
    clientAddress: string,
    windowSeconds: number,
  ): Promise<{ email: WindowCount; client: WindowCount }> {
    const buckets = [emailBucket(email), clientBucketKey(clientAddress)];
    const { rows } = await this.pool.query<{ bucket: string; requests: number; resets_in: number }>(
      `INSERT INTO reset_throttle AS t (bucket, requests, window_started_at)
       VALUES ($1, 1, clock_timestamp()), ($2, 1, clock_timestamp())
       ON CONFLICT (bucket) DO UPDATE SET
         requests = CASE WHEN t.window_started_at <= clock_timestamp() - make_interval(secs => $3)
                         THEN 1 ELSE least(t.requests + 1, 1000000) END,
         window_started_at = CASE WHEN t.window_started_at <= clock_timestamp() - make_interval(secs => $3)
                                  THEN clock_timestamp() ELSE t.window_started_at END
       RETURNING bucket, requests,
         extract(epoch FROM t.window_started_at + make_interval(secs => $3) - clock_timestamp())::float8
           AS resets_in`,
      [buckets[0], buckets[1], windowSeconds],
    );
    const of = (bucket: string): WindowCount => {
      const row = rows.find((r) => r.bucket === bucket)!;
      return { requests: row.requests, resetsInSeconds: Math.max(0, row.resets_in) };
    };
    return { email: of(buckets[0]!), client: of(buckets[1]!) };
  }

  /** Stores a reset token's hash for a user; returns when it expires. */
  async create(userId: string, tokenHash: Buffer, ttlSeconds: number): Promise<Date> {
    const { rows } = await this.pool.query<{ expires_at: Date }>(
      `INSERT INTO password_resets (token_hash, user_id, expires_at)
       VALUES ($1, $2, clock_timestamp() + make_interval(secs => $3)) RETURNING expires_at`,
      [tokenHash, userId, ttlSeconds],
    );
    return rows[0]!.expires_at;
  }

  /** Deletes a reset token whose email could not be sent (nobody can have it). */
  async discard(tokenHash: Buffer): Promise<void> {
    await this.pool.query('DELETE FROM password_resets WHERE token_hash = $1 AND used_at IS NULL', [
      tokenHash,
    ]);
  }

  /** True when the token is unused and unexpired (a cheap look before the password is hashed). */
  async isUsable(tokenHash: Buffer): Promise<boolean> {
    const { rows } = await this.pool.query(
      `SELECT 1 FROM password_resets
       WHERE token_hash = $1 AND used_at IS NULL AND expires_at > clock_timestamp()`,
      [tokenHash],
    );
    return rows.length > 0;
  }

  /**
   * Spends the token and sets the password, in one transaction: the conditional update lets exactly
   * one of concurrent uses of a token through (the others wait for its row, then find it used); the
   * password is replaced, every session revoked and every other reset token of the user spent.
   * Returns the user's id and email, or null for an unknown, used or expired token.
   */
  consume(tokenHash: Buffer, passwordHash: string): Promise<{ userId: string; email: string } | null> {
    return transaction(this.pool, async (db) => {
      const { rows } = await db.query<{ user_id: string }>(
        `UPDATE password_resets SET used_at = clock_timestamp()
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > clock_timestamp()
         RETURNING user_id`,
        [tokenHash],
      );
      const userId = rows[0]?.user_id;
      if (!userId) return null;
      if (!(await replacePassword(db, userId, passwordHash, 'PASSWORD_RESET'))) return null;
      const user = await db.query<{ email: string }>('SELECT email::text AS email FROM users WHERE id = $1', [
        userId,
      ]);
      return { userId, email: user.rows[0]!.email };
    });
  }

  /** Deletes reset tokens expired or used over a day ago, and throttle windows that are over. */
  async prune(windowSeconds: number): Promise<number> {
    const resets = await this.pool.query(
      `DELETE FROM password_resets WHERE expires_at <= now() - interval '1 day'
         OR used_at <= now() - interval '1 day'`,
    );
    const throttle = await this.pool.query(
      'DELETE FROM reset_throttle WHERE window_started_at <= now() - make_interval(secs => $1)',
      [windowSeconds],
    );
    return (resets.rowCount ?? 0) + (throttle.rowCount ?? 0);
  }
}
