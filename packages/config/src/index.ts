import { z } from 'zod';

import { urlWith } from './endpoints';
import { subgraph } from './services';

export { endpointDefaults, endpointFields, urlWith, type EndpointName } from './endpoints';
export * from './services';

/** Thrown by loadConfig: names every invalid variable at once. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Variables whose values are never repeated in error messages. */
const SECRET_NAME = /SECRET|PASSWORD|PRIVATE|TOKEN|KEY/i;

/**
 * Parses the environment against a zod object schema. Empty strings count as unset, so
 * `PORT= npm start` falls back to the default. Every problem is reported in one error.
 */
export function loadConfig<S extends z.ZodObject>(schema: S, env: Env = process.env): z.infer<S> {
  const input: Env = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const result = schema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(config)';
      const key = typeof issue.path[0] === 'string' ? issue.path[0] : undefined;
      // Never echo a secret (ROUTER_SECRET, ADMIN_PASSWORD, JWT_PRIVATE_KEYS, ...) into an error message.
      const given = key && !SECRET_NAME.test(key) ? input[key] : undefined;
      return `${name}: ${issue.message}${given === undefined ? '' : ` (got ${JSON.stringify(given)})`}`;
    });
    throw new ConfigError(problems);
  }
  return result.data;
}

/** loadConfig for a process entry point: prints the problems and exits non-zero. */
export function loadConfigOrExit<S extends z.ZodObject>(service: string, schema: S, env: Env = process.env) {
  try {
    return loadConfig(schema, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${service}: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/** A TCP port: an integer 0..65535 (0 picks a free port). */
export const port = (fallback: number) =>
  z
    .string()
    .default(String(fallback))
    .refine((v) => /^\d{1,5}$/.test(v) && Number(v) <= 65535, { message: 'must be a port number (0-65535)' })
    .transform(Number);

/** A positive integer, e.g. a timeout in milliseconds. */
export const positiveInt = (fallback: number) =>
  z
    .string()
    .default(String(fallback))
    .refine((v) => /^\d+$/.test(v) && Number(v) > 0, { message: 'must be a positive integer' })
    .transform(Number);

/** A non-negative integer up to `max`, e.g. a count that may be 0. */
export const nonNegativeInt = (fallback: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .default(String(fallback))
    .refine((v) => /^\d+$/.test(v) && Number(v) <= max, { message: `must be an integer from 0 to ${max}` })
    .transform(Number);

export const boolean = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1');

/** Fields every service shares. */
export const commonFields = {
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().min(1).default('127.0.0.1'),
} as const;

/** The published development value of ROUTER_SECRET (refused in production). */
export const DEV_ROUTER_SECRET = 'dev-router-secret-change-me';

/** The secret the router adds to every subgraph request; subgraphs refuse requests without it. */
export const routerSecretField = z
  .string()
  .min(16, { message: 'must be at least 16 characters' })
  .default(DEV_ROUTER_SECRET);

/** The published development value of PSP_SECRET_KEY: payments' key at the test PSP (refused in production). */
export const DEV_PSP_SECRET_KEY = 'dev-psp-secret-key-change-me';
/** The published development value of PSP_WEBHOOK_SECRET: signs the test PSP's webhooks (refused in production). */
export const DEV_PSP_WEBHOOK_SECRET = 'dev-psp-webhook-secret-change-me';

/** payments' API key at the test PSP, shared by both (docs/payment-provider.md). */
export const pspSecretKeyField = z
  .string()
  .min(16, { message: 'must be at least 16 characters' })
  .default(DEV_PSP_SECRET_KEY);

/** The key of the HMAC the test PSP signs its webhooks with and payments verifies them with. */
export const pspWebhookSecretField = z
  .string()
  .min(16, { message: 'must be at least 16 characters' })
  .default(DEV_PSP_WEBHOOK_SECRET);

/**
 * A `superRefine` for a service's config: with NODE_ENV=production, every variable whose value is a
 * published development default (in the README, the repository, the demo) is an issue, so
 * `loadConfig` refuses to start with one error naming all of them. Each entry says how to recognise
 * the development value: the value itself, or a predicate over the parsed value.
 */
export function refuseDevelopmentDefaults(defaults: Record<string, unknown | ((value: unknown) => boolean)>) {
  return (config: Record<string, unknown>, ctx: z.RefinementCtx) => {
    if (config.NODE_ENV !== 'production') return;
    for (const [key, development] of Object.entries(defaults)) {
      const value = config[key];
      const isDevelopment = typeof development === 'function' ? development(value) : value === development;
      if (isDevelopment)
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'is a published development value; set your own in production',
        });
    }
  };
}

/**
 * NATS_PREFIX: prepended to every subject, stream, consumer and bucket name (tests and parallel runs
 * set their own); empty in production.
 */
export const natsPrefixField = z
  .string()
  .regex(/^[A-Za-z0-9_-]*$/, { message: 'may contain only letters, digits, _ and -' })
  .default('');

/** JWKS_URL: where the users subgraph publishes the keys that verify access tokens. */
export const jwksUrlField = urlWith(
  ['http', 'https'],
  `http://127.0.0.1:${subgraph('users').port}/.well-known/jwks.json`,
);

export { z };
export * from './countries';
export * from './addresses';
