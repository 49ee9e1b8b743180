export { configSchema, DEFAULT_POSTGRES_URL, type Config } from './config';
export { createApp, type AppOverrides, type UsersApp } from './app';
export type { UserModel } from './models';
export type { AuthPayload, RegisterInput } from './users.service';
export { ARGON2_OPTIONS } from './passwords';
