import { z } from 'zod';

/**
 * Where the datastores live. One source of truth for every endpoint: each value is a URL read from
 * the environment, with the local default used on a developer's machine and in CI.
 */
export const endpointDefaults = {
  POSTGRES_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
  MYSQL_URL: 'mysql://root@127.0.0.1:3306/mysql',
  MONGO_URL: 'mongodb://127.0.0.1:27017/',
  REDIS_URL: 'redis://127.0.0.1:6379',
  NATS_URL: 'nats://127.0.0.1:4222',
  SMTP_URL: 'smtp://127.0.0.1:1025',
  MAILPIT_API_URL: 'http://127.0.0.1:8025',
} as const;

export type EndpointName = keyof typeof endpointDefaults;

const urlWith = (protocols: string[], fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine(
      (value) => {
        try {
          return protocols.includes(new URL(value).protocol.replace(/:$/, ''));
        } catch {
          return false;
        }
      },
      { message: `must be a URL (${protocols.map((p) => `${p}://`).join(', ')})` },
    );

/** A zod field per endpoint, to be picked by each service's own config schema. */
export const endpointFields = {
  POSTGRES_URL: urlWith(['postgres', 'postgresql'], endpointDefaults.POSTGRES_URL),
  MYSQL_URL: urlWith(['mysql', 'mariadb'], endpointDefaults.MYSQL_URL),
  MONGO_URL: urlWith(['mongodb', 'mongodb+srv'], endpointDefaults.MONGO_URL),
  REDIS_URL: urlWith(['redis', 'rediss'], endpointDefaults.REDIS_URL),
  NATS_URL: urlWith(['nats', 'tls'], endpointDefaults.NATS_URL),
  SMTP_URL: urlWith(['smtp', 'smtps'], endpointDefaults.SMTP_URL),
  MAILPIT_API_URL: urlWith(['http', 'https'], endpointDefaults.MAILPIT_API_URL),
} as const;

export { urlWith };
