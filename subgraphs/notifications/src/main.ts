import { loadConfigOrExit } from '@shop/config';
import { createLogger } from '@shop/observability';
import { createApp } from './app';
import { configSchema } from './config';

const config = loadConfigOrExit('notifications', configSchema);
const log = createLogger({ name: 'notifications', level: config.LOG_LEVEL });
const app = await createApp(config, { log });
await app.start();

let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  const force = setTimeout(() => process.exit(1), 15_000);
  force.unref();
  app
    .stop()
    .then(() => process.exit(0))
    .catch((error: unknown) => {
      log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    });
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
