import type pg from 'pg';
import type { Role } from '@shop/auth';
import type { NewUser, ProfileChanges, UserModel } from './models';
import type { PasswordHasher } from './passwords';

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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** True when id can be a user id; anything else cannot match a row (and would be a SQL cast error). */
export const isUserId = (id: string) => UUID.test(id);

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
    return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
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

  /** Failed logins for an email within the window: how many, and when the oldest of them was. */
  async recentFailures(
    email: string,
    windowSeconds: number,
  ): Promise<{ count: number; oldest: Date | null }> {
    const { rows } = await this.pool.query<{ count: string; oldest: Date | null }>(
      `SELECT count(*) AS count, min(failed_at) AS oldest FROM login_failures
       WHERE email = $1 AND failed_at > now() - make_interval(secs => $2)`,
      [email, windowSeconds],
    );
    return { count: Number(rows[0]?.count ?? 0), oldest: rows[0]?.oldest ?? null };
  }

  /** Records a failed login and forgets this email's failures older than the window. */
  async recordFailure(email: string, windowSeconds: number): Promise<void> {
    await this.pool.query(
      `WITH pruned AS (
         DELETE FROM login_failures WHERE email = $1 AND failed_at <= now() - make_interval(secs => $2)
       )
       INSERT INTO login_failures (email) VALUES ($1)`,
      [email, windowSeconds],
    );
  }

  async clearFailures(email: string): Promise<void> {
    await this.pool.query('DELETE FROM login_failures WHERE email = $1', [email]);
  }

  /** Counts rows per table; for tests and diagnostics. */
  async counts(): Promise<{ users: number; loginFailures: number }> {
    const { rows } = await this.pool.query<{ users: string; failures: string }>(
      'SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM login_failures) AS failures',
    );
    return { users: Number(rows[0]?.users ?? 0), loginFailures: Number(rows[0]?.failures ?? 0) };
  }
}
