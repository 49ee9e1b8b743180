export { configSchema, type Config } from './config';
export { createApp, type AppOverrides, type PaymentsApp } from './app';
export { TestPaymentProvider, TEST_CARDS } from './providers/test-provider';
export type { PaymentProvider } from './providers/provider';
