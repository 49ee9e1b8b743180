import {
  commonFields,
  DEV_ROUTER_SECRET,
  endpointFields,
  jwksUrlField,
  natsPrefixField,
  port,
  positiveInt,
  refuseDevelopmentDefaults,
  routerSecretField,
  subgraph,
  z,
} from '@shop/config';

/** The published development value of CARD_FINGERPRINT_SECRET (refused in production). */
export const DEV_CARD_FINGERPRINT_SECRET = 'dev-card-fingerprint-secret-change-me';

/**
 * How long payOrder holds an order's charge lock (and an idempotency key in progress) at most. The
 * payable question (ORDERS_TIMEOUT_MS, at most 5 s) and the charge (PROVIDER_TIMEOUT_MS, at most
 * 15 s) together take at most 20 s of it, which leaves a third of the lock for the Redis calls around
 * them: a lock cannot run out while its holder is still charging.
 */
export const CHARGE_LOCK_MS = 30_000;
export const MAX_ORDERS_TIMEOUT_MS = 5_000;
export const MAX_PROVIDER_TIMEOUT_MS = 15_000;

/** A positive integer of milliseconds no larger than max. */
const boundedMs = (fallback: number, max: number) =>
  positiveInt(fallback).refine((v) => v <= max, { message: `must be at most ${max}` });

/** A comma-separated list of positive milliseconds. */
const msList = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine((v) => v.split(',').every((part) => /^\s*\d+\s*$/.test(part) && Number(part) > 0), {
      message: 'must be a comma-separated list of positive integers (milliseconds)',
    })
    .transform((v) => v.split(',').map((part) => Number(part.trim())));

/** Every variable the payments subgraph reads, validated at once. */
export const configSchema = z
  .object({
    ...commonFields,
    PORT: port(subgraph('payments').port),
    ROUTER_SECRET: routerSecretField,
    JWKS_URL: jwksUrlField,
    NATS_URL: endpointFields.NATS_URL,
    NATS_PREFIX: natsPrefixField,
    REDIS_URL: endpointFields.REDIS_URL,
    /** Every Redis key of this service starts with this prefix. */
    REDIS_PREFIX: z.string().min(1).default('shop:payments:'),
    /** How long payOrder waits for orders.payable (at most 5000). */
    ORDERS_TIMEOUT_MS: boundedMs(3000, MAX_ORDERS_TIMEOUT_MS),
    /**
     * How long payOrder waits for the card processor before it aborts the charge (at most 15000).
     * The charge must end inside orders' payment lease (PAYMENT_LEASE_SECONDS, 120 s by default),
     * which starts when orders answers payable.
     */
    PROVIDER_TIMEOUT_MS: boundedMs(10_000, MAX_PROVIDER_TIMEOUT_MS),
    /** The test provider's simulated processor latency (demos, benchmarks, race tests). */
    TEST_PROVIDER_LATENCY_MS: z
      .string()
      .default('0')
      .refine((v) => /^\d+$/.test(v) && Number(v) <= 60_000, { message: 'must be an integer 0-60000' })
      .transform(Number),
    /** How long an idempotency key remembers its result. */
    IDEMPOTENCY_TTL_SECONDS: positiveInt(24 * 3600),
    /**
     * Deliveries of an orders.refund_requested event before it goes to payments.deadletter (a
     * processor that stays down that long; the request is then an operator's).
     */
    REFUND_MAX_DELIVER: positiveInt(20),
    /** Redelivery delays of a refund request while the processor is down, in ms; the last repeats. */
    REFUND_BACKOFF_MS: msList('1000,5000,15000,60000'),
    /**
     * How often refunds payments owes by itself (a charge that paid nothing: completed after its
     * timeout, or a second charge of a paid order) are retried while not recorded.
     */
    PENDING_REFUND_INTERVAL_MS: positiveInt(30_000),
    /**
     * Key of the HMAC that turns a card number into an opaque value inside the idempotency
     * fingerprint. Keeps the fingerprint from being brute-forced back into a number from Redis alone.
     */
    CARD_FINGERPRINT_SECRET: z
      .string()
      .min(16, { message: 'must be at least 16 characters' })
      .default(DEV_CARD_FINGERPRINT_SECRET),
  })
  .superRefine(
    refuseDevelopmentDefaults({
      ROUTER_SECRET: DEV_ROUTER_SECRET,
      CARD_FINGERPRINT_SECRET: DEV_CARD_FINGERPRINT_SECRET,
    }),
  );

export type Config = z.infer<typeof configSchema>;
