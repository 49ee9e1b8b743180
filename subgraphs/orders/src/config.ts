import {
  commonFields,
  endpointFields,
  jwksUrlField,
  natsPrefixField,
  port,
  positiveInt,
  routerSecretField,
  subgraph,
  urlWith,
  z,
} from '@shop/config';

/** Every variable the orders subgraph reads, parsed once at start-up. */
export const configSchema = z.object({
  ...commonFields,
  PORT: port(subgraph('orders').port),
  MYSQL_URL: urlWith(['mysql', 'mariadb'], 'mysql://root@127.0.0.1:3306/shop_orders'),
  ROUTER_SECRET: routerSecretField,
  JWKS_URL: jwksUrlField,
  NATS_URL: endpointFields.NATS_URL,
  NATS_PREFIX: natsPrefixField,
  /** How long an order waits for payment before it is cancelled. */
  ORDER_TTL_SECONDS: positiveInt(900),
  /** Once payments asks whether an order is payable, it cannot expire for this long. */
  PAYMENT_LEASE_SECONDS: positiveInt(120),
  /** How often the expiry loop looks for expired orders. */
  EXPIRY_INTERVAL_MS: positiveInt(5_000),
  /** How long placeOrder waits for products.reserve. */
  RESERVE_TIMEOUT_MS: positiveInt(3_000),
  /** How often the outbox relay looks for unsent events. */
  OUTBOX_POLL_MS: positiveInt(500),
  /** Most distinct products in one order. */
  MAX_CART_LINES: positiveInt(50),
});

export type Config = z.infer<typeof configSchema>;
