export { configSchema, type Config } from './config';
export { createApp, type AppOverrides, type ProductsApp } from './app';
export { demoCatalogue } from './seed-data';
