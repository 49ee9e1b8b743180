import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createTokenVerifier, type TokenVerifier } from '@shop/auth';
import { ErrorCode } from '@shop/errors';
import { createLogger, requestListener, sendGraphQLError, sendJson, type Logger } from '@shop/server';
import { Redis } from 'ioredis';
import { clientAddressOf } from './client-address';
import { createCors } from './cors';
import { jwksUrl, sandboxEnabled, subgraphUrls, type Config } from './config';
import { createGraphQLApollo } from './graphql';
import { authenticateRequest, authenticationPlugin } from './plugins/authentication';
import { API_KEY_HEADER, createRateLimiter, partnerForKey } from './plugins/partners';
import { subgraphClientFor } from './subgraph-client';
import { createSubscriptions, type SubscriptionStats } from './subscriptions';

export interface RouterOverrides {
  /** Tests pass a logger writing to memoryLog(). */
  log?: Logger;
  /** Verifies access tokens; default: against the users subgraph's JWKS. */
  verifyToken?: TokenVerifier;
}

export interface Router {
  start(): Promise<{ url: string; publicUrl: string; port: number }>;
  stop(): Promise<void>;
  /** Subscription connections, subscriptions and events of this process (e.g. for the benchmark). */
  subscriptionStats(): SubscriptionStats;
}

const HEALTH_TIMEOUT_MS = 2_000;

/** The /healthz URL next to a subgraph's /graphql URL. */
export const healthUrlOf = (graphqlUrl: string) => new URL('/healthz', graphqlUrl).toString();

/**
 * The router: two Apollo Gateways in one process, `/graphql` (the full supergraph, the client's
 * JWT passed through to the subgraphs, which verify it) and `/public/graphql` (the partner
 * contract, API key + Redis rate limit), plus `/healthz`, `/readyz` and Sandbox at `/` in
 * development.
 */
