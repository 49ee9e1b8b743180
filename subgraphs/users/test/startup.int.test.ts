import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ConfigError, loadConfig } from '@shop/config';
import { createLogger } from '@shop/server';
import { createPgDatabase, endpoints, memoryLog, natsPrefix, runId, withDatabase } from '@shop/testing';
import { SessionsRepository } from '../src/sessions.repository';
import { newToken } from '../src/tokens';
import { AddressesRepository } from '../src/addresses.repository';
import { configSchema, createApp } from '../src/index';
import { createPasswordHasher } from '../src/passwords';
import { MIGRATIONS, UsersRepository } from '../src/users.repository';
import { ADMIN, startUsers, type TestEnv } from './helpers';

let env: TestEnv;
const dir = mkdtempSync(join(tmpdir(), 'users-keys-'));
const log = memoryLog();
const quietLog = () => createLogger({ name: 'users', level: 'trace' }, log.stream);

beforeAll(async () => {
  env = await startUsers('startup');
});
afterAll(async () => {
  await env?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('start-up', () => {
  it('applies migrations once, tracked in schema_migrations, and is safe to run again', async () => {
    expect(await env.app.repository.migrate()).toEqual([]);
    const { rows } = await env.app.pool.query<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id');
    expect(rows.map((r) => r.id)).toEqual([
      '001_users',
      '002_login_failures',
      '003_login_throttle',
      '004_addresses',
      '005_customer_search',
      '006_sessions',
      '007_password_resets',
    ]);
  });

  it('upgrades a database of the previous release: its accounts keep working and get address books', async () => {
    const db = await createPgDatabase('upgrade');
    const pool = new pg.Pool({ connectionString: db.url });
    try {
      await pool.query(
        'CREATE TABLE schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
      );
      for (const migration of MIGRATIONS.slice(0, 3)) {
        await pool.query(migration.sql);
        await pool.query('INSERT INTO schema_migrations (id) VALUES ($1)', [migration.id]);
      }
      const { rows } = await pool.query<{ id: string }>(
        "INSERT INTO users (email, name, password_hash) VALUES ('old@example.com', 'Old', 'h') RETURNING id",
      );
      const repository = new UsersRepository({ pool, passwords: await createPasswordHasher() });
      expect(await repository.migrate()).toEqual([
        '004_addresses',
        '005_customer_search',
        '006_sessions',
        '007_password_resets',
      ]);
      const addresses = new AddressesRepository({ pool });
      const created = await addresses.create(
        rows[0]!.id,
        {
          name: 'Old',
          company: null,
          line1: 'Weg 1',
          line2: null,
          postalCode: '10115',
          city: 'Berlin',
          region: null,
          country: 'DE',
          phone: null,
        },
        false,
        20,
      );
      expect(created).toMatchObject({ kind: 'created', address: { isDefaultShipping: true } });
      expect(await repository.listCustomers('%old%', 10, null)).toMatchObject([{ email: 'old@example.com' }]);
      // ... and sessions (migration 006)
      const policy = { idleSeconds: 600, maxSeconds: 3600, maxPerUser: 5 };
      const opened = await new SessionsRepository({ pool }).open(rows[0]!.id, newToken().hash, policy);
      expect(opened.refreshExpiresAt.getTime()).toBeGreaterThan(Date.now() + 590_000);
    } finally {
      await pool.end();
      await db.drop();
    }
  });

  it('boots a second instance on the same database without duplicating the admin', async () => {
    const second = await createApp(
      loadConfig(configSchema, {
        NODE_ENV: 'test',
        PORT: '0',
        POSTGRES_URL: env.db.url,
        NATS_PREFIX: env.prefix,
        ADMIN_EMAIL: ADMIN.email.toUpperCase(),
        ADMIN_PASSWORD: ADMIN.password,
      }),
      { log: quietLog() },
    );
    await second.start();
    await second.stop();
    const { rows } = await env.app.pool.query("SELECT count(*)::int AS n FROM users WHERE role = 'ADMIN'");
    expect(rows[0].n).toBe(1);
  });

  it('emails are unique regardless of letter case (citext unique index)', async () => {
    const insert = 'INSERT INTO users (email, name, password_hash) VALUES ($1, $2, $3)';
    await env.app.pool.query(insert, ['case@example.com', 'a', 'h']);
    await expect(env.app.pool.query(insert, ['CASE@Example.com', 'b', 'h'])).rejects.toMatchObject({
      code: '23505',
    });
  });

  it('creates its database when it does not exist yet', async () => {
    const name = `test_${runId('create')}`;
    const app = await createApp(
      loadConfig(configSchema, {
        NODE_ENV: 'test',
        PORT: '0',
        POSTGRES_URL: withDatabase(endpoints.postgres, name),
        NATS_PREFIX: natsPrefix('create'),
      }),
      { log: quietLog() },
    );
    try {
      await app.start();
      expect(await app.repository.counts()).toEqual({ users: 0, loginFailures: 0 });
    } finally {
      await app.stop();
      const admin = new pg.Client({ connectionString: endpoints.postgres });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    }
  });

  it('in development generates a signing key once into the keys file and reuses it', async () => {
    const db = await createPgDatabase('keys');
    const file = join(dir, 'nested', 'jwt-keys.json');
    const config = loadConfig(configSchema, {
      NODE_ENV: 'development',
      POSTGRES_URL: db.url,
      JWT_KEYS_FILE: file,
    });
    try {
      const first = await createApp(config, { log: quietLog() });
      const kid = first.signer.jwks().keys[0]!.kid;
      await first.stop();
      expect(statSync(file).mode & 0o077).toBe(0);
      expect(JSON.parse(readFileSync(file, 'utf8'))[0]).toMatchObject({ kid, d: expect.any(String) });
      const second = await createApp(config, { log: quietLog() });
      expect(second.signer.jwks().keys.map((k) => k.kid)).toEqual([kid]);
      await second.stop();
    } finally {
      await db.drop();
    }
  });

  it('reports bad configuration without echoing secrets', () => {
    let error: unknown;
    try {
      loadConfig(configSchema, {
        NODE_ENV: 'production',
        JWT_PRIVATE_KEYS: '[{"kid":"k","d":"very-secret"}]',
        ADMIN_EMAIL: 'a@b.co',
        PORT: 'x',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/PORT/);
    expect(problems).toMatch(/JWT_PRIVATE_KEYS/);
    expect(problems).not.toMatch(/very-secret/);
    expect(() => loadConfig(configSchema, { NODE_ENV: 'production' })).toThrow(
      /JWT_PRIVATE_KEYS: is required in production/,
    );
    expect(() => loadConfig(configSchema, { ADMIN_EMAIL: 'a@b.co' })).toThrow(
      /ADMIN_EMAIL and ADMIN_PASSWORD must be set together/,
    );
  });

  it('reports readiness', async () => {
    const res = await fetch(`http://127.0.0.1:${env.port}/readyz`);
    expect(res.status).toBe(200);
  });
});
