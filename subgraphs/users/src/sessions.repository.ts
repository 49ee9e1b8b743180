import type pg from 'pg';
import { isUserId } from '@shop/messaging';

/**
 * Sessions (refresh-token families) and their refresh tokens in PostgreSQL, and the password
 * changes that end sessions. A session is one sign-in: it starts with one refresh token, and every
 * refresh spends the presented token and adds the next one to the same session, so a session's
 * tokens form a chain of which at most one is live (unspent). Only SHA-256 hashes of tokens are
 * stored (tokens.ts).
 *
 * Every change to a session's tokens happens while the session's row is locked (rotate, revoke), so
 * two uses of one token are serialised: the first spends it, the second finds it spent (reuse).
 */

/** Migration 006 of the users database (listed in MIGRATIONS of users.repository.ts). */
export const SESSIONS_MIGRATION = {
  id: '006_sessions',
  sql: `
    CREATE TABLE sessions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL DEFAULT now(),
      -- the absolute lifetime: no refresh is accepted after it, however active the session
      expires_at timestamptz NOT NULL,
      -- the live token's expiry (idle lifetime, capped by expires_at)
      idle_expires_at timestamptz NOT NULL,
      refreshed_at timestamptz,
      revoked_at timestamptz,
      revoked_reason text CHECK (revoked_reason IN
        ('LOGOUT', 'LOGOUT_EVERYWHERE', 'REUSE', 'PASSWORD_CHANGED', 'PASSWORD_RESET', 'LIMIT')),
      CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL))
    );
    CREATE INDEX sessions_user_live ON sessions (user_id, created_at DESC) WHERE revoked_at IS NULL;
    CREATE INDEX sessions_expiry ON sessions (least(expires_at, idle_expires_at));
    CREATE INDEX sessions_revoked ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
    CREATE TABLE refresh_tokens (
      token_hash bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
      session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      spent_at timestamptz
    );
    CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);
    -- rotation's invariant: at most one live token per session
    CREATE UNIQUE INDEX refresh_tokens_one_live ON refresh_tokens (session_id) WHERE spent_at IS NULL;`,
};

export type RevokeReason =
  'LOGOUT' | 'LOGOUT_EVERYWHERE' | 'REUSE' | 'PASSWORD_CHANGED' | 'PASSWORD_RESET' | 'LIMIT';

/** Lifetimes of sessions (SESSION_* in config.ts). */
export interface SessionPolicy {
  /** A refresh token unused this long expires (each refresh starts it again). */
  idleSeconds: number;
  /** A session accepts no refresh this long after its sign-in, however active. */
  maxSeconds: number;
  /** Live sessions per user; signing in once more revokes the oldest (reason LIMIT). */
  maxPerUser: number;
}

/** A session just opened or refreshed: its id and when the new refresh token expires. */
export interface OpenedSession {
  sessionId: string;
  refreshExpiresAt: Date;
}

/** What presenting a refresh token did (rotate). */
export type RotateOutcome =
  | ({ kind: 'ROTATED'; userId: string } & OpenedSession)
  /** The token was already spent: the whole session was revoked now. */
  | { kind: 'REUSED'; userId: string; sessionId: string }
  /** Unknown, expired, or of a session that is revoked or past its lifetime: nothing changed. */
  | { kind: 'INVALID' };

type Queryable = pg.Pool | pg.PoolClient;

