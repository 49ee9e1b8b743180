import {
  boolean,
  commonFields,
  endpointFields,
  jwksUrlField,
  natsPrefixField,
  port,
  routerSecretField,
  subgraph,
  urlWith,
  z,
} from '@shop/config';

/** Every variable the products subgraph reads, validated at start-up (all problems at once). */
export const configSchema = z.object({
  ...commonFields,
  PORT: port(subgraph('products').port),
  MONGO_URL: urlWith(['mongodb', 'mongodb+srv'], 'mongodb://127.0.0.1:27017/shop_products'),
  ROUTER_SECRET: routerSecretField,
  JWKS_URL: jwksUrlField,
  NATS_URL: endpointFields.NATS_URL,
  NATS_PREFIX: natsPrefixField,
  /** Load the demo catalogue when the products collection is empty. */
  SEED_IF_EMPTY: boolean(true),
});

export type Config = z.infer<typeof configSchema>;
