import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '@shop/config';
import type { Logger } from '@shop/server';
import { configSchema, createGraphQLApollo } from '@shop/router';

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
 * Our router's `/graphql` path with a given supergraph: the router's config schema and defaults and
 * `createGraphQLApollo` (router/graphql.ts: the gateway, ShopDataSource on the undici pool, the
 * router's Apollo options and limits plugin, request id handling) on node:http. Not included: the
 * partner endpoint and Redis, health routes, Sandbox, the edge token check (no tokens here).
 * MAX_COST is raised by default: the benchmark query's cost (list fields counted 10x) is far above
 * the production 5000.
 */
export async function startShopGateway(options: ShopGatewayOptions): Promise<RunningGateway> {
  const config = loadConfig(configSchema, {
    NODE_ENV: 'test',
    SANDBOX: 'false',
    SUPERGRAPH_WATCH: 'false',
    MAX_COST: '100000000',
    ...options.env,
  });
  const graphql = createGraphQLApollo(config, {
    supergraphSdl: options.supergraphSdl,
    subgraphUrls: options.subgraphUrls,
    log: options.log,
  });
  await graphql.start();
  return serveGateway(graphql.listener, options, () => graphql.stop());
}

/** A gateway's request listener on node:http at port/host; stop() closes every connection, then disposes. */
export async function serveGateway(
  listener: RequestListener,
  options: { port: number; host?: string },
  dispose: () => unknown,
): Promise<RunningGateway> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer(listener);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/graphql`,
    port,
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await dispose();
    },
  };
}
