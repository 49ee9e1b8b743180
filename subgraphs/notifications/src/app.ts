import { createTokenVerifier, type TokenVerifier } from '@shop/auth';
import {
  connectNats,
  consumeDurable,
  ensureStreams,
  natsNames,
  OrderPaidEvent,
  type NatsConnection,
} from '@shop/messaging';
import { createLogger, type Logger } from '@shop/server';
import { smtpEmailSender, recordingSmsProvider, type EmailSender, type SmsProvider } from './channels';
import type { Config } from './config';
import { createConfirmationService } from './confirmation.service';
import { natsContactLookup } from './contacts';
import { kvNotificationRepository, openBucket } from './notification.repository';
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
 * The notifications subgraph: the orders.paid consumer that sends order confirmations, and the
 * GraphQL server that shows them. Connections open here; nothing listens or consumes until start().
 */
export async function createApp(config: Config, overrides: AppOverrides = {}) {
  const log = overrides.log ?? createLogger({ name: 'notifications', level: config.LOG_LEVEL });
  const names = natsNames(config.NATS_PREFIX);
  const nc: NatsConnection = await connectNats(config.NATS_URL, 'notifications');
  try {
    await ensureStreams(nc, names);
    const repo = kvNotificationRepository(await openBucket(nc, names.buckets.notifications));
    const email = overrides.email ?? smtpEmailSender(config.SMTP_URL, config.MAIL_FROM);
    const sms = overrides.sms ?? recordingSmsProvider(repo.recordSms, log);
    const confirmations = createConfirmationService({
      repo,
      contacts: natsContactLookup(nc, names.commands.usersContact, config.USERS_TIMEOUT_MS),
      email,
      sms,
      log,
    });
    const server = await createServer({
      repo,
      verifyToken: overrides.verifyToken ?? createTokenVerifier({ jwksUrl: config.JWKS_URL }),
      routerSecret: config.ROUTER_SECRET,
      log,
      ready: async () => !nc.isClosed(),
    });

    let consumer: { stop(): Promise<void> } | null = null;
    let listening = false;

    return {
      names,
      repo,
      async start(): Promise<{ url: string; port: number }> {
        consumer = await consumeDurable(nc, {
          stream: names.streams.orders,
          durable: names.consumers.notificationsOnOrdersPaid,
          filterSubjects: [names.events.ordersPaid],
          schema: OrderPaidEvent,
          maxDeliver: config.MAX_DELIVER,
          backoffMs: config.BACKOFF_MS,
          deadLetterSubject: names.events.notificationsDeadLetter,
          handler: async (event) => {
            await confirmations.handleOrderPaid(event);
          },
          onDeadLetter: async (event, reason) => {
            if (event) await confirmations.markFailed(event, reason);
          },
          log,
        });
        const address = await server.listen(config.PORT, config.HOST);
        listening = true;
        log.info({ url: address.url }, 'notifications subgraph listening');
        return address;
      },
      /** Stops the HTTP server and the consumer (the current event finishes), closes connections. */
      async stop(): Promise<void> {
        if (listening) await server.close();
        listening = false;
        await consumer?.stop();
        consumer = null;
        await email.close();
        await nc.drain().catch(() => undefined);
      },
    };
  } catch (error) {
    await nc.close();
    throw error;
  }
}

export type App = Awaited<ReturnType<typeof createApp>>;