export function createRouter(config: Config, overrides: RouterOverrides = {}): Router {
  const log = overrides.log ?? createLogger({ name: 'router', level: config.LOG_LEVEL });
  const verifyToken = overrides.verifyToken ?? createTokenVerifier({ jwksUrl: jwksUrl(config) });
  const urls = subgraphUrls(config);
  const sandbox = sandboxEnabled(config);
  // one subgraph client (a keep-alive pool per subgraph) for both endpoints
  const client = subgraphClientFor(config);
  const common = { log, subgraphUrls: urls, client };
  // subscriptions/: graphql-ws on the server's upgrades, multipart HTTP through /graphql
  const subscriptions = createSubscriptions(config, {
    log,
    verifyToken,
    apollo: () => main.apollo,
    paths: sandbox ? ['/graphql', '/'] : ['/graphql'],
  });
  const main = createGraphQLApollo(config, {
    ...common,
    ...(config.SUBSCRIPTIONS === 'true' ? { subscriptions: subscriptions.http } : {}),
    supergraphPath: config.SUPERGRAPH_PATH,
    introspection: sandbox,
    landingPage: sandbox,
  });
  // plugins/authentication.ts: the extension of a request whose expired or invalid token was dropped
  main.apollo.addPlugin(authenticationPlugin());
  const contract = createGraphQLApollo(config, {
    ...common,
    supergraphPath: config.PUBLIC_SUPERGRAPH_PATH,
    introspection: true,
  });

  const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', (err) => log.warn({ err }, 'redis error'));
  const takeToken = createRateLimiter(redis, {
    prefix: config.PARTNER_RATE_LIMIT_PREFIX,
    limit: config.PARTNER_RATE_LIMIT,
  });

  const ready = async () => {
    const checks = await Promise.all(
      Object.entries(urls).map(async ([name, url]) => {
        try {
          const res = await fetch(healthUrlOf(url), { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
          await res.arrayBuffer();
          return [name, res.ok ? 'ok' : `HTTP ${res.status}`] as const;
        } catch {
          return [name, 'unreachable'] as const;
        }
      }),
    );
    return Object.fromEntries(checks);
  };

  /** The client's address for the subgraphs (x-client-address), as TRUST_PROXY_HOPS says to find it. */
  const clientAddress = (req: IncomingMessage) => {
    const address = clientAddressOf(req, config.TRUST_PROXY_HOPS);
    return address ? { clientAddress: address } : {};
  };

  const servePartner = async (req: IncomingMessage, res: ServerResponse, requestId: string) => {
    const partner = partnerForKey(config.PARTNER_API_KEYS, req.headers[API_KEY_HEADER]);
    if (!partner) {
      sendGraphQLError(
        res,
        401,
        `A valid API key is required in the ${API_KEY_HEADER} header`,
        ErrorCode.UNAUTHENTICATED,
        { requestId },
      );
      return;
    }
    let limit;
    try {
      limit = await takeToken(partner.name);
    } catch (err) {
      log.error({ err }, 'rate limiter unavailable');
      sendGraphQLError(
        res,
        503,
        'The partner API is temporarily unavailable',
        ErrorCode.SERVICE_UNAVAILABLE,
        {
          requestId,
        },
      );
      return;
    }
    const rateHeaders = {
      'x-ratelimit-limit': String(limit.limit),
      'x-ratelimit-remaining': String(limit.remaining),
      'x-ratelimit-reset': String(limit.resetSeconds),
    };
    if (!limit.allowed) {
      sendGraphQLError(
        res,
        429,
        `Rate limit of ${limit.limit} requests per minute exceeded; retry in ${limit.resetSeconds} s`,
        ErrorCode.RATE_LIMITED,
        { retryAfterSeconds: limit.resetSeconds, requestId },
        { ...rateHeaders, 'retry-after': String(limit.resetSeconds) },
      );
      return;
    }
    for (const [key, value] of Object.entries(rateHeaders)) res.setHeader(key, value);
    // partners never act as a user: no Authorization is forwarded
    await contract.serve(req, res, { requestId, partner: partner.name, ...clientAddress(req) });
  };

  const cors = createCors(config.CORS_ORIGINS);
  const handle = async (req: IncomingMessage, res: ServerResponse, requestId: string) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if ((path === '/graphql' || path === '/public/graphql') && cors.handle(req, res)) return;
    if (req.method === 'GET' && path === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (req.method === 'GET' && path === '/readyz') {
      const subgraphs = await ready();
      const ok = Object.values(subgraphs).every((s) => s === 'ok');
      return sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : 'not ready', subgraphs });
    }
    if (path === '/graphql' || (path === '/' && sandbox)) {
      // Tokens are checked at the edge (plugins/authentication.ts): an expired or invalid one is
      // dropped, the request served anonymously and the answer says so; the subgraphs check again.
      const authenticated = await authenticateRequest(req, res, verifyToken, requestId);
      if (!authenticated) return;
      return main.serve(req, res, { requestId, ...authenticated, ...clientAddress(req) });
    }
    if (path === '/public/graphql') return servePartner(req, res, requestId);
    sendJson(res, 404, { error: 'not found' });
  };

  const server = createServer(requestListener(log, handle));
  server.keepAliveTimeout = 65_000;
  subscriptions.attach(server, cors.allows);
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  let started = false;
  return {
    async start() {
      await redis
        .connect()
        .catch((err: unknown) =>
          log.warn({ err }, 'redis not reachable yet; partner requests fail until it is'),
        );
      await main.start();
      await contract.start();
      subscriptions.start();
      started = true;
      await new Promise<void>((resolveListen, reject) => {
        server.once('error', reject);
        server.listen(config.PORT, config.HOST, () => resolveListen());
      });
      const { port } = server.address() as AddressInfo;
      const base = `http://${config.HOST}:${port}`;
      log.info({ url: `${base}/graphql`, publicUrl: `${base}/public/graphql`, sandbox }, 'router listening');
      return { url: `${base}/graphql`, publicUrl: `${base}/public/graphql`, port };
    },
    /** Stops accepting connections, lets in-flight requests finish (up to SHUTDOWN_TIMEOUT_MS), then closes everything. */
    async stop() {
      // subscriptions first: every one ends cleanly (1001, the final multipart boundary) while the
      // server still runs, and open streams do not hold server.close() up
      await subscriptions.stop();
      if (server.listening) {
        const closed = new Promise<void>((resolveClose) => server.close(() => resolveClose()));
        // Idle connections are closed now and every 100 ms while draining: keep-alive ones whose
        // request ends meanwhile, and ones that never sent a request (clients open spare ones, and
        // Node counts those busy until headersTimeout, which held a restart up for SHUTDOWN_TIMEOUT_MS)
        const closeIdle = () => {
          server.closeIdleConnections();
          for (const socket of sockets) if (socket.bytesRead === 0) socket.destroy();
        };
        closeIdle();
        const idle = setInterval(closeIdle, 100);
        const timer = setTimeout(() => server.closeAllConnections(), config.SHUTDOWN_TIMEOUT_MS);
        await closed;
        clearInterval(idle);
        clearTimeout(timer);
      }
      if (started) {
        await main.stop();
        await contract.stop();
      }
      await client.close();
      if (redis.status === 'ready' || redis.status === 'connect') await redis.quit();
      else redis.disconnect();
      log.info('router stopped');
    },
    subscriptionStats: () => subscriptions.stats(),
  };
}
