import {
  boolean,
  commonFields,
  DEV_ROUTER_SECRET,
  endpointFields,
  jwksUrlField,
  natsPrefixField,
  nonNegativeInt,
  port,
  positiveInt,
  refuseDevelopmentDefaults,
  routerSecretField,
  subgraph,
  urlWith,
  z,
} from '@shop/config';
import { DEFAULT_MAX_PRICE_AMOUNT, DEFAULT_MAX_STOCK } from './models';
import { DEFAULT_LOW_STOCK_THRESHOLD } from './variants';

/** The largest value a GraphQL Int (and so `Product.stock`, `Money.amount`) can carry: 2³¹−1. */
export const GRAPHQL_INT_MAX = 2_147_483_647;

/**
 * The most units of one product orders accepts in one order (orders' MAX_LINE_QUANTITY, default
 * 100). A line total is a unit price times at most this many units.
 */
export const LARGEST_LINE_QUANTITY = 100;

/**
 * The highest MAX_PRICE_AMOUNT may be set to: a line of LARGEST_LINE_QUANTITY units at this price is
 * 10⁹ minor units, still under 2³¹−1 (the default, 10⁶, keeps a line at 10⁸: 1/21 of it).
 */
export const PRICE_AMOUNT_CEILING = 10_000_000;

const atMost = (max: number) => (value: number) => value <= max;

/** Where clients reach this service's /images/ route by default: the products subgraph's own port. */
export const DEFAULT_PUBLIC_URL = `http://localhost:${subgraph('products').port}`;

/** An http(s) base URL without query or fragment; a trailing '/' is dropped. */
const publicUrlField = z
  .string()
  .default(DEFAULT_PUBLIC_URL)
  .refine(
    (value) => {
      try {
        const url = new URL(value);
        return ['http:', 'https:'].includes(url.protocol) && !url.search && !url.hash && !url.username;
      } catch {
        return false;
      }
    },
    { message: 'must be an http:// or https:// URL without query, fragment or credentials' },
  )
  .transform((value) => value.replace(/\/+$/, ''));

/** Every variable the products subgraph reads, validated at start-up (all problems at once). */
export const configSchema = z
  .object({
    ...commonFields,
    PORT: port(subgraph('products').port),
    MONGO_URL: urlWith(['mongodb', 'mongodb+srv'], 'mongodb://127.0.0.1:27017/shop_products'),
    ROUTER_SECRET: routerSecretField,
    JWKS_URL: jwksUrlField,
    NATS_URL: endpointFields.NATS_URL,
    NATS_PREFIX: natsPrefixField,
    /** Load the demo catalogue when the products collection is empty. */
    SEED_IF_EMPTY: boolean(true),
    /**
     * Most units of one product on hand (its stock plus what orders hold of it); createProduct and
     * adjustStock refuse more with a StockLimitError. At most 2³¹−1 (a GraphQL Int).
     */
    MAX_STOCK: positiveInt(DEFAULT_MAX_STOCK).refine(atMost(GRAPHQL_INT_MAX), {
      message: `must be at most ${GRAPHQL_INT_MAX}`,
    }),
    /**
     * Highest unit price in minor units; createProduct and updateProduct refuse more with a
     * PriceLimitError. At most 10,000,000, so that a line of 100 units stays under 2³¹−1.
     */
    MAX_PRICE_AMOUNT: positiveInt(DEFAULT_MAX_PRICE_AMOUNT).refine(atMost(PRICE_AMOUNT_CEILING), {
      message: `must be at most ${PRICE_AMOUNT_CEILING}`,
    }),
    /**
     * The public base URL of this service's /images/ route (image URLs in the API are absolute:
     * `<PUBLIC_URL>/images/<name>.<hash>.svg`). Behind a CDN or proxy, its URL.
     */
    PUBLIC_URL: publicUrlField,
    /**
     * Shoppers see LOW_STOCK for 1 to this many units that can be ordered (0: never), IN_STOCK above
     * it; the exact count only administrators.
     */
    LOW_STOCK_THRESHOLD: nonNegativeInt(DEFAULT_LOW_STOCK_THRESHOLD, DEFAULT_MAX_STOCK),
  })
  .superRefine(refuseDevelopmentDefaults({ ROUTER_SECRET: DEV_ROUTER_SECRET }));

export type Config = z.infer<typeof configSchema>;
