import { runService } from '@shop/server';
import { createApp } from './app';
import { configSchema } from './config';

/** The orders subgraph as a process: config from the environment, graceful stop on SIGINT/SIGTERM. */
await runService('orders', configSchema, createApp);
