import type pg from 'pg';
import type { ValidAddress } from '@shop/config';
import { isAddressId, isUserId } from '@shop/messaging';
import type { AddressModel } from './models';

/**
 * Every SQL statement of the address book (table `addresses`, migration 004_addresses in
 * users.repository.ts). Every method names the owner: an address is found, changed or deleted only
 * together with its user id, so a query can never reach another user's address. Changes that touch
 * the count or the default lock the owner's `users` row first (`FOR UPDATE`), which serialises one
 * user's address-book changes over every instance: the 20-address limit and "at most one default"
 * hold under concurrent requests (the partial unique index backs the latter).
 */

const COLUMNS = `id, user_id, name, company, line1, line2, postal_code, city, region, country, phone,
  is_default_shipping, created_at, updated_at, seq`;

interface AddressRow {
  id: string;
  user_id: string;
  name: string;
  company: string | null;
  line1: string;
  line2: string | null;
  postal_code: string;
  city: string;
  region: string | null;
  country: string;
  phone: string | null;
  is_default_shipping: boolean;
  created_at: Date;
  updated_at: Date;
  seq: string;
}

const toModel = (row: AddressRow): AddressModel => ({
  id: row.id,
  userId: row.user_id,
  name: row.name,
  company: row.company,
  line1: row.line1,
  line2: row.line2,
  postalCode: row.postal_code,
  city: row.city,
  region: row.region,
  country: row.country,
  phone: row.phone,
  isDefaultShipping: row.is_default_shipping,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  seq: Number(row.seq),
});

const values = (a: ValidAddress) => [
  a.name,
  a.company,
  a.line1,
  a.line2,
  a.postalCode,
  a.city,
  a.region,
  a.country,
  a.phone,
];

/** What create() did: the new address, the book was full, or the user does not exist. */
export type CreateAddressOutcome =
  { kind: 'created'; address: AddressModel } | { kind: 'limit' } | { kind: 'no-user' };

export interface AddressesRepositoryDeps {
  pool: pg.Pool;
}

export class AddressesRepository {
  private readonly pool: pg.Pool;

  constructor(deps: AddressesRepositoryDeps) {
    this.pool = deps.pool;
  }

