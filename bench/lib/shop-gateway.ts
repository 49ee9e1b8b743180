import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { loadConfig } from '@shop/config';
import { requestContext, requestIdFrom, sharedApolloOptions, type Logger } from '@shop/observability';
import { configSchema } from '../../router/config';
import { createSubgraphClient, type RouterContext } from '../../router/datasource';
import { createGateway } from '../../router/gateway';
import { serveApollo } from '../../router/http';
import { operationLimitsPlugin } from '../../router/plugins/limits';

export interface ShopGatewayOptions {
  supergraphSdl: string;
  /** Subgraph name -> URL (overrides the routing URLs of the supergraph). */
  subgraphUrls: Record<string, string>;
  port: number;
  host?: string;
  log: Logger;
  /** Router environment variables (as `router/config.ts` reads them) on top of the bench defaults. */
  env?: Record<string, string>;
}

export interface RunningGateway {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * Our router's `/graphql` path with a given supergraph: the router's config schema and defaults,
 * its keep-alive undici subgraph client, `createGateway` (ShopDataSource: router secret, request id,
 * `accept-encoding: identity`), the Apollo options of `createRouter`, the operation limits plugin and
 * `serveApollo` on node:http. Not included: the partner endpoint and Redis, health routes, Sandbox.
 *
 * An adapter because router/ exports no "gateway for this supergraph SDL" function: createGateway
 * reads a file, so the SDL is written to a temporary one. MAX_COST is raised by default: the
 * benchmark query's cost (list fields counted 10x) is far above the production 5000.
 */
export async function startShopGateway(options: ShopGatewayOptions): Promise<RunningGateway> {
  const config = loadConfig(configSchema, {
    NODE_ENV: 'test',
    SANDBOX: 'false',
    SUPERGRAPH_WATCH: 'false',
    MAX_COST: '100000000',
    ...options.env,
  });
  const { log } = options;
  const dir = mkdtempSync(join(tmpdir(), 'shop-bench-'));
  const supergraphPath = join(dir, 'supergraph.graphql');
  writeFileSync(supergraphPath, options.supergraphSdl);
  const client = createSubgraphClient({
    connectTimeoutMs: config.SUBGRAPH_CONNECT_TIMEOUT_MS,
    timeoutMs: config.SUBGRAPH_TIMEOUT_MS,
  });
  const shared = sharedApolloOptions<RouterContext>(log);
  const apollo = new ApolloServer<RouterContext>({
    formatError: shared.formatError,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    parseOptions: { maxTokens: config.MAX_TOKENS },
    logger: log,
    introspection: false,
    gateway: createGateway({
      supergraphPath,
      subgraphUrls: options.subgraphUrls,
      routerSecret: config.ROUTER_SECRET,
      fetcher: client.fetcher,
      watch: false,
      log,
    }),
    plugins: [
      operationLimitsPlugin<RouterContext>({
        maxDepth: config.MAX_DEPTH,
        maxAliases: config.MAX_ALIASES,
        maxCost: config.MAX_COST,
        maxQueryBytes: config.MAX_QUERY_BYTES,
      }),
      ApolloServerPluginLandingPageDisabled() as ApolloServerPlugin<RouterContext>,
    ],
  });
  await apollo.start();

  const server = createServer((req, res) => {
    const requestId = requestIdFrom(req.headers['x-request-id']);
    res.setHeader('x-request-id', requestId);
    requestContext.run({ requestId }, () => {
      const authorization = req.headers.authorization;
      serveApollo(
        apollo,
        req,
        res,
        { requestId, ...(authorization ? { authorization } : {}) },
        config.MAX_BODY_BYTES,
      ).catch((err: unknown) => {
        log.error({ err }, 'request failed');
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}/graphql`,
    port,
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await apollo.stop();
      await client.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
