import type pg from 'pg';
import type { Role } from '@shop/auth';
import { isUserId } from '@shop/messaging';
import type { NewUser, ProfileChanges, UserModel } from './models';
import type { PasswordHasher } from './passwords';
import { RESETS_MIGRATION } from './resets.repository';
import { SESSIONS_MIGRATION } from './sessions.repository';
import type { ThrottleBucket } from './throttle';

/**
 * Every SQL statement of the users subgraph. Password hashes go in (create) and are compared here
 * (authenticate), but never leave this module: every method returns UserModel, which has no hash.
 */

/** Schema migrations, applied in order at start-up; each runs once (tracked in schema_migrations). */
export const MIGRATIONS: { id: string; sql: string }[] = [
  {
    id: '001_users',
    sql: `
      CREATE EXTENSION IF NOT EXISTS citext;
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email citext NOT NULL,
        name text NOT NULL,
        phone text,
        role text NOT NULL DEFAULT 'CUSTOMER' CHECK (role IN ('CUSTOMER', 'ADMIN')),
        password_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX users_email_key ON users (email);`,
  },
  {
    id: '002_login_failures',
    sql: `
      CREATE TABLE login_failures (
        id bigserial PRIMARY KEY,
        email citext NOT NULL,
        failed_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX login_failures_email_time ON login_failures (email, failed_at);`,
  },
  {
    // One row per throttling bucket (see throttle.ts), locked while an attempt is counted.
    id: '003_login_throttle',
    sql: `
      DROP TABLE login_failures;
      CREATE TABLE login_throttle (
        email text NOT NULL,
        address text NOT NULL,
        failures integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
        last_failure_at timestamptz
      );
      CREATE UNIQUE INDEX login_throttle_bucket ON login_throttle (email, address);
      CREATE INDEX login_throttle_last_failure ON login_throttle (last_failure_at);
      COMMENT ON COLUMN login_throttle.email IS 'the account''s email, or empty for the bucket of the whole address';`,
  },
  {
    // The address book (addresses.repository.ts): at most one default per user (partial unique
    // index); the 20-address limit is enforced under the lock of the user's row.
    id: '004_addresses',
    sql: `
      CREATE TABLE addresses (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name text NOT NULL,
        company text,
        line1 text NOT NULL,
        line2 text,
        postal_code text NOT NULL,
        city text NOT NULL,
        region text,
        country text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
        phone text,
        is_default_shipping boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX addresses_user_seq ON addresses (user_id, seq DESC);
      CREATE UNIQUE INDEX addresses_one_default ON addresses (user_id) WHERE is_default_shipping;`,
  },
  {
    // Query.customers: newest first, and substring search of email and name (trigram indexes).
    id: '005_customer_search',
    sql: `
      CREATE EXTENSION IF NOT EXISTS pg_trgm;
      CREATE INDEX users_role_created ON users (role, created_at DESC, id DESC);
      CREATE INDEX users_email_trgm ON users USING gin ((email::text) gin_trgm_ops);
      CREATE INDEX users_name_trgm ON users USING gin (name gin_trgm_ops);`,
  },
  // Sessions and refresh tokens (sessions.repository.ts), password resets (resets.repository.ts).
  SESSIONS_MIGRATION,
  RESETS_MIGRATION,
];

const USER_COLUMNS = 'id, email::text AS email, name, phone, role, created_at';

interface UserRow {
  id: string;
  email: string;
  name: string;
  phone: string | null;
  role: Role;
  created_at: Date;
}

const toModel = (row: UserRow): UserModel => ({
  id: row.id,
  email: row.email,
  name: row.name,
  phone: row.phone,
  role: row.role,
  createdAt: row.created_at,
});

/** The email column of a client address's own bucket (every account together). */
const WHOLE_ADDRESS = '';

/** Both buckets of an attempt, locked: the address's own first, then the account's at that address. */
export interface LockedBuckets {
  address: ThrottleBucket;
  account: ThrottleBucket;
  /** PostgreSQL's clock once the rows are locked, so that every instance judges time alike. */
  now: Date;
}

/**
 * What the service decides about a locked attempt: the failure counts to store when it is admitted
 * (counted before the password is compared), or the seconds to wait.
 */
export type AttemptDecision =
  { admitted: true; address: number; account: number } | { admitted: false; waitSeconds: number };

export interface UsersRepositoryDeps {
  pool: pg.Pool;
  /** Compares passwords with the stored hash in authenticate(), so the hash never leaves. */
  passwords: PasswordHasher;
}

export class UsersRepository {
  private readonly pool: pg.Pool;
  private readonly passwords: PasswordHasher;

