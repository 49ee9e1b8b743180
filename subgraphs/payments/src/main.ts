import { loadConfigOrExit } from '@shop/config';
import { createLogger } from '@shop/observability';
import { configSchema } from './config';
import { createApp } from './app';

const config = loadConfigOrExit('payments', configSchema);
const log = createLogger({ name: 'payments', level: config.LOG_LEVEL });
const app = await createApp(config, { log });
await app.start();

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
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
  });
}
