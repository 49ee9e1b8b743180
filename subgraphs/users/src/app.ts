import pg from 'pg';
import { createTokenSigner, createTokenVerifier, type TokenVerifier } from '@shop/auth';
import { connectNats, natsNames, type NatsConnection } from '@shop/messaging';
import { createLogger, every, stopAll, type Logger, type Stoppable } from '@shop/server';
import type { Config } from './config';
import { loadSigningKeys } from './keys';
import { notificationsClient, startMessaging } from './messaging';
import { createPasswordHasher, type PasswordHasher } from './passwords';
import { createServer } from './server';
import { AddressesRepository } from './addresses.repository';
import { PasswordResetsRepository } from './resets.repository';
import { SessionsRepository } from './sessions.repository';
import { Deliveries } from './users.resets';
import { UsersRepository } from './users.repository';
import { UsersService, type AuthPayload, type RegisterInput } from './users.service';

export interface AppOverrides {
  /** Tests pass a logger writing to memoryLog(). */
  log?: Logger;
  /** Verifies access tokens; by default against this subgraph's own JWKS (no HTTP to itself). */
  verifyToken?: TokenVerifier;
  /** The password hasher; tests wrap the real one to count comparisons. */
  passwords?: PasswordHasher;
}

/** How often throttling buckets older than LOGIN_WINDOW_SECONDS are deleted. */
const THROTTLE_PRUNE_INTERVAL_MS = 5 * 60_000;
/** How often old sessions, reset tokens and reset throttle windows are deleted. */
const SESSION_PRUNE_INTERVAL_MS = 15 * 60_000;
/** Reset emails in flight at once (after their answers); one more is dropped and logged. */
const MAX_RESET_DELIVERIES = 100;

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

/**
 * The users subgraph: PostgreSQL, the users.contact and users.address NATS endpoints, the
 * notifications.password_reset client and the GraphQL HTTP server.
 * Builds everything and starts nothing (the pool connects lazily); start() migrates, then serves.
 */
export async function createApp(config: Config, overrides: AppOverrides = {}) {
  const log = overrides.log ?? createLogger({ name: 'users', level: config.LOG_LEVEL });
  const pool = new pg.Pool({ connectionString: config.POSTGRES_URL, max: 10 });
  pool.on('error', (error) => log.error({ err: error }, 'idle PostgreSQL client failed'));
  const passwords = overrides.passwords ?? (await createPasswordHasher());
  const repository = new UsersRepository({ pool, passwords });
  const signer = await createTokenSigner(await loadSigningKeys(config, log), config.JWT_TTL_SECONDS);
  const verifyToken = overrides.verifyToken ?? createTokenVerifier({ jwks: signer.jwks() });
  const addresses = new AddressesRepository({ pool });
  const names = natsNames(config.NATS_PREFIX);
  // NATS connects in start(), after the migrations; readiness needs it open.
  let nc: NatsConnection | undefined;
  const deliveries = new Deliveries(MAX_RESET_DELIVERIES, log);
  const service = new UsersService({
    repository,
    addresses,
    passwords,
    signer,
    log,
    throttle: {
      maxFailures: config.LOGIN_MAX_FAILURES,
      addressMaxFailures: config.LOGIN_ADDRESS_MAX_FAILURES,
      windowSeconds: config.LOGIN_WINDOW_SECONDS,
      delaySeconds: config.LOGIN_DELAY_SECONDS,
      maxDelaySeconds: config.LOGIN_MAX_DELAY_SECONDS,
    },
    sessions: new SessionsRepository({ pool }),
    sessionPolicy: {
      idleSeconds: config.SESSION_IDLE_SECONDS,
      maxSeconds: config.SESSION_MAX_SECONDS,
      maxPerUser: config.SESSIONS_PER_USER,
    },
    resets: new PasswordResetsRepository({ pool }),
    resetPolicy: {
      ttlSeconds: config.PASSWORD_RESET_TTL_SECONDS,
      url: config.PASSWORD_RESET_URL,
      maxPerEmail: config.PASSWORD_RESET_MAX_PER_EMAIL,
      maxPerClient: config.PASSWORD_RESET_MAX_PER_CLIENT,
      windowSeconds: config.PASSWORD_RESET_WINDOW_SECONDS,
    },
    mailer: notificationsClient(() => nc, names, config.NOTIFICATIONS_TIMEOUT_MS),
    deliveries,
  });
  const server = await createServer({
    service,
    signer,
    verifyToken,
    routerSecret: config.ROUTER_SECRET,
    log,
    ready: async () => !!nc && !nc.isClosed() && (await repository.ping()),
  });

  /** What start() started, in order; stop() stops it last first. */
  const running: Stoppable[] = [];
  let stopping: Promise<void> | undefined;

  return {
    config,
    pool,
    repository,
    addresses,
    service,
    signer,
    verifyToken,
    /** Password reset emails still being sent (tests wait for them with settle()). */
    deliveries,
    /**
     * Applies migrations, ensures the admin, serves users.contact/address, prunes throttling and
     * sessions, then listens.
     */
    async start(): Promise<{ url: string; port: number }> {
      await ensureDatabase(config.POSTGRES_URL, log);
      const applied = await repository.migrate();
      if (applied.length) log.info({ applied }, 'migrations applied');
      if (config.ADMIN_EMAIL && config.ADMIN_PASSWORD)
        await service.ensureAdmin(config.ADMIN_EMAIL, config.ADMIN_PASSWORD);
      const connection = await connectNats(config.NATS_URL, 'users');
      nc = connection;
      running.push({ stop: () => connection.drain().catch(() => undefined) });
      running.push(await startMessaging({ nc: connection, names, service, log }));
      running.push(
        every(THROTTLE_PRUNE_INTERVAL_MS, () => service.pruneLoginThrottle(), log, 'login throttle pruning'),
      );
      running.push(every(SESSION_PRUNE_INTERVAL_MS, () => service.pruneSessions(), log, 'session pruning'));
      // Stopped after the server (no new requests): the reset emails already asked for are sent.
      running.push({ stop: () => deliveries.settle() });
      const address = await server.listen(config.PORT, config.HOST);
      running.push({ stop: () => server.close() });
      log.info({ url: address.url }, 'users subgraph listening');
      return address;
    },
    /** Drains HTTP, stops the NATS endpoint and closes every connection. Safe to call twice. */
    stop(): Promise<void> {
      stopping ??= stopAll(running).finally(() => pool.end());
      return stopping;
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
