import { createLogger, type Logger } from '@shop/server';
import type { Config } from './config';
import { TestProcessor } from './processor';
import { createServer } from './server';
import { WebhookSender } from './webhooks';

export interface AppOverrides {
  log?: Logger;
  /** Delays between webhook delivery attempts (the last repeats); 1 s, 5 s, 30 s, 60 s by default. */
  webhookDelaysMs?: number[];
  /** The processor's clock (tests). */
  now?: () => number;
}

export type PspApp = ReturnType<typeof createApp>;

/**
 * The processor, the webhook sender and the HTTP server; start() listens (PORT 0 picks a free port),
 * stop() closes the server, the processor's timers and the deliveries, and may be called twice.
 */
export function createApp(config: Config, overrides: AppOverrides = {}) {
  const log = overrides.log ?? createLogger({ name: 'psp', level: config.LOG_LEVEL });
  const webhooks = new WebhookSender({
    url: config.WEBHOOK_URL,
    secret: config.PSP_WEBHOOK_SECRET,
    log,
    delaysMs: overrides.webhookDelaysMs,
  });
  const processor = new TestProcessor({
    tokenTtlSeconds: config.TOKEN_TTL_SECONDS,
    authenticationTtlSeconds: config.AUTHENTICATION_TTL_SECONDS,
    publicUrl: config.PUBLIC_URL,
    latencyMs: config.LATENCY_MS,
    now: overrides.now,
    onEvent: (event) => {
      const sent = webhooks.send(event);
      log.info({ eventId: sent.id, type: sent.type, chargeId: event.charge.id }, 'charge event');
    },
  });
  let started = false;
  const server = createServer({ processor, secretKey: config.PSP_SECRET_KEY, log, ready: () => started });

  let stopped: Promise<void> | undefined;
  return {
    processor,
    webhooks,
    async start(): Promise<{ url: string; port: number }> {
      const address = await server.listen(config.PORT, config.HOST);
      started = true;
      log.info(
        { url: address.url, publicUrl: config.PUBLIC_URL, webhookUrl: config.WEBHOOK_URL },
        'psp listening',
      );
      return address;
    },
    stop(): Promise<void> {
      stopped ??= (async () => {
        started = false;
        // requests in flight finish first (their events are still sent), then the timers, then the deliveries
        await server.close();
        processor.stop();
        await webhooks.stop();
      })();
      return stopped;
    },
  };
}
