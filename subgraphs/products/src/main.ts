import { loadConfigOrExit } from '@shop/config';
import { createLogger } from '@shop/observability';
import { createApp } from './app';
import { configSchema } from './config';

const config = loadConfigOrExit('products', configSchema);
const log = createLogger({ name: 'products', level: config.LOG_LEVEL });
const app = await createApp(config, { log });
await app.start();

let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  app.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    },
  );
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
