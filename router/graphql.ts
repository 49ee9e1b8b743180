import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ErrorCode } from '@shop/errors';
import {
  executeApollo,
  readGraphQLBody,
  requestListener,
  sendGraphQLError,
  sharedApolloOptions,
  type Logger,
} from '@shop/server';
import { clientAddressOf } from './client-address';
import { sandboxEnabled, subgraphUrls as configSubgraphUrls, watchEnabled, type Config } from './config';
import type { RouterContext } from './context';
import { createGateway } from './gateway';
import { operationLimitsPlugin } from './plugins/limits';
import { subgraphClientFor, type SubgraphClient } from './subgraph-client';
import type { HttpSubscriptions } from './subscriptions';
import { extendedGateway } from './subscriptions/schema';

/** Relative supergraph paths are resolved from the repository root, whatever the working directory. */
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface GraphQLApolloOptions {
  log: Logger;
  /** A composed supergraph. Default: the file at `supergraphPath`. */
  supergraphSdl?: string;
  /** Default: config.SUPERGRAPH_PATH (relative to the repository root). */
  supergraphPath?: string;
  /** Subgraph name -> URL, overriding the supergraph's routing URLs. Default: the config's *_URL. */
  subgraphUrls?: Record<string, string>;
  /** A subgraph client to share (the caller closes it). Default: a new one, closed by stop(). */
  client?: SubgraphClient;
  /** Introspection. Default: SANDBOX (development only). */
  introspection?: boolean;
  /** Apollo Sandbox as the landing page. Default: off. */
  landingPage?: boolean;
  /**
   * The router's subscriptions (subscriptions/): their router-level extension is merged into the API
   * schema Apollo Server validates and introspects with, and a multipart subscription request is
   * served by them instead of Apollo Server. Default: none (the partner contract has none).
   */
  subscriptions?: HttpSubscriptions;
}

export interface GraphQLApollo {
  apollo: ApolloServer<RouterContext>;
  start(): Promise<void>;
  /** Serves one GraphQL HTTP request with the given context. */
  serve(req: IncomingMessage, res: ServerResponse, context: RouterContext): Promise<void>;
  /**
   * A node:http request listener: request id (echoed), the client's Authorization and address
   * (TRUST_PROXY_HOPS) passed on, serve.
   */
  listener(req: IncomingMessage, res: ServerResponse): void;
  stop(): Promise<void>;
}

/** The `query` of a GraphQL-over-HTTP request: the JSON body's, or the URL's for a GET. */
function queryOf(body: unknown, req: IncomingMessage): string | undefined {
  const query =
    body && typeof body === 'object'
      ? (body as { query?: unknown }).query
      : new URL(req.url ?? '/', 'http://localhost').searchParams.get('query');
  return typeof query === 'string' ? query : undefined;
}

/**
 * The router's GraphQL endpoint for one supergraph: an ApolloGateway (createGateway: ShopDataSource,
 * undici pool) behind an Apollo Server with the router's options (masked errors, no batching, CSRF
 * prevention, token limit, the operation limits plugin) and nothing per request that is not needed:
 * usage and schema reporting, inline traces and cache-control calculation are off.
 *
 * createRouter builds `/graphql` and `/public/graphql` with it; benchmarks and tests use it to run
 * the router's exact GraphQL path with their own supergraph.
 */
export function createGraphQLApollo(config: Config, options: GraphQLApolloOptions): GraphQLApollo {
  const { log } = options;
  const ownClient = options.client ? undefined : subgraphClientFor(config);
  const client = options.client ?? ownClient!;
  const base = {
    subgraphUrls: options.subgraphUrls ?? configSubgraphUrls(config),
    routerSecret: config.ROUTER_SECRET,
    client,
    queryPlanCacheMiB: config.QUERY_PLAN_CACHE_MIB,
    executor: config.QUERY_EXECUTOR,
    shareFetches: config.SHARE_SUBGRAPH_FETCHES === 'true',
    log,
  };
  const gateway =
    options.supergraphSdl !== undefined
      ? createGateway({ ...base, supergraphSdl: options.supergraphSdl })
      : createGateway({
          ...base,
          supergraphPath: resolve(REPO_ROOT, options.supergraphPath ?? config.SUPERGRAPH_PATH),
          watch: watchEnabled(config),
        });
  const shared = sharedApolloOptions<RouterContext>(log);
  const landingPage = options.landingPage
    ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false })
    : ApolloServerPluginLandingPageDisabled();
  const apollo = new ApolloServer<RouterContext>({
    gateway: options.subscriptions ? extendedGateway(gateway, options.subscriptions.onSchema) : gateway,
    formatError: shared.formatError,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    stopOnTerminationSignals: false,
    csrfPrevention: true,
    parseOptions: { maxTokens: config.MAX_TOKENS },
    logger: log,
    introspection: options.introspection ?? sandboxEnabled(config),
    plugins: [
      operationLimitsPlugin<RouterContext>({
        maxDepth: config.MAX_DEPTH,
        maxAliases: config.MAX_ALIASES,
        maxCost: config.MAX_COST,
        maxQueryBytes: config.MAX_QUERY_BYTES,
      }),
      ...([
        landingPage,
        ApolloServerPluginUsageReportingDisabled(),
        ApolloServerPluginSchemaReportingDisabled(),
        ApolloServerPluginInlineTraceDisabled(),
        ApolloServerPluginCacheControlDisabled(),
      ] as ApolloServerPlugin<RouterContext>[]),
    ],
  });

  /**
   * One HTTP request (what `startStandaloneServer` does, without its server): the body read as the
   * subgraphs read it (`MAX_BODY_BYTES`, 413), and a query document over `MAX_QUERY_BYTES` refused
   * before it is parsed and validated (400 `BAD_USER_INPUT`, `limit: size`, like the limits plugin).
   */
  const serve = async (req: IncomingMessage, res: ServerResponse, context: RouterContext) => {
    const read = await readGraphQLBody(req, res, config.MAX_BODY_BYTES, context.requestId);
    if (!read) return;
    const query = queryOf(read.body, req);
    const queryBytes = query === undefined ? 0 : Buffer.byteLength(query, 'utf8');
    if (queryBytes > config.MAX_QUERY_BYTES) {
      const message = `Query document is ${queryBytes} bytes; the limit is ${config.MAX_QUERY_BYTES}`;
      sendGraphQLError(res, 400, message, ErrorCode.BAD_USER_INPUT, {
        limit: 'size',
        requestId: context.requestId,
      });
      return;
    }
    if (await options.subscriptions?.serveHttp(req, res, read.body, query, context)) return;
    await executeApollo(apollo, req, res, read.body, async () => context);
  };

  return {
    apollo,
    start: () => apollo.start(),
    serve,
    listener: requestListener(log, (req, res, requestId) => {
      const authorization = req.headers.authorization;
      const clientAddress = clientAddressOf(req, config.TRUST_PROXY_HOPS);
      return serve(req, res, {
        requestId,
        ...(authorization ? { authorization } : {}),
        ...(clientAddress ? { clientAddress } : {}),
      });
    }),
    async stop() {
      await apollo.stop();
      await ownClient?.close();
    },
  };
}
