import { runService } from '@shop/server';
import { createApp } from './app';
import { configSchema } from './config';

/** The payments subgraph as a process: config from the environment, graceful stop on SIGINT/SIGTERM. */
await runService('payments', configSchema, createApp);
