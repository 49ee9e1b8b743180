import cluster from 'node:cluster';
import { loadConfigOrExit } from '@shop/config';
import { createLogger } from '@shop/server';
import { configSchema, createRouter } from './index';

const config = loadConfigOrExit('router', configSchema);
const log = createLogger({ name: 'router', level: config.LOG_LEVEL });
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

if (config.ROUTER_WORKERS > 1 && cluster.isPrimary) {
  // One Node process uses one core: ROUTER_WORKERS processes share the port (node:cluster). The
  // primary only forks, restarts a worker that dies and forwards the shutdown signal.
  let stopping = false;
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    log.error({ pid: worker.process.pid, code, signal }, 'router worker died; starting another');
    cluster.fork();
  });
  for (let i = 0; i < config.ROUTER_WORKERS; i++) cluster.fork();
  log.info({ workers: config.ROUTER_WORKERS }, 'router workers started');
  for (const signal of SIGNALS) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      const workers = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
      let alive = workers.length;
      if (alive === 0) process.exit(0);
      for (const worker of workers) {
        worker.once('exit', () => {
          alive -= 1;
          if (alive === 0) process.exit(0);
        });
        worker.process.kill(signal);
      }
    });
  }
} else {
  const router = createRouter(config, { log });
  try {
    await router.start();
  } catch (err) {
    log.fatal({ err }, 'router failed to start');
    process.exit(1);
  }

  let stopping = false;
  for (const signal of SIGNALS) {
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
}