  /**
   * Runs fn in a transaction holding the lock of the user's row; null (and nothing done) when the
   * user does not exist.
   */
  private async withUserLocked<T>(
    userId: string,
    fn: (client: pg.PoolClient) => Promise<T>,
  ): Promise<T | null> {
    if (!isUserId(userId)) return null;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rowCount } = await client.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [userId]);
      if (!rowCount) {
        await client.query('ROLLBACK');
        return null;
      }
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** One page of a user's addresses, newest first: up to `limit` rows with seq below `beforeSeq`. */
  async listForUser(userId: string, limit: number, beforeSeq: number | null): Promise<AddressModel[]> {
    if (!isUserId(userId)) return [];
    const { rows } = await this.pool.query<AddressRow>(
      `SELECT ${COLUMNS} FROM addresses WHERE user_id = $1 AND ($2::bigint IS NULL OR seq < $2)
       ORDER BY seq DESC LIMIT $3`,
      [userId, beforeSeq, limit],
    );
    return rows.map(toModel);
  }

  /** The default shipping address of each user (one query), aligned with userIds; null where none. */
  async defaultsForUsers(userIds: readonly string[]): Promise<(AddressModel | null)[]> {
    const valid = [...new Set(userIds.filter(isUserId))];
    if (valid.length === 0) return userIds.map(() => null);
    const { rows } = await this.pool.query<AddressRow>(
      `SELECT ${COLUMNS} FROM addresses WHERE user_id = ANY($1::uuid[]) AND is_default_shipping`,
      [valid],
    );
    const byUser = new Map(rows.map((row) => [row.user_id, toModel(row)]));
    return userIds.map((id) => byUser.get(id) ?? null);
  }

  /** The address when it exists and belongs to userId (ids exactly as issued), else null. */
  async findForUser(userId: string, id: string): Promise<AddressModel | null> {
    if (!isUserId(userId) || !isAddressId(id)) return null;
    const { rows } = await this.pool.query<AddressRow>(
      `SELECT ${COLUMNS} FROM addresses WHERE id = $1 AND user_id = $2`,
      [id, userId],
    );
    return rows[0] ? toModel(rows[0]) : null;
  }

  /**
   * Adds an address unless the user already has `limit`. The first address of a user, or any with
   * makeDefault, becomes the default (the previous default is cleared in the same transaction).
   */
  async create(
    userId: string,
    address: ValidAddress,
    makeDefault: boolean,
    limit: number,
  ): Promise<CreateAddressOutcome> {
    const outcome = await this.withUserLocked(userId, async (client): Promise<CreateAddressOutcome> => {
      const { rows } = await client.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM addresses WHERE user_id = $1',
        [userId],
      );
      const count = rows[0]!.n;
      if (count >= limit) return { kind: 'limit' };
      const isDefault = makeDefault || count === 0;
      if (isDefault && count > 0) {
        await client.query(
          `UPDATE addresses SET is_default_shipping = false, updated_at = now()
           WHERE user_id = $1 AND is_default_shipping`,
          [userId],
        );
      }
      const inserted = await client.query<AddressRow>(
        `INSERT INTO addresses
           (user_id, name, company, line1, line2, postal_code, city, region, country, phone, is_default_shipping)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${COLUMNS}`,
        [userId, ...values(address), isDefault],
      );
      return { kind: 'created', address: toModel(inserted.rows[0]!) };
    });
    return outcome ?? { kind: 'no-user' };
  }

  /** Replaces the fields of the user's address (its default flag stays); null when it is not theirs. */
  async update(userId: string, id: string, address: ValidAddress): Promise<AddressModel | null> {
    if (!isUserId(userId) || !isAddressId(id)) return null;
    const { rows } = await this.pool.query<AddressRow>(
      `UPDATE addresses SET name = $3, company = $4, line1 = $5, line2 = $6, postal_code = $7, city = $8,
         region = $9, country = $10, phone = $11, updated_at = now()
       WHERE id = $1 AND user_id = $2 RETURNING ${COLUMNS}`,
      [id, userId, ...values(address)],
    );
    return rows[0] ? toModel(rows[0]) : null;
  }

  /**
   * Deletes the user's address; when it was the default, the newest remaining address becomes the
   * default. False when the address is not theirs (or does not exist).
   */
  async delete(userId: string, id: string): Promise<boolean> {
    if (!isAddressId(id)) return false;
    const deleted = await this.withUserLocked(userId, async (client) => {
      const { rows } = await client.query<{ is_default_shipping: boolean }>(
        'DELETE FROM addresses WHERE id = $1 AND user_id = $2 RETURNING is_default_shipping',
        [id, userId],
      );
      if (!rows[0]) return false;
      if (rows[0].is_default_shipping) {
        await client.query(
          `UPDATE addresses SET is_default_shipping = true, updated_at = now()
           WHERE id = (SELECT id FROM addresses WHERE user_id = $1 ORDER BY seq DESC LIMIT 1)`,
          [userId],
        );
      }
      return true;
    });
    return deleted ?? false;
  }

  /** Makes the user's address their default (clearing the previous one); null when it is not theirs. */
  async setDefault(userId: string, id: string): Promise<AddressModel | null> {
    if (!isAddressId(id)) return null;
    return this.withUserLocked(userId, async (client) => {
      const found = await client.query('SELECT 1 FROM addresses WHERE id = $1 AND user_id = $2', [
        id,
        userId,
      ]);
      if (!found.rowCount) return null;
      // Two statements: the partial unique index is checked row by row, so the old default goes first.
      await client.query(
        `UPDATE addresses SET is_default_shipping = false, updated_at = now()
         WHERE user_id = $1 AND is_default_shipping AND id <> $2`,
        [userId, id],
      );
      const { rows } = await client.query<AddressRow>(
        `UPDATE addresses SET is_default_shipping = true,
           updated_at = CASE WHEN is_default_shipping THEN updated_at ELSE now() END
         WHERE id = $1 RETURNING ${COLUMNS}`,
        [id],
      );
      return toModel(rows[0]!);
    });
  }

  /** Addresses per user; for tests and diagnostics. */
  async countForUser(userId: string): Promise<{ total: number; defaults: number }> {
    const { rows } = await this.pool.query<{ total: number; defaults: number }>(
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE is_default_shipping)::int AS defaults
       FROM addresses WHERE user_id = $1`,
      [userId],
    );
    return rows[0]!;
  }
}