/** Runs `work` in one transaction on its own client. */
export async function transaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Revokes every live session of a user (inside the caller's transaction); how many. */
export async function revokeSessionsOf(db: Queryable, userId: string, reason: RevokeReason): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE sessions SET revoked_at = clock_timestamp(), revoked_reason = $2
     WHERE user_id = $1 AND revoked_at IS NULL`,
    [userId, reason],
  );
  return rowCount ?? 0;
}

/**
 * A new password for a user, inside the caller's transaction: the hash is replaced, every session
 * is revoked (`reason`) and every unused password-reset token is spent. False when no such user.
 */
export async function replacePassword(
  db: pg.PoolClient,
  userId: string,
  passwordHash: string,
  reason: 'PASSWORD_CHANGED' | 'PASSWORD_RESET',
): Promise<boolean> {
  const { rowCount } = await db.query(
    'UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1',
    [userId, passwordHash],
  );
  if (!rowCount) return false;
  await revokeSessionsOf(db, userId, reason);
  await db.query(
    'UPDATE password_resets SET used_at = clock_timestamp() WHERE user_id = $1 AND used_at IS NULL',
    [userId],
  );
  return true;
}

/** Revoked and expired sessions are kept this long (diagnostics), then deleted with their tokens. */
export const SESSION_RETENTION_SECONDS = 24 * 3600;

export class SessionsRepository {
  private readonly pool: pg.Pool;

  constructor(deps: { pool: pg.Pool }) {
    this.pool = deps.pool;
  }

  /** Opens a session inside the caller's transaction; revokes the user's oldest beyond the limit. */
  private async openIn(
    db: pg.PoolClient,
    userId: string,
    tokenHash: Buffer,
    policy: SessionPolicy,
  ): Promise<OpenedSession> {
    const { rows } = await db.query<{ id: string; idle_expires_at: Date }>(
      `INSERT INTO sessions (user_id, expires_at, idle_expires_at)
       SELECT $1, t + make_interval(secs => $2), least(t + make_interval(secs => $3), t + make_interval(secs => $2))
       FROM clock_timestamp() AS t
       RETURNING id, idle_expires_at`,
      [userId, policy.maxSeconds, policy.idleSeconds],
    );
    const session = rows[0]!;
    await db.query('INSERT INTO refresh_tokens (token_hash, session_id, expires_at) VALUES ($1, $2, $3)', [
      tokenHash,
      session.id,
      session.idle_expires_at,
    ]);
    await db.query(
      `UPDATE sessions SET revoked_at = clock_timestamp(), revoked_reason = 'LIMIT'
       WHERE id IN (SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL
                    ORDER BY created_at DESC, id DESC OFFSET $2)`,
      [userId, policy.maxPerUser],
    );
    return { sessionId: session.id, refreshExpiresAt: session.idle_expires_at };
  }

  /** A new session (a sign-in) with its first refresh token. */
  open(userId: string, tokenHash: Buffer, policy: SessionPolicy): Promise<OpenedSession> {
    return transaction(this.pool, (db) => this.openIn(db, userId, tokenHash, policy));
  }

  /**
   * Spends the presented token and adds `nextHash` as the session's next one. The session's row is
   * locked first and the token read again after the lock, so of concurrent uses of one token exactly
   * one rotates; every other one (and any later one) finds it spent, which is reuse: the session is
   * revoked (OAuth 2.0 Security BCP, RFC 9700 4.14.2) and its newest token dies with it.
   */
  rotate(presentedHash: Buffer, nextHash: Buffer, idleSeconds: number): Promise<RotateOutcome> {
    return transaction(this.pool, async (db) => {
      const found = await db.query<{ session_id: string }>(
        'SELECT session_id FROM refresh_tokens WHERE token_hash = $1',
        [presentedHash],
      );
      const sessionId = found.rows[0]?.session_id;
      if (!sessionId) return { kind: 'INVALID' };
      const locked = await db.query<{ user_id: string; live: boolean; expires_at: Date; now: Date }>(
        `SELECT user_id, revoked_at IS NULL AND expires_at > clock_timestamp() AS live, expires_at,
           clock_timestamp() AS now
         FROM sessions WHERE id = $1 FOR UPDATE`,
        [sessionId],
      );
      const session = locked.rows[0];
      if (!session?.live) return { kind: 'INVALID' };
      // Read after the lock (a new snapshot in READ COMMITTED): a use that held the lock has committed.
      const token = (
        await db.query<{ spent: boolean; expired: boolean }>(
          `SELECT spent_at IS NOT NULL AS spent, expires_at <= $2 AS expired
           FROM refresh_tokens WHERE token_hash = $1`,
          [presentedHash, session.now],
        )
      ).rows[0];
      if (!token) return { kind: 'INVALID' };
      if (token.spent) {
        await db.query(
          `UPDATE sessions SET revoked_at = clock_timestamp(), revoked_reason = 'REUSE' WHERE id = $1`,
          [sessionId],
        );
        return { kind: 'REUSED', userId: session.user_id, sessionId };
      }
      if (token.expired) return { kind: 'INVALID' };
      const idleUntil = new Date(
        Math.min(session.now.getTime() + idleSeconds * 1000, session.expires_at.getTime()),
      );
      await db.query('UPDATE refresh_tokens SET spent_at = $2 WHERE token_hash = $1', [
        presentedHash,
        session.now,
      ]);
      await db.query('INSERT INTO refresh_tokens (token_hash, session_id, expires_at) VALUES ($1, $2, $3)', [
        nextHash,
        sessionId,
        idleUntil,
      ]);
      await db.query('UPDATE sessions SET refreshed_at = $2, idle_expires_at = $3 WHERE id = $1', [
        sessionId,
        session.now,
        idleUntil,
      ]);
      return { kind: 'ROTATED', userId: session.user_id, sessionId, refreshExpiresAt: idleUntil };
    });
  }

  /** Revokes the session a token (live or spent) belongs to; how many sessions that ended (0 or 1). */
  async revokeByToken(tokenHash: Buffer, reason: RevokeReason): Promise<number> {
    const { rowCount } = await this.pool.query(
      `UPDATE sessions SET revoked_at = clock_timestamp(), revoked_reason = $2
       WHERE id = (SELECT session_id FROM refresh_tokens WHERE token_hash = $1) AND revoked_at IS NULL`,
      [tokenHash, reason],
    );
    return rowCount ?? 0;
  }

  /** Revokes every live session of a user; how many. */
  revokeAll(userId: string, reason: RevokeReason): Promise<number> {
    return isUserId(userId) ? revokeSessionsOf(this.pool, userId, reason) : Promise.resolve(0);
  }

  /**
   * changePassword's write, in one transaction: the new hash, every session and unused reset token
   * of the user ended, and a new session opened for the caller. Null when the user no longer exists.
   */
  changePassword(
    userId: string,
    passwordHash: string,
    tokenHash: Buffer,
    policy: SessionPolicy,
  ): Promise<OpenedSession | null> {
    return transaction(this.pool, async (db) => {
      if (!(await replacePassword(db, userId, passwordHash, 'PASSWORD_CHANGED'))) return null;
      return this.openIn(db, userId, tokenHash, policy);
    });
  }

  /** Deletes sessions (and their tokens) revoked or expired more than SESSION_RETENTION_SECONDS ago. */
  async prune(): Promise<number> {
    const { rowCount } = await this.pool.query(
      `DELETE FROM sessions
       WHERE least(expires_at, idle_expires_at) <= now() - make_interval(secs => $1)
          OR revoked_at <= now() - make_interval(secs => $1)`,
      [SESSION_RETENTION_SECONDS],
    );
    return rowCount ?? 0;
  }

  /** The user's sessions, newest first, for tests and diagnostics (never a token or hash). */
  async sessionsOf(
    userId: string,
  ): Promise<{ id: string; live: boolean; revokedReason: RevokeReason | null }[]> {
    const { rows } = await this.pool.query<{
      id: string;
      live: boolean;
      revoked_reason: RevokeReason | null;
    }>(
      `SELECT id, revoked_at IS NULL AND least(expires_at, idle_expires_at) > clock_timestamp() AS live,
         revoked_reason
       FROM sessions WHERE user_id = $1 ORDER BY created_at DESC, id DESC`,
      [userId],
    );
    return rows.map((r) => ({ id: r.id, live: r.live, revokedReason: r.revoked_reason }));
  }
}
