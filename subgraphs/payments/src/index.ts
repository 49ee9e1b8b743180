export { configSchema, type Config } from './config';
export { createApp, providerFor, type AppOverrides, type PaymentsApp } from './app';
export { PspProvider, signPspWebhook } from './providers/psp-provider';
export type { PaymentProvider } from './providers/provider';
export { WEBHOOK_PATH } from './server';
