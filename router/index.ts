export { configSchema, DEMO_PARTNER_KEY, type Config } from './config';
export { createRouter, type Router, type RouterOverrides } from './app';
export { measureOperation, operationLimitsPlugin, type OperationLimits } from './plugins/limits';
export { partnerForKey, createRateLimiter } from './plugins/partners';
