import {
  commonFields,
  DEV_PSP_SECRET_KEY,
  DEV_PSP_WEBHOOK_SECRET,
  DEV_ROUTER_SECRET,
  endpointFields,
  jwksUrlField,
  natsPrefixField,
  port,
  positiveInt,
  pspSecretKeyField,
  pspWebhookSecretField,
  refuseDevelopmentDefaults,
  routerSecretField,
  subgraph,
  z,
} from '@shop/config';

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
    /** Which payment service provider charges: the test PSP (psp/, over HTTP) or Stripe. */
    PAYMENT_PROVIDER: z.enum(['test', 'stripe']).default('test'),
    /** The test PSP's base URL (PAYMENT_PROVIDER=test). */
    PSP_URL: z.string().url().default('http://127.0.0.1:4010'),
    /** payments' API key at the test PSP (Authorization: Bearer). */
    PSP_SECRET_KEY: pspSecretKeyField,
    /** The key of the HMAC the test PSP signs its webhooks with (Psp-Signature). */
    PSP_WEBHOOK_SECRET: pspWebhookSecretField,
    /** Stripe's secret API key (sk_…); required when PAYMENT_PROVIDER=stripe. */
    STRIPE_SECRET_KEY: z.string().min(1).optional(),
    /** The signing secret of Stripe's webhook endpoint (whsec_…); required when PAYMENT_PROVIDER=stripe. */
    STRIPE_WEBHOOK_SECRET: z.string().min(1).optional(),
    /** Points the Stripe SDK elsewhere (e.g. stripe-mock at http://127.0.0.1:12111). */
    STRIPE_API_URL: z.string().url().optional(),
    /**
     * Where Stripe sends the customer back after a 3-D Secure page (the storefront's order page);
     * without it Stripe has no redirect to offer and a card that needs authentication is declined
     * (AUTHENTICATION_FAILED).
     */
    STRIPE_RETURN_URL: z.string().url().optional(),
    /** A webhook whose signed timestamp is further than this from now is refused as a replay. */
    WEBHOOK_TOLERANCE_SECONDS: positiveInt(300),
    /**
     * How often payments awaiting authentication whose action expired are looked up at the provider
     * (and cancelled when still pending): the webhook that never came.
     */
    PENDING_ACTION_INTERVAL_MS: positiveInt(30_000),
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
  })
  .superRefine((config, ctx) =>
    // The PSP's secrets are refused only where the PSP is used (a Stripe shop does not set them).
    refuseDevelopmentDefaults({
      ROUTER_SECRET: DEV_ROUTER_SECRET,
      ...(config.PAYMENT_PROVIDER === 'test'
        ? { PSP_SECRET_KEY: DEV_PSP_SECRET_KEY, PSP_WEBHOOK_SECRET: DEV_PSP_WEBHOOK_SECRET }
        : {}),
    })(config, ctx),
  )
  .superRefine((config, ctx) => {
    if (config.PAYMENT_PROVIDER !== 'stripe') return;
    for (const name of ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET'] as const) {
      if (!config[name])
        ctx.addIssue({ code: 'custom', path: [name], message: 'is required when PAYMENT_PROVIDER=stripe' });
    }
  });

export type Config = z.infer<typeof configSchema>;
