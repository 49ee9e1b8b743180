import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import type { Logger } from '@shop/server';
import { serveGateway, startShopGateway, type RunningGateway } from '../lib/shop-gateway';

export const GATEWAY_KINDS = [
  'apollo-gateway',
  'shop-router',
  'shop-router-unshared',
  'hive-gateway',
  'hive-router-runtime',
] as const;
export type GatewayKind = (typeof GATEWAY_KINDS)[number];

export const GATEWAY_LABELS: Record<GatewayKind, string> = {
  'apollo-gateway': '@apollo/gateway 2 (stock defaults) + @apollo/server 5',
  'shop-router': 'our router (router/gateway.ts + executor.ts + datasource.ts)',
  'shop-router-unshared': 'our router, SHARE_SUBGRAPH_FETCHES=false',
  'hive-gateway': '@graphql-hive/gateway (defaults)',
  'hive-router-runtime': '@graphql-hive/gateway + @graphql-hive/router-runtime',
};

export interface StartGatewayOptions {
  /** Composed with the subgraphs' real URLs, so no gateway needs a URL override. */
  supergraphSdl: string;
  subgraphUrls: Record<string, string>;
  port: number;
  host?: string;
  /** Used by our router only (the others keep their own default logging). */
  log: Logger;
}

async function startApollo(options: StartGatewayOptions): Promise<RunningGateway> {
  // what graphql-gateways-benchmark's apollo-gateway does: defaults everywhere
  const server = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl: options.supergraphSdl }) });
  const { url } = await startStandaloneServer(server, {
    listen: { port: options.port, host: options.host ?? '127.0.0.1' },
  });
  const port = Number(new URL(url).port);
  return { url: `http://${options.host ?? '127.0.0.1'}:${port}/graphql`, port, stop: () => server.stop() };
}

async function startHive(options: StartGatewayOptions, routerRuntime: boolean): Promise<RunningGateway> {
  const { createGatewayRuntime } = await import('@graphql-hive/gateway-runtime');
  const unifiedGraphHandler = routerRuntime
    ? (await import('@graphql-hive/router-runtime')).unifiedGraphHandler
    : undefined;
  const gateway = createGatewayRuntime({
    supergraph: options.supergraphSdl,
    // defaults, except that only errors are logged
    logging: 'error',
    ...(unifiedGraphHandler ? { unifiedGraphHandler } : {}),
  });
  return serveGateway(gateway, options, () => gateway.dispose());
}

/** One gateway over the given supergraph, listening on node:http. */
export function startGateway(kind: GatewayKind, options: StartGatewayOptions): Promise<RunningGateway> {
  switch (kind) {
    case 'apollo-gateway':
      return startApollo(options);
    case 'shop-router':
      return startShopGateway(options);
    case 'shop-router-unshared':
      // every query sends its own 16 subgraph requests, as stock @apollo/gateway does
      return startShopGateway({ ...options, env: { SHARE_SUBGRAPH_FETCHES: 'false' } });
    case 'hive-gateway':
      return startHive(options, false);
    case 'hive-router-runtime':
      return startHive(options, true);
  }
}
