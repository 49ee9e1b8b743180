import {
  boolean,
  commonFields,
  endpointFields,
  loadConfig,
  port,
  routerSecretField,
  urlWith,
  z,
} from '@shop/config';

/** Every variable the products subgraph reads, validated at start-up (all problems at once). */
export const configSchema = z.object({
  ...commonFields,
  PORT: port(4002),
  MONGO_URL: urlWith(['mongodb', 'mongodb+srv'], 'mongodb://127.0.0.1:27017/shop_products'),
  ROUTER_SECRET: routerSecretField,
  JWKS_URL: urlWith(['http', 'https'], 'http://127.0.0.1:4001/.well-known/jwks.json'),
  NATS_URL: endpointFields.NATS_URL,
  NATS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]*$/, { message: 'may only contain letters, digits, "_" and "-"' })
    .default(''),
  /** Load the demo catalogue when the products collection is empty. */
  SEED_IF_EMPTY: boolean(true),
});

export type Config = z.infer<typeof configSchema>;

export const loadProductsConfig = (env: Record<string, string | undefined> = process.env) =>
  loadConfig(configSchema, env);
