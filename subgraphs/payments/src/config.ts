import {
  commonFields,
  endpointFields,
  jwksUrlField,
  natsPrefixField,
  port,
  positiveInt,
  routerSecretField,
  subgraph,
  z,
} from '@shop/config';

/** Every variable the payments subgraph reads, validated at once. */
export const configSchema = z.object({
  ...commonFields,
  PORT: port(subgraph('payments').port),
  ROUTER_SECRET: routerSecretField,
  JWKS_URL: jwksUrlField,
  NATS_URL: endpointFields.NATS_URL,
  NATS_PREFIX: natsPrefixField,
  REDIS_URL: endpointFields.REDIS_URL,
  /** Every Redis key of this service starts with this prefix. */
  REDIS_PREFIX: z.string().min(1).default('shop:payments:'),
  /** How long payOrder waits for orders.payable. */
  ORDERS_TIMEOUT_MS: positiveInt(3000),
  /** How long an idempotency key remembers its result. */
  IDEMPOTENCY_TTL_SECONDS: positiveInt(24 * 3600),
  /**
   * Key of the HMAC that turns a card number into an opaque value inside the idempotency
   * fingerprint. Keeps the fingerprint from being brute-forced back into a number from Redis alone.
   */
  CARD_FINGERPRINT_SECRET: z
    .string()
    .min(16, { message: 'must be at least 16 characters' })
    .default('dev-card-fingerprint-secret-change-me'),
});

export type Config = z.infer<typeof configSchema>;