  constructor(deps: UsersRepositoryDeps) {
    this.pool = deps.pool;
    this.passwords = deps.passwords;
  }

  /** Applies pending migrations in one transaction, serialised across instances by an advisory lock. */
  async migrate(): Promise<string[]> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query("SELECT pg_advisory_xact_lock(hashtext('shop_users.schema_migrations'))");
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
      );
      const { rows } = await client.query<{ id: string }>('SELECT id FROM schema_migrations');
      const done = new Set(rows.map((r) => r.id));
      const applied: string[] = [];
      for (const migration of MIGRATIONS) {
        if (done.has(migration.id)) continue;
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (id) VALUES ($1)', [migration.id]);
        applied.push(migration.id);
      }
      await client.query('COMMIT');
      return applied;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async ping(): Promise<boolean> {
    await this.pool.query('SELECT 1');
    return true;
  }

  /** One query for the whole batch; the result is aligned with ids (null where no user exists). */
  async findByIds(ids: readonly string[]): Promise<(UserModel | null)[]> {
    const valid = [...new Set(ids.filter(isUserId))];
    if (valid.length === 0) return ids.map(() => null);
    const { rows } = await this.pool.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM users WHERE id = ANY($1::uuid[])`,
      [valid],
    );
    const byId = new Map(rows.map((row) => [row.id, toModel(row)]));
    // Exactly the issued form: isUserId admits only lower-case UUIDs, which is how rows come back.
    return ids.map((id) => byId.get(id) ?? null);
  }

  async findById(id: string): Promise<UserModel | null> {
    const [user] = await this.findByIds([id]);
    return user ?? null;
  }

  async findByEmail(email: string): Promise<UserModel | null> {
    const { rows } = await this.pool.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE email = $1`, [
      email,
    ]);
    return rows[0] ? toModel(rows[0]) : null;
  }

  /** Inserts the account; null when the email is already taken (also under concurrent inserts). */
  async create(user: NewUser): Promise<UserModel | null> {
    const { rows } = await this.pool.query<UserRow>(
      `INSERT INTO users (email, name, phone, role, password_hash) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (email) DO NOTHING RETURNING ${USER_COLUMNS}`,
      [user.email, user.name, user.phone, user.role, user.passwordHash],
    );
    return rows[0] ? toModel(rows[0]) : null;
  }

  /** Creates the account as ADMIN, or makes an existing account with that email an ADMIN. */
  async upsertAdmin(user: NewUser): Promise<UserModel> {
    const { rows } = await this.pool.query<UserRow>(
      `INSERT INTO users (email, name, phone, role, password_hash) VALUES ($1, $2, $3, 'ADMIN', $4)
       ON CONFLICT (email) DO UPDATE SET role = 'ADMIN', updated_at = now() RETURNING ${USER_COLUMNS}`,
      [user.email, user.name, user.phone, user.passwordHash],
    );
    return toModel(rows[0]!);
  }

  /**
   * The account when the password matches, else null. An unknown email is verified against a
   * dummy hash, so both failures take the same time.
   */
  async authenticate(email: string, password: string): Promise<UserModel | null> {
    const { rows } = await this.pool.query<UserRow & { password_hash: string }>(
      `SELECT ${USER_COLUMNS}, password_hash FROM users WHERE email = $1`,
      [email],
    );
    const row = rows[0];
    if (!row) return this.passwords.verifyDummy(password).then(() => null);
    return (await this.passwords.verify(row.password_hash, password)) ? toModel(row) : null;
  }

  async updateProfile(id: string, changes: ProfileChanges): Promise<UserModel | null> {
    if (!isUserId(id)) return null;
    const { rows } = await this.pool.query<UserRow>(
      `UPDATE users SET
         name = CASE WHEN $2::boolean THEN $3 ELSE name END,
         phone = CASE WHEN $4::boolean THEN $5 ELSE phone END,
         updated_at = now()
       WHERE id = $1 RETURNING ${USER_COLUMNS}`,
      [
        id,
        changes.name !== undefined,
        changes.name ?? null,
        changes.phone !== undefined,
        changes.phone ?? null,
      ],
    );
    return rows[0] ? toModel(rows[0]) : null;
  }

  /**
   * One page of the CUSTOMER accounts, newest first (created_at, then id, both descending): up to
   * `limit` rows after the cursor `after` ([created_at in microseconds since the epoch, id]).
   * `pattern` is an ILIKE pattern with a backslash as its escape character, matched against the
   * email and the name; null lists everyone.
   */
  async listCustomers(
    pattern: string | null,
    limit: number,
    after: { micros: string; id: string } | null,
  ): Promise<(UserModel & { cursorMicros: string })[]> {
    const { rows } = await this.pool.query<UserRow & { micros: string }>(
      `SELECT ${USER_COLUMNS},
         ((extract(epoch FROM created_at) * 1000000)::bigint)::text AS micros
       FROM users
       WHERE role = 'CUSTOMER'
         AND ($1::text IS NULL OR email::text ILIKE $1 ESCAPE '\\' OR name ILIKE $1 ESCAPE '\\')
         AND ($2::bigint IS NULL
              OR (created_at, id) < (timestamptz 'epoch' + $2::bigint * interval '1 microsecond', $3::uuid))
       ORDER BY created_at DESC, id DESC
       LIMIT $4`,
      [pattern, after?.micros ?? null, after?.id ?? null, limit],
    );
    return rows.map((row) => ({ ...toModel(row), cursorMicros: row.micros }));
  }

  /**
   * Counts one sign-in attempt of `email` from `address`, atomically over every instance: both
   * buckets' rows are created if missing and locked (always in the same order, so concurrent
   * attempts cannot deadlock), `decide` judges them, and an admitted attempt is written as a failure
   * before the transaction ends, i.e. before any password is compared. Returns the decision.
   */
  async countLoginAttempt(
    email: string,
    address: string,
    decide: (buckets: LockedBuckets) => AttemptDecision,
  ): Promise<AttemptDecision> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      let rows: { email: string; failures: number; last_failure_at: Date | null; now: Date }[] = [];
      // A row pruned between the insert and the lock is inserted again (and then held) on the retry.
      for (let tries = 0; rows.length < 2 && tries < 3; tries++) {
        await client.query(
          `INSERT INTO login_throttle (email, address) VALUES ($1, $3), ($2, $3) ON CONFLICT DO NOTHING`,
          [WHOLE_ADDRESS, email, address],
        );
        ({ rows } = await client.query(
          `SELECT email, failures, last_failure_at, clock_timestamp() AS now FROM login_throttle
           WHERE address = $3 AND email IN ($1, $2) ORDER BY email FOR UPDATE`,
          [WHOLE_ADDRESS, email, address],
        ));
      }
      const bucket = (which: string): ThrottleBucket => {
        const row = rows.find((r) => r.email === which);
        if (!row) throw new Error('login throttle bucket vanished while it was being locked');
        return { failures: row.failures, lastFailureAt: row.last_failure_at };
      };
      // The clock read once the rows are locked (not the transaction's start, which may precede
      // the last failure of an attempt that held the lock meanwhile); stored as that failure's time.
      const now = rows[0]!.now;
      const decision = decide({ address: bucket(WHOLE_ADDRESS), account: bucket(email), now });
      if (decision.admitted) {
        await client.query(
          `UPDATE login_throttle SET last_failure_at = $6,
             failures = CASE WHEN email = $1 THEN $4::int ELSE $5::int END
           WHERE address = $3 AND email IN ($1, $2)`,
          [WHOLE_ADDRESS, email, address, decision.address, decision.account, now],
        );
      }
      await client.query('COMMIT');
      return decision;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * The password was right: the attempt counted for it was not a failure. The account's bucket at
   * this address is cleared; the address's own count goes down by that one attempt only (another
   * account's success must not wipe the failures of a spraying address).
   */
  async loginSucceeded(email: string, address: string): Promise<void> {
    await this.pool.query(
      `WITH cleared AS (DELETE FROM login_throttle WHERE email = $2 AND address = $3)
       UPDATE login_throttle SET failures = greatest(failures - 1, 0) WHERE email = $1 AND address = $3`,
      [WHOLE_ADDRESS, email, address],
    );
  }

  /** Forgets buckets whose last failure is older than the window (and those that never failed). */
  async pruneLoginThrottle(windowSeconds: number): Promise<number> {
    const { rowCount } = await this.pool.query(
      `DELETE FROM login_throttle
       WHERE last_failure_at IS NULL OR last_failure_at <= now() - make_interval(secs => $1)`,
      [windowSeconds],
    );
    return rowCount ?? 0;
  }

  /** Counts rows per table; for tests and diagnostics. */
  async counts(): Promise<{ users: number; loginFailures: number }> {
    const { rows } = await this.pool.query<{ users: string; failures: string }>(
      `SELECT (SELECT count(*) FROM users) AS users,
         (SELECT coalesce(sum(failures), 0) FROM login_throttle WHERE email <> '') AS failures`,
    );
    return { users: Number(rows[0]?.users ?? 0), loginFailures: Number(rows[0]?.failures ?? 0) };
  }
}
