import { runService } from '@shop/server';
import { createApp } from './app';
import { configSchema } from './config';

/** The test PSP as a process: config from the environment, graceful stop on SIGINT/SIGTERM. */
await runService('psp', configSchema, createApp);
