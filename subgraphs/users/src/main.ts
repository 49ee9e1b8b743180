import { loadConfigOrExit } from '@shop/config';
import { createLogger } from '@shop/observability';
import { createApp } from './app';
import { configSchema } from './config';

const config = loadConfigOrExit('users', configSchema);
const log = createLogger({ name: 'users', level: config.LOG_LEVEL });
const app = await createApp(config, { log });

let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  const force = setTimeout(() => process.exit(1), 10_000).unref();
  app
    .stop()
    .then(() => {
      clearTimeout(force);
      process.exit(0);
    })
    .catch((error: unknown) => {
      log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    });
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));

try {
  await app.start();
} catch (error) {
  log.fatal({ err: error }, 'users subgraph failed to start');
  await app.stop().catch(() => undefined);
  process.exit(1);
}
