import {
  commonFields,
  defaultSubgraphUrl,
  DEV_ROUTER_SECRET,
  endpointFields,
  natsPrefixField,
  nonNegativeInt,
  port,
  positiveInt,
  refuseDevelopmentDefaults,
  routerSecretField,
  SUBGRAPHS,
  subgraphUrlVariable,
  urlWith,
  z,
  type SubgraphName,
  ROUTER,
} from '@shop/config';

/** sha256("shop-demo-partner-key"): the documented development partner key (see README). */
export const DEMO_PARTNER_KEY = 'shop-demo-partner-key';
const DEMO_PARTNER_HASH = '97751d53fe67d4efd34e96c1854b7569c5a1f2ded720db912dc0288c7bf00b04';
const DEMO_PARTNER_KEYS = `demo:${DEMO_PARTNER_HASH}`;

/** An integer from `min` to `max` (every limit is bounded). */
const intFrom = (fallback: number, min: number, max: number) =>
  z
    .string()
    .default(String(fallback))
    .refine((v) => /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max, {
      message: `must be an integer from ${min} to ${max}`,
    })
    .transform(Number);

const subgraphUrlField = (name: SubgraphName) => urlWith(['http', 'https'], defaultSubgraphUrl(name));

/** USERS_URL … NOTIFICATIONS_URL: one per subgraph of the service table, in its order. */
type SubgraphUrlVariable = `${Uppercase<SubgraphName>}_URL`;
const subgraphUrlFields = Object.fromEntries(
  SUBGRAPHS.map((s) => [subgraphUrlVariable(s.name), subgraphUrlField(s.name)]),
) as Record<SubgraphUrlVariable, ReturnType<typeof subgraphUrlField>>;

/** PARTNER_API_KEYS: "name:sha256hex,name:sha256hex" (keys are stored hashed, never in clear). */
const partnerKeys = z
  .string()
  .default(DEMO_PARTNER_KEYS)
  .transform((value, ctx) => {
    const keys: { name: string; hash: string }[] = [];
    for (const entry of value
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean)) {
      const match = /^([A-Za-z0-9_.-]{1,64}):([0-9a-fA-F]{64})$/.exec(entry);
      if (!match) {
        ctx.addIssue({
          code: 'custom',
          message: 'entries must be "name:<sha256 hex of the key>", comma-separated',
        });
        return z.NEVER;
      }
      keys.push({ name: match[1]!, hash: match[2]!.toLowerCase() });
    }
    return keys;
  });

/** CORS_ORIGINS: "https://shop.example,http://localhost:3000" (exact origins, no path). */
const corsOrigins = z
  .string()
  .default('http://localhost:3000')
  .transform((value, ctx) => {
    const origins = value
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean);
    for (const origin of origins) {
      let parsed: URL | undefined;
      try {
        parsed = new URL(origin);
      } catch {
        parsed = undefined;
      }
      if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin.toLowerCase()) {
        ctx.addIssue({ code: 'custom', message: `"${origin}" is not an origin like https://shop.example` });
        return z.NEVER;
      }
    }
    return origins;
  });

