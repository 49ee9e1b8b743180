import type { z } from 'zod';
import { loadConfigOrExit } from '@shop/config';
import { createLogger, type Logger } from './logger';

export interface RunnableApp {
  start(): Promise<unknown>;
  stop(): Promise<void>;
}

/**
 * A service's main.ts in one call: config (exits non-zero naming every bad variable) → logger →
 * app → start (a failed start is logged and exits 1) → on SIGINT/SIGTERM a graceful stop, forced
 * after `shutdownTimeoutMs`.
 */
export async function runService<S extends z.ZodObject>(
  name: string,
  configSchema: S,
  createApp: (config: z.infer<S>, overrides: { log: Logger }) => Promise<RunnableApp> | RunnableApp,
  { shutdownTimeoutMs = 15_000 } = {},
): Promise<void> {
  const config = loadConfigOrExit(name, configSchema);
  const level = typeof config.LOG_LEVEL === 'string' ? config.LOG_LEVEL : 'info';
  const log = createLogger({ name, level });

  let app: RunnableApp | undefined;
  try {
    app = await createApp(config, { log });
    await app.start();
  } catch (error) {
    log.fatal({ err: error }, `${name} failed to start`);
    await app?.stop().catch(() => undefined);
    process.exit(1);
  }

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    setTimeout(() => {
      log.error({ shutdownTimeoutMs }, 'shutdown timed out');
      process.exit(1);
    }, shutdownTimeoutMs).unref();
    app!.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}
