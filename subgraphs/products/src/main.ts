import { runService } from '@shop/server';
import { createApp } from './app';
import { configSchema } from './config';

/** The products subgraph as a process: config from the environment, graceful stop on SIGINT/SIGTERM. */
await runService('products', configSchema, createApp);
