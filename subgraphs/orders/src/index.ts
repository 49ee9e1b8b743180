export { configSchema, type Config } from './config';
export { createApp, type AppOverrides, type OrdersApp } from './app';
