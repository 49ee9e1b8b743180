import { createTokenVerifier, type TokenVerifier } from '@shop/auth';
import { connectNats, ensureStreams, natsNames, type NatsConnection } from '@shop/messaging';
import { createLogger, stopAll, type Logger, type Stoppable } from '@shop/server';
import { smtpEmailSender, recordingSmsProvider, type EmailSender, type SmsProvider } from './channels';
import type { Config } from './config';
import { ConfirmationsService } from './confirmations.service';
import { sentEventsPublisher, startMessaging, usersClient } from './messaging';
import { NotificationsRepository, openBucket } from './notifications.repository';
import { NotificationsService } from './notifications.service';
import { createServer } from './server';

export interface AppOverrides {
  /** Tests pass a logger writing to memoryLog(). */
  log?: Logger;
  /** Tests verify against createTestIssuer().jwks. */
  verifyToken?: TokenVerifier;
  /** Another SMS provider than the development one (which records messages in the KV bucket). */
  sms?: SmsProvider;
  /** Another email sender than SMTP_URL's nodemailer transport. */
  email?: EmailSender;
}

/**
 * The notifications subgraph: the consumers of orders.paid, .refunded, .fulfilled and .delivered
 * that send confirmations, refund, shipped and delivered notices (each final status announced as
 * notifications.sent), and the GraphQL server that shows them. Connections open here; nothing
 * listens or consumes until start().
 */
export async function createApp(config: Config, overrides: AppOverrides = {}) {
  const log = overrides.log ?? createLogger({ name: 'notifications', level: config.LOG_LEVEL });
  const names = natsNames(config.NATS_PREFIX);
  const nc: NatsConnection = await connectNats(config.NATS_URL, 'notifications');
  try {
    await ensureStreams(nc, names);
    const repository = new NotificationsRepository({ kv: await openBucket(nc, names.buckets.notifications) });
    const email = overrides.email ?? smtpEmailSender(config.SMTP_URL, config.MAIL_FROM);
    const sms =
      overrides.sms ?? recordingSmsProvider((id, message) => repository.recordSms(id, message), log);
    const confirmations = new ConfirmationsService({
      repository,
      users: usersClient(nc, names, config.USERS_TIMEOUT_MS),
      email,
      sms,
      events: sentEventsPublisher(nc, names, log),
      log,
    });
    const service = new NotificationsService({ repository });
    const server = await createServer({
      service,
      verifyToken: overrides.verifyToken ?? createTokenVerifier({ jwksUrl: config.JWKS_URL }),
      routerSecret: config.ROUTER_SECRET,
      log,
      ready: async () => !nc.isClosed(),
    });

    /** What start() started, in order; stop() stops it last first. */
    const running: Stoppable[] = [];
    let stopping: Promise<void> | undefined;

    return {
      names,
      repository,
      service,
      confirmations,
      /** Starts the consumers (startMessaging), then listens. */
      async start(): Promise<{ url: string; port: number }> {
        running.push(
          await startMessaging({
            nc,
            names,
            confirmations,
            maxDeliver: config.MAX_DELIVER,
            backoffMs: config.BACKOFF_MS,
            email,
            log,
          }),
        );
        const address = await server.listen(config.PORT, config.HOST);
        running.push({ stop: () => server.close() });
        log.info({ url: address.url }, 'notifications subgraph listening');
        return address;
      },
      /**
       * Stops the HTTP server and the consumer (the current event finishes), closes connections.
       * Safe to call twice.
       */
      stop(): Promise<void> {
        stopping ??= stopAll(running).finally(async () => {
          await email.close();
          await nc.drain().catch(() => undefined);
        });
        return stopping;
      },
    };
  } catch (error) {
    await nc.close();
    throw error;
  }
}

export type NotificationsApp = Awaited<ReturnType<typeof createApp>>;
