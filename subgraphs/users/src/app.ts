import pg from 'pg';
import { createTokenSigner, createTokenVerifier, type TokenVerifier } from '@shop/auth';
import {
  connectNats,
  ContactRequest,
  endpoint,
  natsNames,
  serveEndpoints,
  type NatsConnection,
} from '@shop/messaging';
import { createLogger, type Logger } from '@shop/server';
import type { Config } from './config';
import { loadSigningKeys } from './keys';
import { createPasswordHasher } from './passwords';
import { createServer } from './server';
import { UsersRepository } from './users.repository';
import { UsersService, type AuthPayload, type RegisterInput } from './users.service';

export interface AppOverrides {
  /** Tests pass a logger writing to memoryLog(). */
  log?: Logger;
  /** Verifies access tokens; by default against this subgraph's own JWKS (no HTTP to itself). */
  verifyToken?: TokenVerifier;
}

/** Creates the database of the URL when it does not exist yet (local development convenience). */
async function ensureDatabase(url: string, log: Logger): Promise<void> {
  const probe = new pg.Client({ connectionString: url });
  try {
    await probe.connect();
    return;
  } catch (error) {
    if ((error as { code?: string }).code !== '3D000') throw error;
  } finally {
    await probe.end().catch(() => undefined);
  }
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  target.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: target.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
    log.info({ database: name }, 'created the users database');
  } catch (error) {
    if ((error as { code?: string }).code !== '42P04') throw error; // created concurrently
  } finally {
    await admin.end();
  }
}

/** The users subgraph: PostgreSQL, the users.contact NATS endpoint and the GraphQL HTTP server. */
export async function createApp(config: Config, overrides: AppOverrides = {}) {
  const log = overrides.log ?? createLogger({ name: 'users', level: config.LOG_LEVEL });
  const pool = new pg.Pool({ connectionString: config.POSTGRES_URL, max: 10 });
  pool.on('error', (error) => log.error({ err: error }, 'idle PostgreSQL client failed'));
  const passwords = await createPasswordHasher();
  const repository = new UsersRepository(pool, passwords);
  const signer = await createTokenSigner(await loadSigningKeys(config, log), config.JWT_TTL_SECONDS);
  const verifyToken = overrides.verifyToken ?? createTokenVerifier({ jwks: signer.jwks() });
  const service = new UsersService({
    repository,
    passwords,
    signer,
    log,
    maxLoginFailures: config.LOGIN_MAX_FAILURES,
    loginWindowSeconds: config.LOGIN_WINDOW_SECONDS,
  });
  const names = natsNames(config.NATS_PREFIX);

  let nc: NatsConnection | undefined;
  let endpoints: { stop(): Promise<void> } | undefined;
  let started = false;
  let stopped = false;

  const server = createServer({
    service,
    repository,
    signer,
    verifyToken,
    routerSecret: config.ROUTER_SECRET,
    log,
    ready: async () => !!nc && !nc.isClosed() && (await repository.ping()),
  });

  return {
    config,
    pool,
    repository,
    service,
    signer,
    verifyToken,
    /** Applies migrations, ensures the admin, serves users.contact, then listens. */
    async start(): Promise<{ url: string; port: number }> {
      await ensureDatabase(config.POSTGRES_URL, log);
      const applied = await repository.migrate();
      if (applied.length) log.info({ applied }, 'migrations applied');
      if (config.ADMIN_EMAIL && config.ADMIN_PASSWORD)
        await service.ensureAdmin(config.ADMIN_EMAIL, config.ADMIN_PASSWORD);
      nc = await connectNats(config.NATS_URL, 'users');
      endpoints = serveEndpoints(
        nc,
        names.services.users,
        [
          endpoint({
            name: 'contact',
            subject: names.commands.usersContact,
            schema: ContactRequest,
            handler: ({ userId }) => service.contact(userId),
          }),
        ],
        log,
      );
      const address = await server.start(config.PORT, config.HOST);
      started = true;
      log.info({ url: address.url }, 'users subgraph listening');
      return address;
    },
    /** Drains HTTP, stops the NATS endpoint and closes every connection. Safe to call twice. */
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      if (started) await server.stop();
      await endpoints?.stop();
      await nc?.drain().catch(() => undefined);
      await pool.end();
    },
    /**
     * Registers a customer and returns the user with an access token; for other subgraphs' tests
     * and seeding. Throws when registration is refused.
     */
    async registerUser(input: RegisterInput): Promise<AuthPayload> {
      const result = await service.register(input);
      if (result.__typename !== 'AuthPayload') throw new Error(`registration refused: ${result.message}`);
      return result;
    },
  };
}

export type UsersApp = Awaited<ReturnType<typeof createApp>>;