export const configSchema = z
  .object({
    ...commonFields,
    PORT: port(ROUTER.port),
    ROUTER_SECRET: routerSecretField,
    ...subgraphUrlFields,
    /** Where the users subgraph publishes its signing keys; default: /.well-known/jwks.json on USERS_URL's host. */
    JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
    /** The committed supergraph (relative paths are resolved from the repository root). */
    SUPERGRAPH_PATH: z.string().min(1).default('schema/supergraph.graphql'),
    PUBLIC_SUPERGRAPH_PATH: z.string().min(1).default('schema/public.supergraph.graphql'),
    /** Reload the supergraph files when they change (default: on in development). */
    SUPERGRAPH_WATCH: z.enum(['true', 'false', 'auto']).default('auto'),
    REDIS_URL: endpointFields.REDIS_URL,
    PARTNER_API_KEYS: partnerKeys,
    /** Requests per key and minute on /public/graphql. */
    PARTNER_RATE_LIMIT: positiveInt(120),
    PARTNER_RATE_LIMIT_PREFIX: z.string().min(1).default('shop:router:ratelimit:'),
    MAX_DEPTH: positiveInt(12),
    MAX_ALIASES: positiveInt(15),
    MAX_TOKENS: positiveInt(2000),
    /** Largest query document, in bytes. */
    MAX_QUERY_BYTES: positiveInt(20_000),
    /** Largest request body (query plus variables), in bytes. */
    MAX_BODY_BYTES: positiveInt(100_000),
    MAX_COST: positiveInt(5000),
    /** Subgraph HTTP client timeouts, in milliseconds. */
    SUBGRAPH_CONNECT_TIMEOUT_MS: positiveInt(2000),
    SUBGRAPH_TIMEOUT_MS: positiveInt(10_000),
    /** Keep-alive connections per subgraph (undici Pool, no pipelining). */
    SUBGRAPH_CONNECTIONS: positiveInt(32),
    /** Approximate size of each gateway's query plan cache (LRU), in MiB. */
    QUERY_PLAN_CACHE_MIB: positiveInt(16),
    /** Who executes query plans: the router's own executor (apollo's for what it leaves) or apollo's. */
    QUERY_EXECUTOR: z.enum(['router', 'apollo']).default('router'),
    /** With the router's executor: identical subgraph requests of concurrent queries share one answer. */
    SHARE_SUBGRAPH_FETCHES: z.enum(['true', 'false']).default('true'),
    /** Router processes sharing the port (node:cluster); 1 runs in the main process. */
    ROUTER_WORKERS: positiveInt(1),
    /** Apollo Sandbox at / and introspection on /graphql (default: development only). */
    SANDBOX: z.enum(['true', 'false', 'auto']).default('auto'),
    /** Browser apps on other origins allowed to call /graphql and /public/graphql (router/cors.ts); the storefront's by default. */
    CORS_ORIGINS: corsOrigins,
    /** How long stop() waits for in-flight requests before closing connections. */
    SHUTDOWN_TIMEOUT_MS: positiveInt(10_000),
    /**
     * Proxies in front of the router whose X-Forwarded-For is trusted: the client's address (sent to
     * the subgraphs in x-client-address, e.g. for login limits) is the socket's with 0, else the
     * entry the nearest of these proxies added. Set it to the number of proxies you run, never more.
     */
    TRUST_PROXY_HOPS: nonNegativeInt(0, 10),
    /** Subscriptions on /graphql (router/subscriptions.graphql): graphql-ws over WebSocket and multipart HTTP. */
    SUBSCRIPTIONS: z.enum(['true', 'false']).default('true'),
    /** Where the events subscriptions are made of come from (the ORDERS, PAYMENTS and NOTIFICATIONS streams). */
    NATS_URL: endpointFields.NATS_URL,
    NATS_PREFIX: natsPrefixField,
    /** Subscriptions one WebSocket connection may hold at once (a multipart request holds one). */
    SUBSCRIPTIONS_PER_CONNECTION: intFrom(10, 1, 100),
    /** Subscriptions one user may hold at once in this router process, over all connections. */
    SUBSCRIPTIONS_PER_USER: intFrom(20, 1, 1000),
    /** WebSocket connections plus multipart subscription requests this router process holds at once. */
    SUBSCRIPTION_CONNECTIONS_MAX: intFrom(10_000, 1, 100_000),
    /** Multipart heartbeat ({} part) and WebSocket ping interval; a WebSocket that misses a pong for as long is closed. */
    SUBSCRIPTION_HEARTBEAT_MS: intFrom(5000, 100, 60_000),
    /** Events waiting to be resolved per subscription; beyond it the oldest is dropped (a slow client). */
    SUBSCRIPTION_QUEUE_MAX: intFrom(100, 1, 10_000),
  })
  // Production refuses the published router secret and the demo partner key, named in one error.
  .superRefine(
    refuseDevelopmentDefaults({
      ROUTER_SECRET: DEV_ROUTER_SECRET,
      PARTNER_API_KEYS: (keys: unknown) =>
        Array.isArray(keys) && keys.some((k: { hash: string }) => k.hash === DEMO_PARTNER_HASH),
    }),
  );

export type Config = z.infer<typeof configSchema>;

/** The JWKS the router verifies tokens against before planning a query. */
export const jwksUrl = (config: Config) =>
  config.JWKS_URL ?? new URL('/.well-known/jwks.json', config.USERS_URL).toString();

/** Subgraph name -> the URL its *_URL variable gives. */
export const subgraphUrls = (config: Config): Record<SubgraphName, string> =>
  Object.fromEntries(
    SUBGRAPHS.map((s) => [s.name, config[subgraphUrlVariable(s.name) as SubgraphUrlVariable]]),
  ) as Record<SubgraphName, string>;

export const isDevelopment = (config: Config) => config.NODE_ENV === 'development';
export const sandboxEnabled = (config: Config) =>
  config.SANDBOX === 'auto' ? isDevelopment(config) : config.SANDBOX === 'true';
export const watchEnabled = (config: Config) =>
  config.SUPERGRAPH_WATCH === 'auto' ? isDevelopment(config) : config.SUPERGRAPH_WATCH === 'true';
