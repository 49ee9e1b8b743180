import {
  boolean,
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
  urlWith,
  z,
} from '@shop/config';
import { shippingMethodsField } from './shipping';

/** A positive integer that may be left unset (the app derives its value from others). */
const optionalPositiveInt = z
  .string()
  .optional()
  .refine((v) => v === undefined || (/^\d+$/.test(v) && Number(v) > 0), {
    message: 'must be a positive integer',
  })
  .transform((v) => (v === undefined ? undefined : Number(v)));

/** Every variable the orders subgraph reads, parsed once at start-up. */
export const configSchema = z
  .object({
    ...commonFields,
    PORT: port(subgraph('orders').port),
    MYSQL_URL: urlWith(['mysql', 'mariadb'], 'mysql://root@127.0.0.1:3306/shop_orders'),
    ROUTER_SECRET: routerSecretField,
    JWKS_URL: jwksUrlField,
    NATS_URL: endpointFields.NATS_URL,
    NATS_PREFIX: natsPrefixField,
    /** How long an order waits for payment before it is cancelled. */
    ORDER_TTL_SECONDS: positiveInt(900),
    /**
     * Once payments asks whether an order is payable, it cannot expire, nor be cancelled, for this
     * long (the payment lease).
     */
    PAYMENT_LEASE_SECONDS: positiveInt(120),
    /**
     * The hard deadline of an unpaid order, counted from its placement: no payment lease reaches past
     * it, so payment attempts cannot hold stock longer. Unset: the larger of 2 × ORDER_TTL_SECONDS and
     * ORDER_TTL_SECONDS + PAYMENT_LEASE_SECONDS; never less than the latter.
     */
    MAX_ORDER_AGE_SECONDS: optionalPositiveInt,
    /** Most orders a user may have waiting for payment at once. */
    MAX_UNPAID_ORDERS: positiveInt(5),
    /** Largest order total, in minor units of its currency (10,000,000 = 100,000.00). */
    MAX_ORDER_TOTAL: positiveInt(10_000_000),
    /** Most units of one product in an order. */
    MAX_LINE_QUANTITY: positiveInt(100),
    /** How often the expiry loop looks for expired orders. */
    EXPIRY_INTERVAL_MS: positiveInt(5_000),
    /** How long placeOrder waits for products.reserve. */
    RESERVE_TIMEOUT_MS: positiveInt(3_000),
    /** How often the outbox relay looks for unsent events. */
    OUTBOX_POLL_MS: positiveInt(500),
    /** Most distinct products in one order. */
    MAX_CART_LINES: positiveInt(50),
    /**
     * How often the audit job compares charges with order statuses (unrefunded unmatched charges,
     * unconfirmed admin refunds, PAID orders without a payment) and logs what disagrees.
     */
    AUDIT_INTERVAL_MS: positiveInt(60_000),
    /** How long a requested refund may stay unconfirmed before the audit reports it. */
    REFUND_GRACE_SECONDS: positiveInt(600),
    /**
     * The shipping methods, as JSON: a list of { id, name, currency, price, freeAbove, countries,
     * estimatedDays } (prices in minor units, one currency for all, every country of COUNTRIES
     * reached). Unset: standard-eu, express-eu, standard-gb and standard-us in EUR.
     */
    SHIPPING_METHODS: shippingMethodsField,
    /** How long checkout waits for users.address (an address of the address book). */
    USERS_TIMEOUT_MS: positiveInt(3_000),
    /**
     * A cart not changed for this long is gone (it reads as not found at once; the cart expiry job
     * deletes it). At most 365 days; default 30 days.
     */
    CART_IDLE_SECONDS: positiveInt(30 * 24 * 3600).refine((v) => v <= 365 * 24 * 3600, {
      message: 'must be at most 31536000 (365 days)',
    }),
    /** How often the cart expiry job deletes idle carts (at most CART_EXPIRY_BATCH per run). */
    CART_EXPIRY_INTERVAL_MS: positiveInt(60_000),
    /** Most idle carts one run of the cart expiry job deletes (at most 10000). */
    CART_EXPIRY_BATCH: positiveInt(500).refine((v) => v <= 10_000, { message: 'must be at most 10000' }),
    /** How long a cart read or change waits for products.lookup. */
    LOOKUP_TIMEOUT_MS: positiveInt(2_000),
    /**
     * Seeds the demo's discount code WELCOME10 (10 % off from 20.00, once per customer) when it is
     * missing. `npm start` and docker-compose.yml set it; refused in production.
     */
    SEED_DEMO_DATA: boolean(false),
  })
  .superRefine(refuseDevelopmentDefaults({ ROUTER_SECRET: DEV_ROUTER_SECRET, SEED_DEMO_DATA: true }))
  .superRefine((config, ctx) => {
    if (
      config.MAX_ORDER_AGE_SECONDS !== undefined &&
      config.MAX_ORDER_AGE_SECONDS < config.ORDER_TTL_SECONDS + config.PAYMENT_LEASE_SECONDS
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['MAX_ORDER_AGE_SECONDS'],
        message: 'must be at least ORDER_TTL_SECONDS + PAYMENT_LEASE_SECONDS',
      });
    }
    // Totals travel as GraphQL Int (32 bits): the limit must fit.
    if (config.MAX_ORDER_TOTAL > 2 ** 31 - 1) {
      ctx.addIssue({ code: 'custom', path: ['MAX_ORDER_TOTAL'], message: 'must be at most 2147483647' });
    }
  });

export type Config = z.infer<typeof configSchema>;

/** The hard deadline of an unpaid order, in seconds from placement (MAX_ORDER_AGE_SECONDS or its default). */
export const maxOrderAgeSeconds = (config: Config) =>
  config.MAX_ORDER_AGE_SECONDS ??
  Math.max(2 * config.ORDER_TTL_SECONDS, config.ORDER_TTL_SECONDS + config.PAYMENT_LEASE_SECONDS);
