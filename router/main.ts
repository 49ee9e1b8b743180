import { loadConfigOrExit } from '@shop/config';
import { createLogger } from '@shop/observability';
import { configSchema, createRouter } from './index';

const config = loadConfigOrExit('router', configSchema);
const log = createLogger({ name: 'router', level: config.LOG_LEVEL });
const router = createRouter(config, { log });

try {
  await router.start();
} catch (err) {
  log.fatal({ err }, 'router failed to start');
  process.exit(1);
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    router.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
